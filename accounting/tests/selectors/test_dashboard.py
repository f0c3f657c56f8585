"""The dashboard's figures: exact sums per day, kind and currency."""

import datetime as dt
import decimal
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounting import models, services
from accounting.selectors import dashboard
from accounting.tests import factories
from accounting.tests.api.conftest import main_account

pytestmark = pytest.mark.django_db

DAY_1 = dt.date(2026, 3, 10)
DAY_2 = dt.date(2026, 3, 11)
START = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
# 23:30 UTC on day 1 is 00:30 on day 2 in Paris (UTC+1 in March).
LATE = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC)
MORNING = dt.datetime(2026, 3, 11, 8, 0, tzinfo=dt.UTC)
NOON = dt.datetime(2026, 3, 11, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def ada(clock):
    """A holder opened on day 1, under a 10% USD plan, with EUR too."""
    clock.now = START - dt.timedelta(hours=1)
    holder = factories.HolderFactory(email="ada@example.com")
    services.account_open(holder=holder, currency="EUR")
    services.plan_assign(
        holder=holder, plan=factories.PlanFactory(name="Save 10%")
    )
    return holder


@pytest.fixture
def history(ada, clock):
    """Two days of movements (see each line); returns the other holder.

    Day 1 (UTC): a credit of 100.00 USD at 09:00 (10.00 saved) and a
    withdrawal of 12.34 USD at 23:30. Day 2 at 08:00: a transfer of 5.00
    USD to Bob (opened on day 2, no plan), a credit of 50.00 USD (5.00
    saved), a savings release of 3.00 USD, a conversion of 10.00 USD to
    EUR (5.00 EUR), and a credit of 70.00 EUR (the USD plan saves
    nothing of it).
    """
    services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal("0.5"),
        valid_from=START - dt.timedelta(days=1),
    )
    usd = {"holder_id": ada.pk, "currency": "USD"}
    clock.now = START
    services.credit_apply(amount=10_000, **usd)
    clock.now = LATE
    services.withdrawal_apply(amount=1_234, category="food", **usd)
    clock.now = MORNING
    bob = factories.HolderFactory(email="bob@example.com")
    services.transfer_apply(
        to_account=uuid.UUID(main_account(bob)), amount=500, **usd
    )
    clock.advance(minutes=1)
    services.credit_apply(amount=5_000, **usd)
    services.savings_release_apply(amount=300, **usd)
    clock.advance(minutes=1)
    services.conversion_apply(
        holder_id=ada.pk, from_currency="USD", to_currency="EUR", amount=1_000
    )
    clock.advance(minutes=1)
    services.credit_apply(holder_id=ada.pk, amount=7_000, currency="EUR")
    clock.now = NOON
    return bob


def flows(period):
    return {
        (f.day, f.kind, f.currency): (f.count, f.total)
        for f in dashboard.money_flows(period)
    }


def test_flows_per_day_kind_and_currency(history):
    assert flows(dashboard.Period(DAY_1, DAY_2)) == {
        (DAY_1, "credit", "USD"): (1, 10_000),
        (DAY_1, "withdrawal", "USD"): (1, 1_234),
        (DAY_2, "transfer_out", "USD"): (1, 500),
        (DAY_2, "transfer_in", "USD"): (1, 500),
        (DAY_2, "credit", "USD"): (1, 5_000),
        (DAY_2, "savings_release", "USD"): (1, 300),
        (DAY_2, "conversion", "USD"): (1, 1_000),
        (DAY_2, "credit", "EUR"): (1, 7_000),
    }


def test_days_are_those_of_the_current_time_zone(history):
    with timezone.override("Europe/Paris"):
        found = flows(dashboard.Period(DAY_1, DAY_2))
        only_day_1 = flows(dashboard.Period(DAY_1, DAY_1))

    # The withdrawal at 23:30 UTC is past midnight in Paris.
    assert found[DAY_2, "withdrawal", "USD"] == (1, 1_234)
    assert (DAY_1, "withdrawal", "USD") not in found
    assert only_day_1 == {(DAY_1, "credit", "USD"): (1, 10_000)}


def test_the_period_includes_both_ends_and_nothing_else(history):
    assert flows(dashboard.Period(DAY_2, DAY_2)).keys() == {
        key for key in flows(dashboard.Period(DAY_1, DAY_2)) if key[0] == DAY_2
    }
    before = DAY_1 - dt.timedelta(days=1)
    assert not flows(dashboard.Period(before - dt.timedelta(days=9), before))


def test_savings_rate_per_currency(history):
    period = dashboard.Period(DAY_1, DAY_2)
    found = dashboard.money_flows(period)
    saved = dashboard.savings_moved(period)

    # Day 1: 10.00 saved of 100.00; day 2: 5.00 saved less 3.00 released.
    assert saved == {(DAY_1, "USD"): 1_000, (DAY_2, "USD"): 200}
    assert dashboard.savings_rates(found, saved) == [
        dashboard.SavingsRate("EUR", 7_000, 0, decimal.Decimal("0.00")),
        dashboard.SavingsRate("USD", 15_000, 1_200, decimal.Decimal("8.00")),
    ]
    assert dashboard.savings_chart(period, found, saved) == {
        "labels": ["2026-03-10", "2026-03-11"],
        "currencies": {"EUR": [None, 0.0], "USD": [10.0, 4.0]},
    }


def test_no_credit_no_rate():
    assert dashboard.savings_rates([], {(DAY_1, "USD"): -300}) == [
        dashboard.SavingsRate("USD", 0, -300, None)
    ]


