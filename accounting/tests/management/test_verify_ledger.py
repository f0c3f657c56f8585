"""verify_ledger proves the projections, and notices every corruption.

On the PostgreSQL test database; the same command on the embedded
default's SQLite is in ``test_verify_ledger_sqlite.py``.
"""

import datetime as dt
import decimal
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounting import models, services
from accounting.management.commands import verify_ledger
from accounting.selectors import ledger_checks
from accounting.tests import factories
from accounting.tests.conftest import (
    constraints_check,
    corrupt,
    failed_checks,
)

pytestmark = pytest.mark.django_db

CHECKS = len(ledger_checks.LEDGER_CHECKS)


@pytest.fixture
def ledger(holder):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    for amount in (1000, 2000, 3000):
        services.credit_apply(
            holder_id=holder.pk, amount=amount, currency="USD"
        )
    return holder


def verify():
    call_command("verify_ledger")


def test_a_clean_ledger_passes(ledger, capsys):
    del ledger
    verify()
    out = capsys.readouterr().out
    assert "3 transactions, 9 entries, 5 accounts" in out
    assert "all hold" in out
    assert "[FAIL]" not in out


def test_an_empty_ledger_passes(db, capsys):
    del db
    verify()
    assert "0 transactions, 0 entries, 0 accounts" in capsys.readouterr().out


def test_each_check_is_printed_with_its_count_and_time(ledger, capsys):
    del ledger
    verify()
    lines = capsys.readouterr().out.splitlines()

    assert lines[0] == (
        f"verify_ledger: 3 transactions, 9 entries, 5 accounts; {CHECKS} checks"
    )
    assert [line.split()[:3] for line in lines[1:-1]] == [
        ["[ok]", check.name, "0"] for check in ledger_checks.LEDGER_CHECKS
    ]
    assert [line.endswith(" s (replay)") for line in lines[1:-1]] == [
        check.replays for check in ledger_checks.LEDGER_CHECKS
    ]
    assert re.fullmatch(
        rf"verify_ledger: {CHECKS} checks, all hold; 9 entries checked in "
        r"\d+\.\d s",
        lines[-1],
    )


def test_a_failure_is_explained_and_summed_up(ledger, capsys):
    models.Account.objects.filter(holder=ledger).update(balance=7)

    with pytest.raises(CommandError) as failure:
        call_command("verify_ledger", "--examples", "1")

    assert str(failure.value) == (
        f"1 of {CHECKS} ledger checks failed: account-projection"
    )
    lines = capsys.readouterr().out.splitlines()
    failed = [i for i, line in enumerate(lines) if "[FAIL]" in line]
    assert len(failed) == 1
    assert lines[failed[0]].split()[1:3] == ["account-projection", "2"]
    assert lines[failed[0]].endswith(
        "  customer accounts and pots whose balance or last_sequence "
        "disagree with their last entry"
    )
    assert lines[failed[0] + 1].startswith("           (")  # one example
    assert "[" in lines[failed[0] + 2]  # the next check, no second one
    assert lines[-1].startswith(
        f"verify_ledger: {CHECKS} checks, {CHECKS - 1} passed, 1 failed; "
        "9 entries checked in "
    )


def test_manage_py_exits_with_status_1_on_a_failure(ledger):
    models.Account.objects.filter(holder=ledger).update(balance=7)
    command = verify_ledger.Command(stdout=io.StringIO(), stderr=io.StringIO())

    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "verify_ledger"])

    assert exited.value.code == 1


