"""verify_ledger proves the projections, and notices every corruption."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounting import models, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(holder):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    for amount in (1000, 2000, 3000):
        services.credit_apply(
            holder_id=holder.pk, amount=amount, currency="USD"
        )
    return holder


def corrupt(sql, params=()):
    """Runs SQL with the append-only triggers off (this test only)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # none pending
        cursor.execute("ALTER TABLE accounting_entry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE accounting_entry ENABLE TRIGGER USER")


def verify():
    call_command("verify_ledger")


def test_a_clean_ledger_passes(ledger, capsys):
    del ledger
    verify()
    out = capsys.readouterr().out
    assert "3 transactions, 9 entries, 3 accounts" in out
    assert "all hold" in out
    assert "[FAIL]" not in out


def test_an_empty_ledger_passes(db, capsys):
    del db
    verify()
    assert "0 transactions, 0 entries, 0 accounts" in capsys.readouterr().out


def main_entry(holder, sequence):
    return models.Entry.objects.get(
        account__holder=holder, account__kind="main", sequence=sequence
    )


@pytest.mark.parametrize(
    ("break_it", "failed_check"),
    [
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET amount = amount + 1 WHERE id = %s",
                [main_entry(h, 1).id],
            ),
            "do not sum to zero",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET sequence = 5 WHERE id = %s",
                [main_entry(h, 3).id],
            ),
            "not 1..n without gaps",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET balance_after = 1 WHERE id = %s",
                [main_entry(h, 2).id],
            ),
            "differs from the running sum",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET occurred_at = occurred_at"
                " - interval '1 day' WHERE id = %s",
                [main_entry(h, 3).id],
            ),
            "decreases as the sequence grows",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET currency = 'EUR' WHERE id = %s",
                [main_entry(h, 1).id],
            ),
            "another currency than their account",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET sequence = 1, balance_after = 1"
                " WHERE amount < 0 AND transaction_id = %s",
                [main_entry(h, 1).transaction_id],
            ),
            "system-account entries with a sequence",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET sequence = NULL,"
                " balance_after = NULL WHERE id = %s",
                [main_entry(h, 3).id],
            ),
            "customer-account entries without a sequence",
        ),
        (
            lambda h: models.Account.objects.filter(
                holder=h, kind="main"
            ).update(balance=1),
            "disagree with their last entry",
        ),
        (
            lambda h: models.Account.objects.filter(
                holder=h, kind="savings"
            ).update(last_sequence=9),
            "disagree with their last entry",
        ),
        (
            lambda h: models.Account.objects.filter(holder=None).update(
                balance=-5
            ),
            "system accounts with a stored balance",
        ),
    ],
)
def test_each_corruption_is_named(ledger, capsys, break_it, failed_check):
    break_it(ledger)

    with pytest.raises(CommandError, match=failed_check):
        verify()

    assert "[FAIL]" in capsys.readouterr().out


def test_entries_out_of_step_with_their_transaction(ledger):
    entry = main_entry(ledger, 1)
    corrupt(
        "UPDATE accounting_entry SET occurred_at = occurred_at"
        " + interval '1 second' WHERE transaction_id = %s AND amount < 0",
        [entry.transaction_id],
    )
    with pytest.raises(CommandError, match="differs from their transaction"):
        verify()
