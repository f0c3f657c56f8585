"""The business at a glance: what the admin's dashboard shows.

Every figure is an aggregate computed by the database (``GROUP BY`` the
day, the kind and the currency), so the dashboard costs a few index range
scans whatever the ledger's size, never a row per movement in Python.

Days are those of the current time zone (``TIME_ZONE``): a period runs
from the first day's midnight to the midnight after the last day. Money
goes by the ledger's clock, ``occurred_at``: when it moved, as the
platform's books see it (a holder's dated record counts on its booking
day here, on its own date in the holder's reports).

What the figures mean:

* money flows: per day, kind and currency, the count and the sum of the
  journal headers; the kinds are ``Transaction.Kind``'s, whatever they
  are. A transfer is two headers (``transfer_out`` and ``transfer_in``),
  a conversion is counted in the currency it sold;
* savings rate: per currency, what the period's movements left in savings
  accounts (the savings part of each credit, less what holders released
  from savings to main; a group contribution stays saved) divided by what
  was credited. The same "saved" as a holder's report (issue 4), over
  every holder, with credits as the base: transfers only move money
  between holders;
* the largest movements of the day: per currency, the headers with the
  largest amounts, a transfer once (its ``transfer_out``);
* propagation: how long user events took from users' outbox to
  accounting (``ProcessedEvent``: written at, processed at), and the
  webhook outbox's backlog as the metrics read it (``metrics.OUTBOX``).
"""

import dataclasses
import datetime as dt
import decimal
from collections import defaultdict
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from accounting import metrics, models
from config import money

# Days a period spans by default, and at most (a year of daily bars).
DEFAULT_DAYS = 30
MAX_DAYS = 366
# Largest movements shown per currency.
TOP_MOVEMENTS = 10

_Kind = models.Transaction.Kind


@dataclasses.dataclass(frozen=True)
class Period:
    """Whole days of the current time zone, both ends included.

    Attributes:
        first: The first day.
        last: The last day.
    """

    first: dt.date
    last: dt.date

    @classmethod
    def ending(cls, last: dt.date, days: int = DEFAULT_DAYS) -> "Period":
        """Returns the period of ``days`` days that ends on ``last``."""
        return cls(last - dt.timedelta(days=days - 1), last)

    @property
    def start(self) -> dt.datetime:
        """The first instant of the period."""
        return _midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period."""
        return _midnight(self.last + dt.timedelta(days=1))

    def days(self) -> list[dt.date]:
        """Returns every day of the period, in order."""
        count = (self.last - self.first).days + 1
        return [self.first + dt.timedelta(days=n) for n in range(count)]


def _midnight(day: dt.date) -> dt.datetime:
    """Returns the first instant of a day in the current time zone."""
    return dt.datetime.combine(
        day, dt.time.min, tzinfo=timezone.get_current_timezone()
    )


def _day() -> TruncDate:
    """The day of ``occurred_at`` in the current time zone."""
    return TruncDate("occurred_at", tzinfo=timezone.get_current_timezone())


def _major(minor: int, currency: str) -> float:
    """An amount in major units for a chart's axis (display only)."""
    return float(money.format_amount(minor, currency))


@dataclasses.dataclass(frozen=True)
class Flow:
    """The movements of one kind in one currency on one day."""

    day: dt.date
    kind: str
    currency: str
    count: int
    total: int


def money_flows(period: Period) -> list[Flow]:
    """Returns the count and sum of the journal headers per day and kind.

    One ``GROUP BY`` over the period's range of the ``occurred_at`` index.
    """
    rows = (
        models.Transaction.objects.filter(
            occurred_at__gte=period.start, occurred_at__lt=period.end
        )
        .annotate(day=_day())
        .values("day", "kind", "currency")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("day", "kind", "currency")
    )
    return [Flow(**row) for row in rows]