class Terminal(io.StringIO):
    """What the command writes to, seen as a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_running_check_and_the_walk(ledger):
    del ledger
    terminal = Terminal()

    call_command("verify_ledger", "--chunk-size", "2", stdout=terminal)

    text = terminal.getvalue()
    assert "\r  [....] zero-sum\r  [ok]   zero-sum " in text
    bars = [part for part in text.split("\r") if part.startswith("  replay")]
    # Main and savings: 3 entries each, 2 per chunk: 0, 2, 4 and 6 (wiped).
    assert [bar.split("]")[1].split() for bar in bars] == [
        ["0%", "0/6", "entries"],
        ["33%", "2/6", "entries"],
        ["66%", "4/6", "entries"],
    ]
    assert bars[1].startswith("  replay [##########--------------------]")
    wipe = text.split("4/6 entries", 1)[1]
    assert wipe.startswith("\r" + " " * len(bars[2]) + "\r\r  [ok]   seq")
    assert "all hold; 9 entries checked" in text.splitlines()[-1]


def test_a_walk_of_one_chunk_draws_no_bar(ledger):
    del ledger
    terminal = Terminal()

    call_command("verify_ledger", stdout=terminal)

    assert "replay [" not in terminal.getvalue()
    assert "[....] sequence-gaps" in terminal.getvalue()


def test_a_file_gets_whole_lines_only(ledger, capsys):
    del ledger
    call_command("verify_ledger", "--chunk-size", "1")

    out = capsys.readouterr().out
    assert "\r" not in out
    assert "[....]" not in out


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
            "zero-sum",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET sequence = 5 WHERE id = %s",
                [main_entry(h, 3).id],
            ),
            "sequence-gaps",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET balance_after = 1 WHERE id = %s",
                [main_entry(h, 2).id],
            ),
            "running-balance",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET occurred_at = occurred_at"
                " - interval '1 day' WHERE id = %s",
                [main_entry(h, 3).id],
            ),
            "time-order",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET currency = 'EUR' WHERE id = %s",
                [main_entry(h, 1).id],
            ),
            "entry-currency",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET holder_id = %s WHERE id = %s",
                [factories.HolderFactory().pk, main_entry(h, 2).id],
            ),
            "entry-holder-key",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET sequence = 1, balance_after = 1"
                " WHERE amount < 0 AND transaction_id = %s",
                [main_entry(h, 1).transaction_id],
            ),
            "system-entry-sequenced",
        ),
        (
            lambda h: corrupt(
                "UPDATE accounting_entry SET sequence = NULL,"
                " balance_after = NULL WHERE id = %s",
                [main_entry(h, 3).id],
            ),
            "entry-unsequenced",
        ),
        (
            lambda h: models.Account.objects.filter(
                holder=h, kind="main"
            ).update(balance=1),
            "account-projection",
        ),
        (
            lambda h: models.Account.objects.filter(
                holder=h, kind="savings"
            ).update(last_sequence=9),
            "account-projection",
        ),
        (
            lambda h: models.Account.objects.filter(holder=None).update(
                balance=-5
            ),
            "system-balance",
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
    with pytest.raises(CommandError, match="entry-time"):
        verify()


# --- The checks of transfers, withdrawals, releases and conversions ---------


@pytest.fixture
def movements(clock):
    """Two holders and every kind of movement, in three currencies.

    Alice (10% plan, held 2 days) and Bob: credits, a withdrawal,
    transfers both ways, a savings release after the holding period,
    conversions with rounding into and out of JPY, and a closed wallet.
    """
    alice, bob = factories.HolderFactory(), factories.HolderFactory()
    for holder in (alice, bob):
        for currency in ("EUR", "JPY"):
            services.account_open(holder=holder, currency=currency)
    services.plan_assign(
        holder=alice,
        plan=factories.PlanFactory(savings_hold_days=2),
    )
    for base, quote, rate in (
        ("USD", "JPY", "151.2345"),
        ("JPY", "EUR", "0.00617"),
        ("EUR", "USD", "1.0833"),
    ):
        services.rate_create(
            base=base,
            quote=quote,
            rate=decimal.Decimal(rate),
            valid_from=clock.now - dt.timedelta(days=1),
        )
    usd = {"currency": "USD"}
    services.credit_apply(holder_id=alice.pk, amount=100_005, **usd)
    services.credit_apply(holder_id=bob.pk, amount=5_000, **usd)
    clock.advance(minutes=1)
    services.withdrawal_apply(
        holder_id=alice.pk, amount=1_234, category="food", **usd
    )
    bob_main = bob.accounts.get(kind="main", currency="USD")
    alice_main = alice.accounts.get(kind="main", currency="USD")
    services.transfer_apply(
        holder_id=alice.pk, to_account=bob_main.id, amount=777, **usd
    )
    services.transfer_apply(
        holder_id=bob.pk, to_account=alice_main.id, amount=5_777, **usd
    )
    clock.advance(days=2)
    services.savings_release_apply(holder_id=alice.pk, amount=9_000, **usd)
    for from_currency, to_currency, amount in (
        ("USD", "JPY", 333),
        ("JPY", "EUR", 501),
        ("EUR", "USD", 3),
    ):
        clock.advance(seconds=1)
        services.conversion_apply(
            holder_id=alice.pk,
            from_currency=from_currency,
            to_currency=to_currency,
            amount=amount,
        )
    services.account_close(account=bob_main)
    return alice, bob


def transaction_of(holder, kind):
    return models.Transaction.objects.get(holder=holder, kind=kind)


def test_every_kind_of_movement_leaves_a_clean_ledger(movements, capsys):
    alice, bob = movements
    assert sorted(
        models.Transaction.objects.values_list("kind", flat=True)
    ) == sorted(
        ["credit", "credit", "withdrawal", "savings_release"]
        + ["transfer_out", "transfer_in"] * 2
        + ["conversion"] * 3
    )
    del alice, bob

    assert failed_checks() == []
    verify()
    out = capsys.readouterr().out
    assert "11 transactions" in out
    assert "all hold" in out
    assert "[FAIL]" not in out
    constraints_check()


def post_raw(holder, kind, legs, **fields):
    """Writes a journal header and entries that bypass the services.

    Inserts are allowed (the journal is append-only, not read-only), and
    the projections of customer accounts are kept right, so only the rule
    under test is broken.
    """
    txn = models.Transaction.objects.create(
        holder=holder, kind=kind, occurred_at=timezone.now(), **fields
    )
    for account, amount in legs:
        sequence = balance_after = None
        if account.holder_id:
            account.refresh_from_db()
            sequence = account.last_sequence + 1
            balance_after = account.balance + amount
            models.Account.objects.filter(pk=account.pk).update(
                last_sequence=sequence, balance=balance_after
            )
        models.Entry.objects.create(
            transaction=txn,
            holder=holder,
            account=account,
            currency=account.currency,
            amount=amount,
            occurred_at=txn.occurred_at,
            sequence=sequence,
            balance_after=balance_after,
        )
    return txn


def system(kind, currency="USD"):
    return models.Account.objects.get(
        pk=models.Account.system_id(kind, currency)
    )


def a_withdrawal_charged_to_another_holder(alice, bob):
    corrupt(
        "UPDATE accounting_transaction SET holder_id = %s WHERE id = %s",
        [bob.pk, transaction_of(alice, "withdrawal").id],
    )


def a_withdrawal_paid_to_fx(alice, bob):
    del bob
    corrupt(
        "UPDATE accounting_entry SET account_id = %s"
        " WHERE transaction_id = %s AND account_id = %s",
        [
            system("fx").id,
            transaction_of(alice, "withdrawal").id,
            system("world").id,
        ],
    )


def a_withdrawal_from_savings(alice, bob):
    del bob
    savings = alice.accounts.get(kind="savings", currency="USD")
    post_raw(
        alice,
        "withdrawal",
        [(savings, -1), (system("world"), 1)],
        amount=1,
        currency="USD",
    )


def a_withdrawal_of_another_amount(alice, bob):
    del bob
    corrupt(
        "UPDATE accounting_transaction SET amount = amount + 1 WHERE id = %s",
        [transaction_of(alice, "withdrawal").id],
    )


def a_release_recorded_as_a_credit(alice, bob):
    del bob
    corrupt(
        "UPDATE accounting_transaction SET kind = 'credit' WHERE id = %s",
        [transaction_of(alice, "savings_release").id],
    )


def a_release_into_savings(alice, bob):
    """Main to savings under the release kind: it nets to 0 all the same."""
    del bob
    main, savings = (
        alice.accounts.get(kind=kind, currency="USD")
        for kind in ("main", "savings")
    )
    post_raw(
        alice,
        "savings_release",
        [(main, -5), (savings, 5)],
        amount=5,
        currency="USD",
    )


def a_transfer_half_pointing_elsewhere(alice, bob):
    corrupt(
        "UPDATE accounting_transaction SET related_id = %s WHERE id = %s",
        [
            transaction_of(alice, "withdrawal").id,
            models.Transaction.objects.get(holder=bob, kind="transfer_in").id,
        ],
    )


def a_transfer_half_naming_another_counterparty(alice, bob):
    del bob
    corrupt(
        "UPDATE accounting_transaction SET counterparty_account_id = %s"
        " WHERE id = %s",
        [
            alice.accounts.get(kind="main", currency="EUR").id,
            transaction_of(alice, "transfer_out").id,
        ],
    )


def a_transfer_in_that_bypasses_clearing(alice, bob):
    corrupt(
        "UPDATE accounting_entry SET account_id = %s"
        " WHERE transaction_id = %s AND account_id = %s",
        [
            system("world").id,
            transaction_of(bob, "transfer_in").id,
            system("clearing").id,
        ],
    )
    del alice


def conversion(alice, currency):
    return models.Transaction.objects.get(
        holder=alice, kind="conversion", currency=currency
    )


def a_conversion_showing_another_rate(alice, bob):
    del bob
    corrupt(
        "UPDATE accounting_transaction SET fx_rate = fx_rate * 2 WHERE id = %s",
        [conversion(alice, "USD").id],
    )


def a_conversion_before_its_rate(alice, bob):
    del bob
    corrupt(
        "UPDATE accounting_rate SET valid_from = %s WHERE id = %s",
        [
            conversion(alice, "JPY").occurred_at + dt.timedelta(seconds=1),
            conversion(alice, "JPY").rate_id,
        ],
    )


def a_conversion_at_the_rate_of_another_pair(alice, bob):
    del bob
    corrupt(
        "UPDATE accounting_transaction SET rate_id = %s WHERE id = %s",
        [conversion(alice, "JPY").rate_id, conversion(alice, "EUR").id],
    )


def a_conversion_rounded_one_unit_off(alice, bob):
    """1.00 USD at 151.2345 is 151.2345 yen: 152 is not the nearest yen."""
    del bob
    rate = models.Rate.objects.get(base="USD", quote="JPY")
    main = {
        c: alice.accounts.get(kind="main", currency=c) for c in ("USD", "JPY")
    }
    post_raw(
        alice,
        "conversion",
        [
            (main["USD"], -100),
            (system("fx", "USD"), 100),
            (system("fx", "JPY"), -152),
            (main["JPY"], 152),
        ],
        amount=100,
        currency="USD",
        to_amount=152,
        to_currency="JPY",
        rate=rate,
        fx_rate=rate.rate,
    )


HOLDER_KEY = "entry-holder-key"
HOLDER = "entry-holder"
SYSTEM = "system-kind"
SAVINGS = "savings-kind"
AMOUNT = "customer-amount"
HALVES = "transfer-halves"
CLEARING = "clearing-zero"
RATE = "conversion-rate"


@pytest.mark.parametrize(
    ("break_it", "detected"),
    [
        # Its entries still name Alice.
        (a_withdrawal_charged_to_another_holder, [HOLDER_KEY, HOLDER]),
        (a_withdrawal_paid_to_fx, [SYSTEM]),
        (a_withdrawal_from_savings, [SAVINGS]),
        (a_withdrawal_of_another_amount, [AMOUNT]),
        (a_release_recorded_as_a_credit, [AMOUNT]),
        (a_release_into_savings, [AMOUNT]),
        (a_transfer_half_pointing_elsewhere, [HALVES]),
        (a_transfer_half_naming_another_counterparty, [HALVES]),
        (a_transfer_in_that_bypasses_clearing, [SYSTEM, CLEARING]),
        (a_conversion_showing_another_rate, [RATE]),
        (a_conversion_before_its_rate, [RATE]),
        (a_conversion_at_the_rate_of_another_pair, [RATE]),
        (a_conversion_rounded_one_unit_off, [RATE]),
    ],
)
def test_each_corruption_of_a_movement_is_named(movements, break_it, detected):
    break_it(*movements)

    assert failed_checks() == detected
    with pytest.raises(CommandError, match=re.escape(detected[-1])):
        verify()
