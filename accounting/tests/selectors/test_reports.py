"""report_summary: income, expenses and savings per group, in one query."""

import datetime as dt
import decimal
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounting import errors, selectors, services
from accounting.selectors import reports
from accounting.tests import factories
from accounting.tests.api.conftest import main_account

pytestmark = pytest.mark.django_db

JAN_END = dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC)
FEB_START = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


@pytest.fixture
def history(holder, clock):
    """A holder's movements across the end of January 2026 (UTC).

    Under a 10% USD plan: January: a credit of 100.00 (10.00 saved) from
    " Pay  Roll " and a withdrawal of 12.34 for "Food". February: a
    transfer out of 5.00, one in of 2.00, a savings release of 3.00, an
    uncategorised withdrawal of 1.00, a credit of 50.00 without a source
    (5.00 saved), a conversion of 10.00 to EUR and a group contribution
    of 4.00 (neither in any group), and movements in EUR and of another
    holder (not in a USD report).
    """
    other = factories.HolderFactory()
    services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal("0.5"),
        valid_from=JAN_END - dt.timedelta(days=1),
    )
    services.account_open(holder=holder, currency="EUR")
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    usd = {"holder_id": holder.pk, "currency": "USD"}
    clock.now = JAN_END
    services.credit_apply(amount=10_000, source=" Pay  Roll ", **usd)
    clock.advance(minutes=30)
    services.withdrawal_apply(amount=1_234, category="Food", **usd)
    clock.now = FEB_START + dt.timedelta(hours=1)
    services.transfer_apply(
        to_account=uuid.UUID(main_account(other)), amount=500, **usd
    )
    clock.advance(minutes=1)
    services.credit_apply(holder_id=other.pk, amount=1_000, currency="USD")
    services.transfer_apply(
        holder_id=other.pk,
        to_account=uuid.UUID(main_account(holder)),
        amount=200,
        currency="USD",
    )
    clock.advance(minutes=1)
    services.savings_release_apply(amount=300, **usd)
    services.withdrawal_apply(amount=100, category="   ", **usd)
    services.credit_apply(amount=5_000, **usd)
    services.conversion_apply(
        holder_id=holder.pk,
        from_currency="USD",
        to_currency="EUR",
        amount=1_000,
    )
    group = services.group_create(
        holder=holder, name="Trip", target_amount=10_000, currency="USD"
    )
    services.contribution_apply(group_id=group.id, amount=400, **usd)
    services.credit_apply(
        holder_id=holder.pk, amount=7_000, currency="EUR", source="pay roll"
    )
    clock.advance(minutes=1)
    return clock.now


def report(holder, group_by, start=None, end=None, currency="USD"):
    return selectors.report_summary(
        holder_id=holder.pk,
        currency=currency,
        start=start,
        end=end or dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        group_by=group_by,
    )


def groups(found):
    return [
        (g.key, g.income, g.expenses, g.saved, g.transactions)
        for g in found.groups
    ]


def test_totals_follow_the_definitions(holder, history):
    del history
    found = report(holder, "month")

    # Income: credits 100.00 + 50.00 and the transfer in of 2.00.
    assert found.income == 10_000 + 5_000 + 200
    # Expenses: withdrawals 12.34 + 1.00 and the transfer out of 5.00.
    assert found.expenses == 1_234 + 100 + 500
    # Saved: 10.00 + 5.00 from the plan, 3.00 released; the 4.00 sent to
    # the group's pot stays saved.
    assert found.saved == 1_000 + 500 - 300
    assert found.savings_rate == "7.89"  # 1200 / 15200 = 7.894...
    assert (found.currency, found.group_by, found.start) == (
        "USD",
        "month",
        None,
    )


def test_by_month_in_utc(holder, history):
    del history
    assert groups(report(holder, "month")) == [
        ("2026-01", 10_000, 1_234, 1_000, 2),
        ("2026-02", 5_200, 600, 200, 5),
    ]


def test_by_category_with_none_last(holder, history):
    del history
    found = report(holder, "category")

    # The label was stored normalised: "Food" is "food"; a blank one is
    # none, like every transaction that is not a withdrawal.
    assert groups(found) == [
        ("food", 0, 1_234, 0, 1),
        (None, 15_200, 600, 1_200, 6),
    ]
    assert [g.savings_rate for g in found.groups] == [None, "7.89"]