def savings_moved(period: Period) -> dict[tuple[dt.date, str], int]:
    """Returns the net moved into savings accounts per day and currency.

    Credits' savings parts less savings released to main. An entry has its
    transaction's instant (``verify_ledger``'s ``entry-time``), so both
    are bounded by the period: each side is read through its own
    ``occurred_at`` index (migration 0015), never the whole journal.
    """
    rows = (
        models.Entry.objects.filter(
            occurred_at__gte=period.start,
            occurred_at__lt=period.end,
            transaction__occurred_at__gte=period.start,
            transaction__occurred_at__lt=period.end,
            transaction__kind__in=[_Kind.CREDIT, _Kind.SAVINGS_RELEASE],
            account__kind=models.Account.Kind.SAVINGS,
        )
        .annotate(day=_day())
        .values("day", "currency")
        .annotate(total=Sum("amount"))
        .order_by("day", "currency")
    )
    return {(row["day"], row["currency"]): row["total"] for row in rows}


@dataclasses.dataclass(frozen=True)
class SavingsRate:
    """The savings rate of one currency over the period.

    Attributes:
        currency: The currency.
        credited: What was credited, in minor units.
        saved: What stayed in savings of it, in minor units.
        rate: ``saved / credited`` in percent, two places; None when
            nothing was credited.
    """

    currency: str
    credited: int
    saved: int
    rate: decimal.Decimal | None


def _rate(saved: int, credited: int) -> decimal.Decimal | None:
    """Returns ``saved / credited`` in percent, or None for no credit."""
    if not credited:
        return None
    return (decimal.Decimal(100 * saved) / credited).quantize(
        decimal.Decimal("0.01")
    )


def savings_rates(
    flows: list[Flow], saved: dict[tuple[dt.date, str], int]
) -> list[SavingsRate]:
    """Returns the period's savings rate per currency (see the module)."""
    credited: dict[str, int] = defaultdict(int)
    for flow in flows:
        if flow.kind == _Kind.CREDIT:
            credited[flow.currency] += flow.total
    kept: dict[str, int] = defaultdict(int)
    for (_, currency), total in saved.items():
        kept[currency] += total
    return [
        SavingsRate(
            currency,
            credited[currency],
            kept[currency],
            _rate(kept[currency], credited[currency]),
        )
        for currency in sorted(set(credited) | set(kept))
    ]


def holders_per_plan() -> list[dict[str, Any]]:
    """Returns how many open holders chose each plan, most chosen first.

    Holders without a plan are one row, ``plan_id`` None.
    """
    return list(
        models.Holder.objects.filter(closed_at__isnull=True)
        .values("plan_id", "plan__name", "plan__currency")
        .annotate(count=Count("user_id"))
        .order_by("-count", "plan__name")
    )


def holders_new(period: Period) -> dict[dt.date, int]:
    """Returns how many holders accounting opened per day of the period."""
    rows = (
        models.Holder.objects.filter(
            created_at__gte=period.start, created_at__lt=period.end
        )
        .annotate(
            day=TruncDate("created_at", tzinfo=timezone.get_current_timezone())
        )
        .values("day")
        .annotate(count=Count("user_id"))
        .order_by("day")
    )
    return {row["day"]: row["count"] for row in rows}


def movements_largest(
    *, now: dt.datetime, limit: int = TOP_MOVEMENTS
) -> list[models.Transaction]:
    """Returns today's largest movements, ``limit`` per currency.

    Today is the current time zone's day of ``now``. Amounts of two
    currencies do not compare, so each currency has its own ranking (a
    window function in the database); a transfer appears once, as its
    ``transfer_out``.
    """
    today = _midnight(timezone.localdate(now))
    ranked = (
        models.Transaction.objects.filter(occurred_at__gte=today)
        .exclude(kind=_Kind.TRANSFER_IN)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("currency")],
                order_by=[F("amount").desc(), F("id")],
            )
        )
        .filter(rank__lte=limit)
        .select_related("holder")
        .order_by("currency", "rank")
    )
    return list(ranked)


@dataclasses.dataclass(frozen=True)
class Propagation:
    """How fast changes travel between the services.

    Attributes:
        events: User events accounting processed in the period.
        lag_average: Their average time from users' outbox to accounting
            (events that say when they were written), or None.
        lag_max: The longest such time, or None.
        last_processed_at: When the newest event was processed, or None.
        webhooks_pending: Webhook deliveries waiting to be sent.
        webhooks_overdue: Seconds the most overdue one has been due.
    """

    events: int
    lag_average: dt.timedelta | None
    lag_max: dt.timedelta | None
    last_processed_at: dt.datetime | None
    webhooks_pending: int
    webhooks_overdue: float


