"""What the platform offers: the active plans and the current rates.

Both are read on most client screens and change only when staff edit them,
so their wire documents (``plans_active_data``, ``rates_current_data``) are
kept in the cache (:mod:`accounting.cache`); ``accounting/signals.py``
invalidates them on every write of the rows behind them, once the write
commits. The models behind them are read uncached.
"""

import datetime as dt
import uuid
from typing import Any

from django.db.models import Min, OuterRef, QuerySet, Subquery

from accounting import cache, errors, models, wire

PLANS = "plans"
RATES = "rates"


def plans_active() -> QuerySet[models.Plan]:
    """Returns the plans on offer, by name."""
    return models.Plan.objects.filter(is_active=True).order_by("name", "id")


def plan_get_active(*, plan_id: str) -> models.Plan:
    """Returns an active plan.

    Args:
        plan_id: The plan id as given (anything but a UUID is unknown).

    Returns:
        The plan.

    Raises:
        PlanNotFoundError: No active plan has that id.
    """
    try:
        pk = uuid.UUID(str(plan_id))
    except ValueError as error:
        raise errors.PlanNotFoundError() from error
    plan = plans_active().filter(pk=pk).first()
    if plan is None:
        raise errors.PlanNotFoundError()
    return plan


def plans_active_data() -> list[dict[str, Any]]:
    """Returns the plans on offer as wire documents, by name (cached)."""
    return cache.cached(
        PLANS,
        "active",
        lambda: [wire.plan_data(plan) for plan in plans_active()],
    )


def rates_current(
    *, base: str | None = None, at: dt.datetime
) -> list[models.Rate]:
    """Returns, per currency pair, the rate valid at an instant.

    The newest ``valid_from <= at`` of each pair, by a correlated subquery
    on the ``(base, quote, valid_from)`` unique index (PostgreSQL's
    ``DISTINCT ON`` would say it shorter; this runs on SQLite too).

    Args:
        base: Only pairs selling this currency.
        at: The instant.

    Returns:
        The rates, sorted by base then quote.
    """
    query = models.Rate.objects.filter(valid_from__lte=at)
    if base:
        query = query.filter(base=base)
    newest = query.filter(
        valid_from=Subquery(
            query.filter(base=OuterRef("base"), quote=OuterRef("quote"))
            .order_by("-valid_from")
            .values("valid_from")[:1]
        )
    )
    return list(newest.order_by("base", "quote"))


def _rates_answer(*, base: str | None, at: dt.datetime) -> dict[str, Any]:
    """Computes the current rates and how long they stay current.

    Returns:
        ``{"at", "rates": [rate documents], "next_change"}``; the answer
        holds for every instant in ``[at, next_change)`` (None: until a
        rate is written), as the next future-dated rate changes it.
    """
    future = models.Rate.objects.filter(valid_from__gt=at)
    if base:
        future = future.filter(base=base)
    return {
        "at": at,
        "rates": [wire.rate_data(r) for r in rates_current(base=base, at=at)],
        "next_change": future.aggregate(first=Min("valid_from"))["first"],
    }


def rates_current_data(
    *, base: str | None = None, at: dt.datetime
) -> list[dict[str, Any]]:
    """Returns, per currency pair, the rate valid at an instant (cached).

    A cached answer is used only from the instant it was computed for up
    to (excluding) the ``valid_from`` of the first future-dated rate, so
    that rate shows exactly when it becomes valid. Another instant (a
    process whose clock lags) is computed afresh.

    Args:
        base: Only pairs selling this currency.
        at: The instant, normally now.

    Returns:
        Rate documents ``{base, quote, rate, valid_from}``, sorted by base
        then quote.
    """
    answer = cache.cached(
        RATES,
        base or "*",
        lambda: _rates_answer(base=base, at=at),
        until=lambda answer: answer["next_change"],
    )
    if answer["at"] > at:
        answer = _rates_answer(base=base, at=at)
    return answer["rates"]
