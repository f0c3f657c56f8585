"""A holder's statement: figures of the as-of balance, entries that add up."""

import datetime as dt
import decimal

import pytest

from accounting import errors, selectors, services
from accounting.tests import factories
from accounting.tests.conftest import frozen_clock

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
TICK = dt.timedelta(microseconds=1)


@pytest.fixture
def history(holder):
    """Movements around November 2026 (10% saved; USD and EUR).

    Before it, at its first instant, inside, at its last microsecond, at
    its end (December's) and after.
    """
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal("0.5"),
        valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    services.account_open(holder=holder, currency="EUR")

    def credit(amount: int) -> None:
        services.credit_apply(
            holder_id=holder.pk, amount=amount, currency="USD"
        )

    with frozen_clock(START - dt.timedelta(days=3)) as clock:
        credit(10_000)  # before: 90.00 main, 10.00 savings
        clock.now = START - TICK
        credit(1_000)  # the last microsecond before the period
        clock.now = START
        credit(5_000)  # exactly at the start: in
        clock.now = START + dt.timedelta(days=3)
        services.withdrawal_apply(
            holder_id=holder.pk, amount=2_000, currency="USD"
        )
        clock.advance(hours=1)
        services.conversion_apply(
            holder_id=holder.pk,
            from_currency="USD",
            to_currency="EUR",
            amount=4_000,
        )
        clock.now = END - TICK
        credit(300)  # the last microsecond of the period: in
        clock.now = END
        credit(700)  # exactly at the end: the next period's
        clock.advance(days=2)
        credit(900)
    return holder


def figures(statement):
    """``{(currency, kind): (opening, [amounts], closing)}``."""
    return {
        (wallet.account.currency, wallet.account.kind): (
            wallet.opening,
            [entry.amount for entry in wallet.entries],
            wallet.closing,
        )
        for wallet in statement.wallets
    }


def test_opening_and_closing_are_the_as_of_balances(history):
    statement = selectors.statement_get(holder=history, start=START, end=END)

    for currency in ("EUR", "USD"):
        before = selectors.balance_at(
            holder=history, currency=currency, at=START - TICK
        )
        last = selectors.balance_at(
            holder=history, currency=currency, at=END - TICK
        )
        for wallet in statement.wallets:
            if wallet.account.currency == currency:
                kind = wallet.account.kind
                assert wallet.opening == getattr(before, kind)
                assert wallet.closing == getattr(last, kind)


def test_entries_add_up_from_opening_to_closing(history):
    statement = selectors.statement_get(holder=history, start=START, end=END)

    assert figures(statement) == {
        # 99.00 + 45.00 - 20.00 - 40.00 + 2.70 = 86.70 (main)
        ("EUR", "main"): (0, [2_000], 2_000),
        ("EUR", "savings"): (0, [], 0),
        ("USD", "main"): (9_900, [4_500, -2_000, -4_000, 270], 8_670),
        ("USD", "savings"): (1_100, [500, 30], 1_630),
    }
    for opening, amounts, closing in figures(statement).values():
        assert opening + sum(amounts) == closing


def test_each_wallets_running_balance_ends_at_the_closing(history):
    statement = selectors.statement_get(holder=history, start=START, end=END)

    for wallet in statement.wallets:
        entries = list(wallet.entries)
        if entries:
            assert entries[-1].balance_after == wallet.closing
            first = entries[0]
            assert first.balance_after - first.amount == wallet.opening


def test_the_bounds_are_half_open(history):
    statement = selectors.statement_get(holder=history, start=START, end=END)
    main = statement.wallets[2]
    instants = [entry.occurred_at for entry in main.entries]

    assert (main.account.currency, main.account.kind) == ("USD", "main")
    assert instants[0] == START  # booked at the start: in
    assert instants[-1] == END - TICK
    assert END not in instants  # booked at the end: the next period's


def test_back_to_back_periods_share_no_entry_and_miss_none(history):
    middle = START + dt.timedelta(days=3, minutes=30)
    whole = selectors.statement_get(holder=history, start=START, end=END)
    first = selectors.statement_get(holder=history, start=START, end=middle)
    second = selectors.statement_get(holder=history, start=middle, end=END)

    for key, (opening, amounts, _) in figures(whole).items():
        first_opening, first_amounts, first_closing = figures(first)[key]
        second_opening, second_amounts, _ = figures(second)[key]
        assert first_opening == opening
        assert second_opening == first_closing
        assert first_amounts + second_amounts == amounts
    after = selectors.statement_get(
        holder=history, start=END, end=END + dt.timedelta(days=30)
    )
    usd_main = figures(after)[("USD", "main")]
    assert usd_main[0] == figures(whole)[("USD", "main")][2]
    assert usd_main[1] == [630, 810]


def test_a_period_before_any_movement_is_zeros(holder):
    statement = selectors.statement_get(
        holder=holder, start=START, end=START + dt.timedelta(days=1)
    )

    assert figures(statement) == {
        ("USD", "main"): (0, [], 0),
        ("USD", "savings"): (0, [], 0),
    }


def test_an_empty_period_is_allowed(history):
    statement = selectors.statement_get(holder=history, start=END, end=END)

    for opening, amounts, closing in figures(statement).values():
        assert amounts == []
        assert opening == closing


def test_a_reversed_period_is_refused(holder):
    with pytest.raises(errors.InvalidRangeError):
        selectors.statement_get(holder=holder, start=END, end=START)