def propagation(period: Period) -> Propagation:
    """Returns the user events' lag in the period and the webhook backlog."""
    events = models.ProcessedEvent.objects.filter(
        processed_at__gte=period.start, processed_at__lt=period.end
    )
    lag = ExpressionWrapper(
        F("processed_at") - F("occurred_at"), output_field=DurationField()
    )
    totals = events.aggregate(
        count=Count("event_id"),
        timed=Count("occurred_at"),
        lag_total=Sum(lag),
        lag_max=Max(lag),
        last=Max("processed_at"),
    )
    average = totals["lag_total"] / totals["timed"] if totals["timed"] else None
    pending, overdue = webhook_backlog()
    return Propagation(
        events=totals["count"],
        lag_average=average,
        lag_max=totals["lag_max"],
        last_processed_at=totals["last"],
        webhooks_pending=pending,
        webhooks_overdue=overdue,
    )


def webhook_backlog() -> tuple[int, float]:
    """Returns the pending webhook deliveries and the oldest one's delay.

    The query Prometheus's scrape runs (``metrics.OUTBOX``), so the
    dashboard and the alerts agree.
    """
    outbox = metrics.OUTBOX
    sql = outbox.sql if connection.vendor == "postgresql" else outbox.sqlite_sql
    with connection.cursor() as cursor:
        cursor.execute(sql)
        count, waited = cursor.fetchone()
    return int(count), max(0.0, float(waited or 0))


def ledger_check_current() -> models.LedgerCheckRun | None:
    """Returns the run of ``verify_ledger`` under way, if any."""
    runs = models.LedgerCheckRun.objects.filter(finished_at__isnull=True)
    return runs.first()


def ledger_check_last() -> models.LedgerCheckRun | None:
    """Returns the last finished run of ``verify_ledger``, if any."""
    return (
        models.LedgerCheckRun.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .first()
    )


def flows_chart(period: Period, flows: list[Flow]) -> dict[str, Any]:
    """Returns the money flows as chart data: per currency, a bar per kind.

    Every day of the period has a value (0 when nothing moved), and every
    kind of ``Transaction.Kind`` a series, so a new kind shows without a
    change here. Amounts are in major units.
    """
    days = period.days()
    index = {day: position for position, day in enumerate(days)}
    totals: dict[str, dict[str, list[float]]] = {}
    for flow in flows:
        series = totals.setdefault(flow.currency, {})
        values = series.setdefault(flow.kind, [0.0] * len(days))
        values[index[flow.day]] = _major(flow.total, flow.currency)
    return {
        "labels": [day.isoformat() for day in days],
        "currencies": {
            currency: [
                {"kind": kind, "label": label, "data": series[kind]}
                for kind, label in _Kind.choices
                if kind in series
            ]
            for currency, series in sorted(totals.items())
        },
    }


def savings_chart(
    period: Period, flows: list[Flow], saved: dict[tuple[dt.date, str], int]
) -> dict[str, Any]:
    """Returns the savings rate per day and currency as chart data.

    A day without credits has no rate (``None``: a gap in the line).
    """
    days = period.days()
    credited: dict[tuple[dt.date, str], int] = defaultdict(int)
    for flow in flows:
        if flow.kind == _Kind.CREDIT:
            credited[flow.day, flow.currency] += flow.total
    currencies = sorted({currency for _, currency in [*credited, *saved]})

    def percent(day: dt.date, currency: str) -> float | None:
        rate = _rate(saved.get((day, currency), 0), credited[day, currency])
        return None if rate is None else float(rate)

    return {
        "labels": [day.isoformat() for day in days],
        "currencies": {
            currency: [percent(day, currency) for day in days]
            for currency in currencies
        },
    }


def holders_chart(period: Period, new: dict[dt.date, int]) -> dict[str, Any]:
    """Returns the new holders per day as chart data."""
    days = period.days()
    return {
        "labels": [day.isoformat() for day in days],
        "data": [new.get(day, 0) for day in days],
    }
