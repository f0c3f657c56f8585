"""verify_ledger on the embedded default: SQLite, as ``make run`` sets it up.

Each test runs ``manage.py verify_ledger`` in a child process with no
database settings at all (a temporary ``VAR_DIR`` with the secrets of
``config.bootstrap``, migrated), as a newcomer would after ``make run``:
on an empty ledger (where it used to crash on PostgreSQL-only SQL), on
the sample ledger, and on a broken copy of it. The checks themselves are
proved one by one on SQLite in ``tests/selectors/test_ledger_checks.py``.
"""

import os
import pty
import sqlite3
import subprocess
import sys

from accounting.selectors import ledger_checks
from accounting.tests.conftest import (
    REPO_DIR,
    embedded_env,
    embedded_manage,
    sqlite_copy,
)

CHECKS = len(ledger_checks.LEDGER_CHECKS)


def test_an_empty_embedded_ledger_holds(sqlite_empty, tmp_path):
    var_dir = tmp_path / "var"
    sqlite_copy(sqlite_empty, var_dir)

    done = embedded_manage(var_dir, "verify_ledger")

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == (
        f"verify_ledger: 0 transactions, 0 entries, 0 accounts; {CHECKS} checks"
    )
    assert done.stdout.splitlines()[-1].startswith(
        f"verify_ledger: {CHECKS} checks, all hold; 0 entries checked in "
    )


def test_the_sample_ledger_holds_check_by_check(sqlite_ledger, tmp_path):
    var_dir = tmp_path / "var"
    sqlite_copy(sqlite_ledger, var_dir)

    done = embedded_manage(var_dir, "verify_ledger")

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    checks = lines[1:-1]
    assert [line.split()[:3] for line in checks] == [
        ["[ok]", check.name, "0"] for check in ledger_checks.LEDGER_CHECKS
    ]
    assert all(line.split()[4] == "s" for line in checks)
    assert "\r" not in done.stdout  # not a terminal: no progress bar
    assert f"{CHECKS} checks, all hold" in lines[-1]
    assert done.stderr == ""


def test_a_broken_ledger_fails_with_status_1(sqlite_ledger, tmp_path):
    var_dir = tmp_path / "var"
    database = sqlite_copy(sqlite_ledger, var_dir)
    with sqlite3.connect(database) as raw:
        raw.execute(
            "UPDATE accounting_entry SET amount = amount + 1 WHERE id = ("
            "SELECT MIN(e.id) FROM accounting_entry e JOIN accounting_account"
            " a ON a.id = e.account_id WHERE a.kind = 'main')"
        )
    raw.close()

    done = embedded_manage(var_dir, "verify_ledger", "--examples", "1")

    assert done.returncode == 1
    failures = [line for line in done.stdout.splitlines() if "[FAIL]" in line]
    assert [line.split()[1] for line in failures] == [
        "zero-sum",
        "running-balance",
        "customer-amount",
    ]
    assert "transactions whose entries do not sum to zero" in failures[0]
    assert done.stdout.splitlines()[-1].startswith(
        f"verify_ledger: {CHECKS} checks, {CHECKS - 3} passed, 3 failed; "
    )
    assert done.stderr.strip() == (
        f"CommandError: 3 of {CHECKS} ledger checks failed: zero-sum, "
        "running-balance, customer-amount"
    )


def test_a_terminal_sees_the_walk_advance(sqlite_ledger, tmp_path):
    var_dir = tmp_path / "var"
    sqlite_copy(sqlite_ledger, var_dir)
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "manage.py", "verify_ledger", "--chunk-size", "10"],
        cwd=REPO_DIR,
        env=embedded_env(var_dir),
        stdout=terminal,
        stderr=terminal,
    ) as child:
        os.close(terminal)
        output = b""
        while chunk := _read(controller):
            output += chunk
        os.close(controller)
    text = output.decode()

    assert child.returncode == 0, text
    assert "\r  [....] zero-sum\r  [ok]   zero-sum " in text
    bars = [part for part in text.split("\r") if part.startswith("  replay [")]
    assert bars[0].startswith("  replay [------------------------------]   0%")
    assert len(bars) > 2
    assert "all hold" in text


def _read(fd: int) -> bytes:
    """Reads what a terminal holds; nothing once its other end is closed."""
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the child is gone and its side closed
        return b""