def test_by_source(holder, history):
    del history
    assert groups(report(holder, "source")) == [
        ("pay roll", 10_000, 0, 1_000, 1),
        (None, 5_200, 1_834, 200, 6),
    ]


def test_other_currencies_are_apart(holder, history):
    del history
    found = report(holder, "source", currency="EUR")

    # The EUR credit, not split (the plan is in USD); the EUR bought by
    # the conversion is no income.
    assert groups(found) == [("pay roll", 7_000, 0, 0, 1)]
    assert found.savings_rate == "0.00"


def test_both_ends_are_inclusive(holder, history):
    del history
    # Only the January withdrawal, at exactly the start, and up to the
    # last instant of January.
    start = JAN_END + dt.timedelta(minutes=30)
    end = FEB_START - dt.timedelta(microseconds=1)
    assert groups(report(holder, "category", start=start, end=end)) == [
        ("food", 0, 1_234, 0, 1)
    ]
    # Ending at the credit's instant takes it in.
    assert groups(report(holder, "month", end=JAN_END)) == [
        ("2026-01", 10_000, 0, 1_000, 1)
    ]


def test_an_empty_range_is_all_zero(holder, history):
    del history
    found = report(
        holder,
        "month",
        start=dt.datetime(2026, 2, 2, tzinfo=dt.UTC),
        end=dt.datetime(2026, 2, 3, tzinfo=dt.UTC),
    )

    assert found.groups == ()
    assert (found.income, found.expenses, found.saved) == (0, 0, 0)
    assert found.savings_rate is None


def test_a_reversal_counts_against_what_it_undoes_when_made(
    holder, history, clock
):
    """Reversals in March count in March, as what they undo.

    Staff reverse the February credit (no source, 5.00 saved), the
    January "food" withdrawal, the February transfer out and the
    conversion (in no group, like the conversion itself).
    """
    del history
    clock.now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    for kind in ("credit", "withdrawal", "transfer_out", "conversion"):
        original = (
            holder.transactions.filter(kind=kind, currency="USD")
            .order_by("-occurred_at" if kind == "credit" else "occurred_at")
            .first()
        )
        services.transaction_reverse(
            original=original, reason="Mistake", staff="staff@example.com"
        )
    end = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)

    # Past months keep their figures; March takes the corrections.
    assert groups(report(holder, "month", end=end)) == [
        ("2026-01", 10_000, 1_234, 1_000, 2),
        ("2026-02", 5_200, 600, 200, 5),
        ("2026-03", -5_000, -1_734, -500, 3),
    ]
    # Under the original's label: "food" nets to nothing.
    assert groups(report(holder, "category", end=end)) == [
        ("food", 0, 0, 0, 2),
        (None, 10_200, 100, 700, 8),
    ]
    assert groups(report(holder, "source", end=end)) == [
        ("pay roll", 10_000, 0, 1_000, 1),
        (None, 200, 100, -300, 9),
    ]


def test_one_query_whatever_the_grouping(holder, history):
    del history
    for group_by in reports.GROUP_BY:
        with CaptureQueriesContext(connection) as queries:
            report(holder, group_by)
        assert len(queries) == 1, group_by


def test_start_after_end_is_invalid_range(holder):
    with pytest.raises(errors.InvalidRangeError):
        report(
            holder,
            "month",
            start=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
            end=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        )


def test_an_unknown_grouping_is_a_bug(holder):
    with pytest.raises(ValueError, match="grouping"):
        report(holder, "year")


@pytest.mark.parametrize(
    ("saved", "income", "rate"),
    [
        (1, 8, "12.50"),
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (1, 80_000, "0.00"),  # 0.125 hundredths
        (3, 80_000, "0.00"),  # 0.375 hundredths
        (7, 80_000, "0.01"),  # 0.875 hundredths
        # Exact ties (k + 0.5 hundredths) go to the even hundredth.
        (1, 20_000, "0.00"),
        (3, 20_000, "0.02"),
        (5, 20_000, "0.02"),
        (-1, 20_000, "0.00"),
        (-3, 20_000, "-0.02"),
        (-5, 20_000, "-0.02"),
        (-1, 3, "-33.33"),
        (-300, 100, "-300.00"),
        (0, 100, "0.00"),
        (5, 0, None),
    ],
)
def test_savings_rate_is_exact_and_half_even(saved, income, rate):
    assert reports.savings_rate(saved=saved, income=income) == rate
