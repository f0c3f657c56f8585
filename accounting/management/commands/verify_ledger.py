"""``manage.py verify_ledger``: prove the projections from the journal.

Replays the append-only journal in SQL and checks every invariant of the
ledger (see ``selectors.ledger_verify``). Prints a summary; exits non-zero
and names each failed check with example rows if anything disagrees, so it
can gate deployments and end-to-end runs.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounting import selectors


class Command(BaseCommand):
    """Verifies the ledger; fails with the checks that do not hold."""

    help = "Replay the journal and verify balances, sequences and sums."

    def handle(self, *args: Any, **options: Any) -> None:
        """Runs every check and reports.

        Raises:
            CommandError: At least one check failed.
        """
        del args, options
        size = selectors.ledger_size()
        findings = selectors.ledger_verify()
        failed = [f for f in findings if f.count]
        for finding in findings:
            mark = "FAIL" if finding.count else "ok"
            self.stdout.write(f"  [{mark}] {finding.check}: {finding.count}")
            for row in finding.examples:
                self.stdout.write(f"         {row}")
        summary = (
            f"verify_ledger: {size['transactions']} transactions, "
            f"{size['entries']} entries, {size['accounts']} accounts, "
            f"{len(findings)} checks"
        )
        if failed:
            names = "; ".join(f.check for f in failed)
            raise CommandError(f"{summary}: {len(failed)} failed: {names}")
        self.stdout.write(self.style.SUCCESS(f"{summary}: all hold"))
