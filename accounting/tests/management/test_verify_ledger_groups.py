"""verify_ledger with group pots: clean contributions pass, corruptions fail.

A pot has no holder, like a system account, but a running balance, like a
customer account: the checks must tell them apart by kind. Each test
breaks one thing with the triggers off (or by writing a journal row past
the services) and names the checks that must notice it, and no others.
"""

import decimal
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounting import models, services
from accounting.tests import factories
from accounting.tests.conftest import (
    constraints_check,
    corrupt,
    failed_checks,
)
from accounting.tests.management.test_verify_ledger import system

pytestmark = pytest.mark.django_db

RUNNING = "running-balance"
GAPS = "sequence-gaps"
TIME = "time-order"
ENTRY_TIME = "entry-time"
UNSEQUENCED = "entry-unsequenced"
PROJECTION = "account-projection"
AMOUNT = "customer-amount"
POT_KIND = "pot-kind"
CONTRIBUTION = "contribution-legs"


@pytest.fixture
def pots(clock):
    """Ana and Ben in two groups; contributions into both pots.

    Summer gets Ana 5.00, Ben 2.50, Ana 1.00 (three pot entries); Winter
    gets Ben 4.00. Credits, a withdrawal and a savings release go around
    them, so every kind of entry sits next to the pots' entries.
    """
    ana, ben = (
        factories.HolderFactory(email=f"{n}@example.com")
        for n in ("ana", "ben")
    )
    plan = factories.PlanFactory(percentage=decimal.Decimal("50"))
    usd = {"currency": "USD"}
    for holder in (ana, ben):
        services.plan_assign(holder=holder, plan=plan)
        services.credit_apply(holder_id=holder.pk, amount=10_000, **usd)
    summer = services.group_create(
        holder=ana, name="Summer", target_amount=10_000, **usd
    )
    winter = services.group_create(
        holder=ben, name="Winter", target_amount=10_000, **usd
    )
    services.member_add(
        holder_id=ana.pk, group_id=summer.id, email="ben@example.com"
    )
    for holder, group, amount in (
        (ana, summer, 500),
        (ben, summer, 250),
        (ben, winter, 400),
        (ana, summer, 100),
    ):
        clock.advance(seconds=1)
        services.contribution_apply(
            holder_id=holder.pk, group_id=group.id, amount=amount, **usd
        )
    services.withdrawal_apply(holder_id=ana.pk, amount=100, **usd)
    services.savings_release_apply(holder_id=ben.pk, amount=100, **usd)
    return {"ana": ana, "ben": ben, "summer": summer, "winter": winter}


def post_raw(holder, kind, legs, **fields):
    """Writes a journal header and entries that bypass the services.

    Like ``test_verify_ledger.post_raw``, with pots among the accounts
    that keep a running balance: their projections stay right, so only
    the rule under test is broken.
    """
    txn = models.Transaction.objects.create(
        holder=holder, kind=kind, occurred_at=timezone.now(), **fields
    )
    for account, amount in legs:
        sequence = balance_after = None
        if account.kind in ("main", "savings", "pot"):
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


def pot_entry(group, sequence):
    return models.Entry.objects.get(account_id=group.pot_id, sequence=sequence)


def contribution(holder, group):
    return models.Transaction.objects.filter(
        holder=holder, kind="group_contribution", counterparty_account=group.pot
    ).earliest("occurred_at")


def test_contributions_leave_a_clean_ledger(pots, capsys):
    assert failed_checks() == []
    call_command("verify_ledger")
    out = capsys.readouterr().out
    assert "[FAIL]" not in out
    assert "all hold" in out
    constraints_check()
    summer = models.Account.objects.get(pk=pots["summer"].pot_id)
    assert (summer.balance, summer.last_sequence) == (850, 3)


# --- Pots are checked like customer accounts --------------------------------


def a_pot_balance_after_off_by_one(p):
    corrupt(
        "UPDATE accounting_entry SET balance_after = balance_after + 1"
        " WHERE id = %s",
        [pot_entry(p["summer"], 2).id],
    )


