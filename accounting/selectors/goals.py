"""Reads of savings goals: what each has saved, and whether it is on track.

Goals are views on savings, with no money or counter of their own, so they
can never drift from the ledger: per currency, the holder's savings
balance is shared out among their goals in order (target date first,
undated last, then the oldest), each taking up to its target. The balances
come from one query; the allocation runs in Python over the holder's few
goals.
"""

import dataclasses
import datetime as dt
import uuid
from typing import Any

from django.db.models import F
from django.utils import timezone

from accounting import errors, models, wire
from accounting.selectors.groups import progress_percent

_MICROSECOND = dt.timedelta(microseconds=1)


def on_track(
    *,
    saved: int,
    target: int,
    target_date: dt.date | None,
    created_at: dt.datetime,
    now: dt.datetime,
) -> bool | None:
    """Returns whether a goal's savings keep pace with its date.

    On track means saved at least the part of the target that the time
    elapsed since the goal was set calls for, at a steady pace up to the
    end of the target date (UTC): ``saved >= target * elapsed / span``,
    compared exactly in integers (minor units times microseconds).

    Args:
        saved: What the goal has saved, minor units.
        target: Its target, minor units.
        target_date: Its date, or None.
        created_at: When it was set.
        now: The instant of the answer.

    Returns:
        True once the target is reached; None without a date (no pace to
        keep); False after the date; else the comparison above.
    """
    if saved >= target:
        return True
    if target_date is None:
        return None
    if now.astimezone(dt.UTC).date() > target_date:
        return False
    end = dt.datetime.combine(
        target_date + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC
    )
    elapsed = (now - created_at) // _MICROSECOND
    span = (end - created_at) // _MICROSECOND
    return saved * span >= target * elapsed


@dataclasses.dataclass(frozen=True)
class GoalStatus:
    """A goal with its share of the savings.

    Attributes:
        goal: The goal.
        saved: Its share of the savings balance, minor units.
        on_track: See :func:`on_track`.
    """

    goal: models.Goal
    saved: int
    on_track: bool | None

    @property
    def progress_percent(self) -> str:
        """``saved`` against the target, rounded down: ``"42.50"``."""
        return progress_percent(
            total=self.saved, target=self.goal.target_amount
        )


def goals_list(*, holder: models.Holder) -> list[GoalStatus]:
    """Returns a holder's goals in allocation order, with their progress.

    Allocation order: target date ascending with undated goals last, then
    the oldest first (then id, for a total order). In each currency the
    savings balance (0 without a savings account) goes to the goals in
    that order: ``saved = min(target, max(0, balance - targets before))``.

    Args:
        holder: The holder.

    Returns:
        The goals and what each has saved.
    """
    goals = models.Goal.objects.filter(holder=holder).order_by(
        F("target_date").asc(nulls_last=True), "created_at", "id"
    )
    left = dict(
        models.Account.objects.filter(
            holder=holder, kind=models.Account.Kind.SAVINGS
        ).values_list("currency", "balance")
    )
    now = timezone.now()
    statuses = []
    for goal in goals:
        remaining = left.get(goal.currency, 0)
        saved = min(goal.target_amount, max(0, remaining))
        left[goal.currency] = remaining - goal.target_amount
        statuses.append(
            GoalStatus(
                goal=goal,
                saved=saved,
                on_track=on_track(
                    saved=saved,
                    target=goal.target_amount,
                    target_date=goal.target_date,
                    created_at=goal.created_at,
                    now=now,
                ),
            )
        )
    return statuses


def _goal_pk(goal_id: uuid.UUID | str) -> uuid.UUID:
    """Returns a goal id as a UUID.

    Raises:
        GoalNotFoundError: Not a UUID (no goal has such an id).
    """
    try:
        return uuid.UUID(str(goal_id))
    except ValueError as error:
        raise errors.GoalNotFoundError() from error


def goal_of_holder(
    *, holder: models.Holder, goal_id: uuid.UUID | str
) -> models.Goal:
    """Returns one of a holder's goals, to change or delete it.

    Args:
        holder: The holder.
        goal_id: The id as given (anything but a UUID is unknown).

    Returns:
        The goal.

    Raises:
        GoalNotFoundError: Unknown, malformed, or another holder's.
    """
    goal = models.Goal.objects.filter(
        holder=holder, pk=_goal_pk(goal_id)
    ).first()
    if goal is None:
        raise errors.GoalNotFoundError()
    return goal


def goal_get(*, holder: models.Holder, goal_id: uuid.UUID | str) -> GoalStatus:
    """Returns one of a holder's goals with its progress.

    What a goal has saved depends on the goals before it, so this
    allocates over all of the holder's goals (see :func:`goals_list`).

    Args:
        holder: The holder.
        goal_id: The id as given (anything but a UUID is unknown).

    Returns:
        The goal and what it has saved.

    Raises:
        GoalNotFoundError: Unknown, malformed, or another holder's.
    """
    pk = _goal_pk(goal_id)
    for status in goals_list(holder=holder):
        if status.goal.pk == pk:
            return status
    raise errors.GoalNotFoundError()


def goal_data(status: GoalStatus) -> dict[str, Any]:
    """Returns the wire form of a goal read by this module."""
    return wire.goal_data(
        status.goal,
        saved=status.saved,
        progress_percent=status.progress_percent,
        on_track=status.on_track,
    )
