"""Last: after everything above, the ledger replays to the same balances."""

import pytest

pytestmark = pytest.mark.e2e


def test_verify_ledger_passes_on_the_e2e_database(stack):
    done = stack.manage("accounting", "verify_ledger")

    assert done.returncode == 0, done.stdout + done.stderr
