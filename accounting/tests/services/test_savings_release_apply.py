"""savings_release_apply and the plan's holding period (savings_held)."""

import datetime as dt
import decimal

import pytest

from accounting import errors, models, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_state, postings, wallet

pytestmark = pytest.mark.usefixtures("deferred_constraints")

DAY = dt.timedelta(days=1)
TICK = dt.timedelta(microseconds=1)


def release(holder, amount, currency="USD", **kwargs):
    return services.savings_release_apply(
        holder_id=holder.pk, amount=amount, currency=currency, **kwargs
    )


def credit(holder, amount, currency="USD"):
    return services.credit_apply(
        holder_id=holder.pk, amount=amount, currency=currency
    )


def saving_plan(holder, hold_days, percentage="50.00"):
    """Gives the holder a plan that saves a share and holds it some days."""
    plan = factories.PlanFactory(
        percentage=decimal.Decimal(percentage), savings_hold_days=hold_days
    )
    services.plan_assign(holder=holder, plan=plan)
    return plan


def test_savings_move_back_to_main(funded_holder):
    # funded_holder: 10% plan without holding period; savings 10.00.
    result = release(funded_holder, 400, description="Treat")

    assert not result.replayed
    assert result.body["balances"] == {"main": "94.00", "savings": "6.00"}
    txn = result.body["transaction"]
    assert txn["effective_at"] == txn["occurred_at"]
    assert {
        k: txn[k] for k in txn if k not in ("id", "occurred_at", "effective_at")
    } == {
        "kind": "savings_release",
        "amount": "4.00",
        "currency": "USD",
        "description": "Treat",
        "source": "",
        "category": None,
        "splits": [
            {"account_kind": "savings", "currency": "USD", "amount": "-4.00"},
            {"account_kind": "main", "currency": "USD", "amount": "4.00"},
        ],
        "plan": None,
        "counterparty_account": None,
        "conversion": None,
        "group": None,
        "reverses": None,
        "reversed_by": None,
    }
    # No system account takes part: the money stays with the holder.
    assert postings(result.transaction) == [
        ("savings", "USD", -400, 2, 600),
        ("main", "USD", 400, 2, 9_400),
    ]


def test_all_savings_can_be_released(funded_holder):
    result = release(funded_holder, 1_000)

    assert result.body["balances"] == {"main": "100.00", "savings": "0.00"}
    assert wallet(funded_holder)["savings"].balance == 0


def test_without_a_plan_nothing_is_held(holder, clock):
    saving_plan(holder, hold_days=30)
    credit(holder, 1_000)
    services.plan_assign(holder=holder, plan=None)
    clock.advance(seconds=1)

    result = release(holder, 500)

    assert result.body["balances"] == {"main": "10.00", "savings": "0.00"}


def test_a_holding_period_of_zero_days_holds_nothing(holder):
    saving_plan(holder, hold_days=0)
    credit(holder, 1_000)

    result = release(holder, 500)

    assert result.body["balances"]["savings"] == "0.00"


def test_more_than_the_savings_is_insufficient_funds(holder):
    # Even while everything is held, asking for more than there is says so.
    saving_plan(holder, hold_days=30)
    credit(holder, 1_000)
    before = ledger_state()

    with pytest.raises(errors.InsufficientFundsError) as caught:
        release(holder, 501)

    assert caught.value.code == "insufficient_funds"
    assert caught.value.detail == "The savings account holds 5.00 USD."
    assert ledger_state() == before


def assert_locked(holder, amount, free):
    before = ledger_state()
    with pytest.raises(errors.SavingsLockedError) as caught:
        release(holder, amount, idempotency_key="locked", request_hash="h")
    assert caught.value.code == "savings_locked"
    assert caught.value.detail == (
        f"The plan holds savings for 30 days; {free} USD can be released now."
    )
    assert ledger_state() == before


def test_savings_are_held_for_the_plans_days(holder, clock):
    saving_plan(holder, hold_days=30)
    start = clock.now
    credit(holder, 2_000)  # savings +10.00 at day 0
    clock.now = start + 20 * DAY
    credit(holder, 1_000)  # savings +5.00 at day 20

    # Day 29: both credits are less than 30 days old.
    clock.now = start + 30 * DAY - TICK
    assert_locked(holder, 1, free="0.00")
    # Day 30 exactly: the first credit is 30 days old, so free.
    clock.now = start + 30 * DAY
    assert_locked(holder, 1_001, free="10.00")
    result = release(holder, 1_000)
    assert result.body["balances"] == {"main": "25.00", "savings": "5.00"}
    # The 5.00 of day 20 stays held until day 50.
    clock.now = start + 50 * DAY - TICK
    assert_locked(holder, 1, free="0.00")
    clock.now = start + 50 * DAY
    assert release(holder, 500).body["balances"]["savings"] == "0.00"


def test_a_release_counts_against_the_oldest_savings(holder, clock):
    saving_plan(holder, hold_days=30)
    start = clock.now
    credit(holder, 2_000)  # +10.00 at day 0
    clock.now = start + 31 * DAY
    credit(holder, 600)  # +3.00 at day 31, held

    release(holder, 400)  # 4.00 of the 10.00 that is free

    # 9.00 left: the 3.00 of day 31 is held, the 6.00 older is free.
    assert_locked(holder, 601, free="6.00")
    assert release(holder, 600).body["balances"]["savings"] == "3.00"


def test_savings_held_is_never_more_than_the_balance(holder, clock):
    saving_plan(holder, hold_days=30)
    savings = wallet(holder)["savings"]
    assert (
        services.savings_held(savings=savings, plan=holder.plan, at=clock.now)
        == 0
    )
    credit(holder, 2_000)
    savings = wallet(holder)["savings"]
    held = services.savings_held(
        savings=savings, plan=holder.plan, at=clock.now
    )
    assert held == 1_000
    # An account object whose balance is lower (as if released) caps it.
    savings.balance = 300
    assert (
        services.savings_held(savings=savings, plan=holder.plan, at=clock.now)
        == 300
    )
    assert services.savings_held(savings=savings, plan=None, at=clock.now) == 0


def test_jpy_savings_release(holder):
    services.account_open(holder=holder, currency="JPY")
    plan = factories.PlanFactory(
        currency="JPY", percentage=decimal.Decimal("10.00")
    )
    services.plan_assign(holder=holder, plan=plan)
    credit(holder, 1_005, "JPY")  # 100.5 rounds half to even: 100 saved

    result = release(holder, 100, "JPY")

    assert result.body["balances"] == {"main": "1005", "savings": "0"}
    assert result.body["transaction"]["splits"][0] == {
        "account_kind": "savings",
        "currency": "JPY",
        "amount": "-100",
    }


@pytest.mark.parametrize(
    ("setup", "currency", "error", "code"),
    [
        (
            lambda h: services.account_close(account=wallet(h)["main"]),
            "USD",
            errors.AccountClosedError,
            "account_closed",
        ),
        (lambda h: None, "GBP", errors.AccountNotOpenError, "account_not_open"),
    ],
)
def test_refusals_change_nothing(funded_holder, setup, currency, error, code):
    setup(funded_holder)
    before = ledger_state()

    with pytest.raises(error) as caught:
        release(funded_holder, 100, currency)

    assert caught.value.code == code
    assert ledger_state() == before
    assert not models.Transaction.objects.filter(
        kind="savings_release"
    ).exists()