def test_the_flows_chart_has_every_day_and_each_kind_in_its_order(history):
    period = dashboard.Period(DAY_1, dt.date(2026, 3, 12))

    chart = dashboard.flows_chart(period, dashboard.money_flows(period))

    assert chart["labels"] == ["2026-03-10", "2026-03-11", "2026-03-12"]
    assert chart["currencies"]["EUR"] == [
        {"kind": "credit", "label": "Credit", "data": [0.0, 70.0, 0.0]}
    ]
    usd = {s["kind"]: s["data"] for s in chart["currencies"]["USD"]}
    assert list(usd) == [
        "credit",
        "transfer_out",
        "transfer_in",
        "withdrawal",
        "conversion",
        "savings_release",
    ]
    assert usd["credit"] == [100.0, 50.0, 0.0]
    assert usd["withdrawal"] == [12.34, 0.0, 0.0]


def test_holders_per_plan_and_new_per_day(history, ada, clock):
    closed = factories.HolderFactory()
    closed.closed_at = clock.now
    closed.save()

    assert [
        (row["plan__name"], row["count"])
        for row in dashboard.holders_per_plan()
    ] == [("Save 10%", 1), (None, 1)]
    # Ada on day 1, Bob and the closed holder on day 2 (opened at noon).
    new = dashboard.holders_new(dashboard.Period(DAY_1, DAY_2))
    assert new == {DAY_1: 1, DAY_2: 2}
    assert dashboard.holders_chart(dashboard.Period(DAY_1, DAY_1), new) == {
        "labels": ["2026-03-10"],
        "data": [1],
    }


def test_the_largest_movements_of_today_per_currency(history):
    found = dashboard.movements_largest(now=NOON, limit=2)

    assert [(t.currency, t.kind, t.amount) for t in found] == [
        ("EUR", "credit", 7_000),
        ("USD", "credit", 5_000),
        ("USD", "conversion", 1_000),
    ]
    # The transfer once, as its outgoing half; nothing of yesterday.
    everything = dashboard.movements_largest(now=NOON)
    assert [t.kind for t in everything if t.currency == "USD"] == [
        "credit",
        "conversion",
        "transfer_out",
        "savings_release",
    ]
    with timezone.override("Pacific/Kiritimati"):  # UTC+14: day 3 at noon
        assert dashboard.movements_largest(now=NOON) == []


def test_the_dashboard_is_a_few_aggregate_queries(history):
    period = dashboard.Period(DAY_1, DAY_2)
    with CaptureQueriesContext(connection) as queries:
        dashboard.money_flows(period)
        dashboard.savings_moved(period)
        dashboard.holders_new(period)

    assert len(queries) == 3
    assert all("GROUP BY" in query["sql"] for query in queries)


def test_propagation_lag_of_user_events(clock):
    clock.now = START
    for seconds in (2, 4):
        models.ProcessedEvent.objects.create(
            event_id=uuid.uuid4(),
            occurred_at=START - dt.timedelta(seconds=seconds),
        )
    models.ProcessedEvent.objects.create(event_id=uuid.uuid4())
    clock.now = START + dt.timedelta(days=2)
    models.ProcessedEvent.objects.create(
        event_id=uuid.uuid4(), occurred_at=START
    )

    found = dashboard.propagation(dashboard.Period(DAY_1, DAY_1))

    assert found == dashboard.Propagation(
        events=3,
        lag_average=dt.timedelta(seconds=3),
        lag_max=dt.timedelta(seconds=4),
        last_processed_at=START,
        webhooks_pending=0,
        webhooks_overdue=0.0,
    )


def test_no_event_no_lag():
    found = dashboard.propagation(dashboard.Period(DAY_1, DAY_2))

    assert (found.events, found.lag_average, found.lag_max) == (0, None, None)
    assert found.last_processed_at is None


def test_the_webhook_backlog_is_the_metrics_query(holder, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    services.endpoint_create(
        holder=holder, url="http://127.0.0.1:9/hooks", events=[]
    )
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    first, second = models.WebhookDelivery.objects.order_by("created_at", "id")
    first.next_attempt_at = timezone.now() - dt.timedelta(seconds=90)
    first.save()
    second.next_attempt_at = timezone.now() + dt.timedelta(hours=1)
    second.save()

    pending, overdue = dashboard.webhook_backlog()

    assert pending == 2
    # The database's now() is when the test's transaction began.
    assert 60 < overdue <= 90


def test_the_period_of_the_last_days():
    period = dashboard.Period.ending(DAY_2, days=2)

    assert period == dashboard.Period(DAY_1, DAY_2)
    assert period.days() == [DAY_1, DAY_2]
    with timezone.override("Europe/Paris"):
        assert period.start == dt.datetime(2026, 3, 9, 23, tzinfo=dt.UTC)
        assert period.end == dt.datetime(2026, 3, 11, 23, tzinfo=dt.UTC)


def test_ledger_check_runs_current_and_last():
    assert dashboard.ledger_check_current() is None
    assert dashboard.ledger_check_last() is None
    done = models.LedgerCheckRun.objects.create(
        status="completed", finished_at=timezone.now()
    )
    running = models.LedgerCheckRun.objects.create(status="running")

    assert dashboard.ledger_check_current() == running
    assert dashboard.ledger_check_last() == done


def test_the_journal_s_clock_has_its_brin_indexes():
    """The period's rows are found by range (migration 0015), not a scan."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes "
            "WHERE indexname LIKE 'accounting_%%_time_brin' ORDER BY 1"
        )
        found = cursor.fetchall()

    assert [table for table, _ in found] == [
        "accounting_entry",
        "accounting_transaction",
    ]
    for _, definition in found:
        assert "USING brin (occurred_at)" in definition
        assert "autosummarize='on'" in definition
