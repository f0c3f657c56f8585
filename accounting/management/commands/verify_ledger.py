"""``manage.py verify_ledger``: prove the projections from the journal.

Runs every check of ``accounting.selectors.ledger_checks`` on the journal,
on PostgreSQL or on the embedded default's SQLite, and prints each one as
it completes: ``[ok]`` or ``[FAIL]``, its name, how many rows break it and
how long it took; a failure adds what the check means and example rows.
It ends with a summary line, ``verify_ledger: ...``, and exits non-zero
if any check failed, so it can gate deployments and end-to-end runs.

The three replay checks share one walk of the journal, in chunks. On a
terminal, the walk draws a progress bar when it takes more than one chunk
(``--chunk-size`` entries, 100,000 by default: a ledger that small is
walked in well under a second). Written to a file or a pipe (CI logs,
``bench/run.py``), the output holds whole lines only, and no bar.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounting.selectors import ledger_checks

BAR_WIDTH = 30


class Command(BaseCommand):
    """Verifies the ledger; fails with the checks that do not hold."""

    help = (
        "Replay the journal and verify balances, sequences and sums; print "
        "each check as it runs, exit 1 if any fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Adds ``--chunk-size`` and ``--examples``."""
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=ledger_checks.REPLAY_CHUNK,
            help="Entries per statement of the journal walk (default "
            "%(default)s); the progress bar advances once per chunk.",
        )
        parser.add_argument(
            "--examples",
            type=int,
            default=5,
            help="Offending rows shown per failed check (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Runs every check, printing each, then the summary.

        Raises:
            CommandError: At least one check failed.
        """
        del args
        chunk_size = max(1, options["chunk_size"])
        began = time.monotonic()
        size = ledger_checks.ledger_size()
        checks = len(ledger_checks.LEDGER_CHECKS)
        self.stdout.write(
            f"verify_ledger: {size['transactions']:,} transactions, "
            f"{size['entries']:,} entries, {size['accounts']:,} accounts; "
            f"{checks} checks"
        )
        tty = self.stdout.isatty()
        findings = ledger_checks.ledger_findings(
            examples=max(0, options["examples"]),
            chunk_size=chunk_size,
            progress=self._bar(chunk_size) if tty else None,
        )
        failed = []
        # Findings come in the list's order, so a terminal can be shown
        # which check is running before its finding arrives.
        for check in ledger_checks.LEDGER_CHECKS:
            if tty:
                self.stdout.write(f"\r  [....] {check.name}", ending="")
                self.stdout.flush()
            finding = next(findings)
            if finding.count:
                failed.append(check.name)
            self.stdout.write(("\r" if tty else "") + self._line(finding))
            for row in finding.examples:
                self.stdout.write(f"           {row}")
        elapsed = time.monotonic() - began
        checked = f"{size['entries']:,} entries checked in {elapsed:.1f} s"
        if failed:
            self.stdout.write(
                f"verify_ledger: {checks} checks, {checks - len(failed)} "
                f"passed, {len(failed)} failed; {checked}"
            )
            raise CommandError(
                f"{len(failed)} of {checks} ledger checks failed: "
                + ", ".join(failed)
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"verify_ledger: {checks} checks, all hold; {checked}"
            )
        )

    def _line(self, finding: ledger_checks.LedgerFinding) -> str:
        """Returns a finding's line: mark, name, count, time; why it fails."""
        check = finding.check
        width = max(len(each.name) for each in ledger_checks.LEDGER_CHECKS)
        line = (
            f"  {'[FAIL]' if finding.count else '[ok]  '} "
            f"{check.name:<{width}} {finding.count:>9,} "
            f"{finding.seconds:7.2f} s"
        )
        if check.replays:
            line += " (replay)"
        if not finding.count:
            return line
        return self.style.ERROR(f"{line}  {check.description}")

    def _bar(self, chunk_size: int) -> ledger_checks.Progress:
        """Returns the progress callback that draws the walk's bar.

        It draws nothing for a walk of one chunk, and wipes the bar when
        the walk is over, so the checks' lines follow as usual.
        """

        def draw(done: int, total: int) -> None:
            if total <= chunk_size:
                return
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            text = (
                f"  replay [{bar}] {done * 100 // total:3d}%  "
                f"{done:,}/{total:,} entries"
            )
            if done < total:
                self.stdout.write(f"\r{text}", ending="")
            else:
                self.stdout.write("\r" + " " * len(text) + "\r", ending="")
            self.stdout.flush()

        return draw
