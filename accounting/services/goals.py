"""Savings goals: a holder's targets, each a view on their savings.

A goal holds no money and no counter (its progress is read from the
savings balance, ``accounting.selectors.goals``), so writing one only
keeps its definition sound: a name, a target the currency can express and
a date that is not already past. The rules live here, not in the API's
serializers, so that every caller (API, admin, a command) gets them.
Setting a goal over the API applies once per Idempotency-Key
(:func:`goal_set`), as money movements do.
"""

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from typing import Any

from accounting import errors, models
from accounting.selectors import goal_data, goal_get, holder_get
from accounting.services.guards import check_holder_open
from accounting.services.journal import idempotent
from config import money, targets
from config.problems import Code

# The fields a change (PATCH) may set.
GOAL_FIELDS = frozenset({"name", "target_amount", "currency", "target_date"})


def _name_valid(name: str) -> str:
    """Returns the name stripped (:func:`config.targets.name_parse`)."""
    try:
        return targets.name_parse(name)
    except targets.TargetError as error:
        raise errors.GoalInvalidError("name", str(error)) from error


def _target_valid(target_amount: int, currency: str) -> int:
    """Returns the target if positive and within the per-amount maximum.

    Raises:
        GoalInvalidError: ``invalid_amount``.
    """
    major = decimal.Decimal(target_amount).scaleb(-money.exponent(currency))
    try:
        if target_amount <= 0:
            raise money.MoneyError(
                Code.INVALID_AMOUNT, "A target is above zero."
            )
        money.check_maximum(major, currency)
    except money.MoneyError as error:
        raise errors.GoalInvalidError(
            "target_amount", str(error), code=Code.INVALID_AMOUNT
        ) from error
    return target_amount


def _date_valid(target_date: dt.date | None) -> dt.date | None:
    """Returns a date not already past (:func:`config.targets.date_check`)."""
    try:
        return targets.date_check(target_date)
    except targets.TargetError as error:
        raise errors.GoalInvalidError("target_date", str(error)) from error


def _target_in(target_amount: int, old: str, new: str) -> int:
    """Returns the same target (in major units) in another currency.

    ``500.00 USD`` becomes ``500.00 EUR``, ``500 JPY``; a target the new
    currency cannot write (``10.50`` in JPY) is refused, so the client
    sends one.

    Raises:
        GoalInvalidError: ``invalid_amount``.
    """
    major = decimal.Decimal(target_amount).scaleb(-money.exponent(old))
    try:
        # normalize(): "500.00" is 500, which a currency without decimals
        # can write.
        return money.to_minor(major.normalize(), new)
    except money.MoneyError as error:
        raise errors.GoalInvalidError(
            "target_amount",
            f"{money.format_amount(target_amount, old)} cannot be a {new} "
            f"amount ({error}); send a target_amount with the currency.",
            code=Code.INVALID_AMOUNT,
        ) from error


def goal_create(
    *,
    holder: models.Holder,
    name: str,
    target_amount: int,
    currency: str,
    target_date: dt.date | None = None,
) -> models.Goal:
    """Sets a holder a new savings goal.

    Args:
        holder: An open holder.
        name: Not blank, at most ``bounds.NAME_MAX_LENGTH`` characters
            once stripped.
        target_amount: Minor units of ``currency``, > 0.
        currency: A supported currency (the API checks it).
        target_date: When to reach it (today or later, UTC), or None.

    Returns:
        The goal.

    Raises:
        HolderClosedError: The holder is closed.
        GoalInvalidError: A field breaks its rule (nothing is written).
    """
    check_holder_open(holder)
    return models.Goal.objects.create(
        holder=holder,
        name=_name_valid(name),
        target_amount=_target_valid(target_amount, currency),
        currency=currency,
        target_date=_date_valid(target_date),
    )


@idempotent
def goal_set(
    *,
    holder_id: uuid.UUID,
    name: str,
    target_amount: int,
    currency: str,
    target_date: dt.date | None = None,
) -> tuple[dict[str, Any], None]:
    """Sets a holder a goal and answers it, once per Idempotency-Key.

    A client that retries after a lost answer must not end up with two
    goals: with a key, the answer is stored with the goal, in the same
    database transaction, and a retry replays it (:func:`idempotent`).

    Args:
        holder_id: The holder (the user's id).
        name: As for :func:`goal_create`.
        target_amount: As for :func:`goal_create`.
        currency: As for :func:`goal_create`.
        target_date: As for :func:`goal_create`.
        idempotency_key: The caller's key, already validated, or None.
        request_hash: The fingerprint of the request (with a key).

    Returns:
        The goal as the API shows it, with its progress (new or
        replayed), and no journal header: a goal moves no money.

    Raises:
        KeyInFlightError: Same key, first request running.
        KeyReusedError: Same key, different request.
        HolderNotReadyError: The holder is unknown (not created yet).
        HolderClosedError: The holder is closed.
        GoalInvalidError: See :func:`goal_create` (nothing is written).
    """
    holder = holder_get(user_id=holder_id)
    goal = goal_create(
        holder=holder,
        name=name,
        target_amount=target_amount,
        currency=currency,
        target_date=target_date,
    )
    return goal_data(goal_get(holder=holder, goal_id=goal.pk)), None


def goal_update(
    *, goal: models.Goal, changes: Mapping[str, Any]
) -> models.Goal:
    """Changes some of a goal's fields, checked like a new goal's.

    A new ``currency`` without a new ``target_amount`` keeps the target's
    value in major units (``500.00 USD`` becomes ``500.00 EUR``).

    Args:
        goal: The goal (already known to be the holder's).
        changes: Any of ``name``, ``target_amount`` (minor units of the
            new currency if one is given), ``currency`` and
            ``target_date`` (None clears it).

    Returns:
        The goal, saved.

    Raises:
        GoalInvalidError: A field breaks its rule (nothing is changed).
        ValueError: A key that is not a goal field (a caller's bug).
    """
    unknown = set(changes) - GOAL_FIELDS
    if unknown:
        raise ValueError(f"Not goal fields: {sorted(unknown)}.")
    currency = changes.get("currency", goal.currency)
    if "target_amount" in changes:
        target = _target_valid(changes["target_amount"], currency)
    elif currency != goal.currency:
        target = _target_in(goal.target_amount, goal.currency, currency)
    else:
        target = goal.target_amount
    values = {
        "name": _name_valid(changes.get("name", goal.name)),
        "target_amount": target,
        "currency": currency,
        "target_date": (
            _date_valid(changes["target_date"])
            if "target_date" in changes
            else goal.target_date
        ),
    }
    for field, value in values.items():
        setattr(goal, field, value)
    goal.save()
    return goal


def goal_delete(*, goal: models.Goal) -> None:
    """Deletes a goal (it holds no money: the savings stay where they are).

    Args:
        goal: The goal (already known to be the holder's).
    """
    goal.delete()