def a_gap_in_a_pots_sequence(p):
    corrupt(
        "UPDATE accounting_entry SET sequence = 4 WHERE id = %s",
        [pot_entry(p["summer"], 3).id],
    )


def a_pot_entry_without_a_sequence(p):
    corrupt(
        "UPDATE accounting_entry SET sequence = NULL, balance_after = NULL"
        " WHERE id = %s",
        [pot_entry(p["winter"], 1).id],
    )


def a_pot_entry_back_in_time(p):
    corrupt(
        "UPDATE accounting_transaction SET occurred_at = occurred_at"
        " - interval '1 day', effective_at = effective_at - interval '1 day'"
        " WHERE id = %s",
        [pot_entry(p["summer"], 3).transaction_id],
    )
    corrupt(
        "UPDATE accounting_entry SET occurred_at = occurred_at"
        " - interval '1 day' WHERE transaction_id = %s",
        [pot_entry(p["summer"], 3).transaction_id],
    )


def a_pot_balance_that_is_not_its_last_entry(p):
    models.Account.objects.filter(pk=p["summer"].pot_id).update(balance=851)


def a_pot_last_sequence_that_is_not_its_last_entry(p):
    models.Account.objects.filter(pk=p["winter"].pot_id).update(last_sequence=2)


# --- The rules of contributions ---------------------------------------------


def a_credit_paid_into_a_pot(p):
    pot = models.Account.objects.get(pk=p["summer"].pot_id)
    post_raw(
        p["ana"],
        "credit",
        [(system("world"), -5), (pot, 5)],
        amount=5,
        currency="USD",
    )


def a_contribution_of_another_amount(p):
    corrupt(
        "UPDATE accounting_transaction SET amount = amount + 1 WHERE id = %s",
        [contribution(p["ben"], p["summer"]).id],
    )


def a_contribution_naming_another_pot(p):
    corrupt(
        "UPDATE accounting_transaction SET counterparty_account_id = %s"
        " WHERE id = %s",
        [p["winter"].pot_id, contribution(p["ben"], p["summer"]).id],
    )


def a_contribution_from_main(p):
    main = p["ana"].accounts.get(kind="main", currency="USD")
    pot = models.Account.objects.get(pk=p["summer"].pot_id)
    post_raw(
        p["ana"],
        "group_contribution",
        [(main, -5), (pot, 5)],
        amount=5,
        currency="USD",
        counterparty_account=pot,
    )


def a_contribution_split_over_two_pots(p):
    savings = p["ana"].accounts.get(kind="savings", currency="USD")
    summer, winter = (
        models.Account.objects.get(pk=p[g].pot_id) for g in ("summer", "winter")
    )
    post_raw(
        p["ana"],
        "group_contribution",
        [(savings, -5), (summer, 4), (winter, 1)],
        amount=5,
        currency="USD",
        counterparty_account=summer,
    )


@pytest.mark.parametrize(
    ("break_it", "detected"),
    [
        (a_pot_balance_after_off_by_one, [RUNNING]),
        (a_gap_in_a_pots_sequence, [GAPS, PROJECTION]),
        (a_pot_entry_without_a_sequence, [UNSEQUENCED, PROJECTION]),
        (a_pot_entry_back_in_time, [TIME]),
        (a_pot_balance_that_is_not_its_last_entry, [PROJECTION]),
        (a_pot_last_sequence_that_is_not_its_last_entry, [PROJECTION]),
        (a_credit_paid_into_a_pot, [AMOUNT, POT_KIND]),
        (a_contribution_of_another_amount, [AMOUNT, CONTRIBUTION]),
        (a_contribution_naming_another_pot, [CONTRIBUTION]),
        (a_contribution_from_main, [CONTRIBUTION]),
        (a_contribution_split_over_two_pots, [CONTRIBUTION]),
    ],
)
def test_each_corruption_of_a_pot_is_named(pots, break_it, detected):
    break_it(pots)

    assert failed_checks() == detected
    with pytest.raises(CommandError, match=re.escape(detected[-1])):
        call_command("verify_ledger")
