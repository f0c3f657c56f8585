"""Savings plans: what staff offer, and the rules a plan must follow.

A plan has one value: a percent of each credit (``percentage``) or an
amount of its currency (``flat_amount``, in minor units), exactly the
field of its kind (the database checks that too). Staff write plans in the
admin; its form shows the errors of :func:`plan_validate` on its fields,
and saving goes through :func:`plan_save`, which checks the same rules, so
a shell or a command gets them as well. Plans are never deleted: they are
deactivated (:func:`plan_set_active`), since transactions keep snapshots
of them and holders keep their choice. A holder picks one of the active
plans (:func:`plan_assign`).
"""

import dataclasses
import decimal

from django.db import transaction
from django.utils import timezone

from accounting import errors, models
from accounting.services.guards import check_holder_open, check_plan_active
from config import money, targets
from config.problems import Code

# A holding period longer than a century means nothing, and one of a few
# thousand years would take the release's cut-off before year 1.
HOLD_DAYS_MAX = 36_500
_PERCENT = decimal.Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class PlanFields:
    """A plan's fields once checked, as they are stored."""

    name: str
    kind: str
    currency: str
    percentage: decimal.Decimal | None
    flat_amount: int | None
    savings_hold_days: int
    description: str


def _percentage_valid(value: decimal.Decimal) -> decimal.Decimal:
    """Returns the percent if above 0, at most 100, with 2 decimals at most.

    Raises:
        PlanInvalidError: Out of range or too precise.
    """
    # Compared first: a huge value cannot be quantized.
    if not 0 < value <= 100 or value != value.quantize(_PERCENT):
        raise errors.PlanInvalidError(
            "value", "A percentage is above 0, at most 100.00."
        )
    return value.quantize(_PERCENT)


def _flat_amount_valid(value: decimal.Decimal, currency: str) -> int:
    """Returns the amount in minor units (see :func:`money.to_minor`).

    Raises:
        PlanInvalidError: ``invalid_amount``: not above zero, more places
            than the currency has, or above the per-amount maximum.
    """
    if value <= 0:
        raise errors.PlanInvalidError(
            "value", "A flat amount is above zero.", code=Code.INVALID_AMOUNT
        )
    try:
        return money.to_minor(value, currency)
    except money.MoneyError as error:
        raise errors.PlanInvalidError(
            "value", str(error), code=Code.INVALID_AMOUNT
        ) from error


def plan_validate(
    *,
    name: str,
    kind: str,
    currency: str,
    value: decimal.Decimal,
    savings_hold_days: int = 0,
    description: str = "",
) -> PlanFields:
    """Checks a plan's fields and returns them as they would be stored.

    Writes nothing: :func:`plan_save` calls it, and a form calls it to show
    an error on its field before saving.

    Args:
        name: 1 to ``bounds.NAME_MAX_LENGTH`` characters once stripped.
        kind: ``percentage`` or ``flat_amount``.
        currency: A supported currency: a flat amount is in it, and a plan
            splits only credits in it.
        value: A percent above 0, at most 100 with 2 decimals; or an
            amount of the currency, above 0, in its precision, at most the
            per-amount maximum.
        savings_hold_days: Days savings stay before they may be released
            to main, 0 to 36,500.
        description: Shown to clients; stripped.

    Returns:
        The fields as stored (the value as ``percentage`` or
        ``flat_amount``).

    Raises:
        PlanInvalidError: The first field that breaks its rule, with the
            field's name; ``unsupported_currency`` for the currency,
            ``invalid_amount`` for a flat amount, else
            ``validation_error``.
    """
    try:
        name = targets.name_parse(name)
    except targets.TargetError as error:
        raise errors.PlanInvalidError("name", str(error)) from error
    if kind not in models.Plan.Kind.values:
        raise errors.PlanInvalidError(
            "kind", f"A plan's kind is one of {', '.join(models.Plan.Kind)}."
        )
    if currency not in money.supported_currencies():
        raise errors.PlanInvalidError(
            "currency",
            f"Unsupported currency {currency!r}.",
            code=Code.UNSUPPORTED_CURRENCY,
        )
    if not value.is_finite():
        raise errors.PlanInvalidError("value", "A value is a number.")
    percentage, flat_amount = None, None
    if kind == models.Plan.Kind.PERCENTAGE:
        percentage = _percentage_valid(value)
    else:
        flat_amount = _flat_amount_valid(value, currency)
    if not 0 <= savings_hold_days <= HOLD_DAYS_MAX:
        raise errors.PlanInvalidError(
            "savings_hold_days",
            f"A holding period is 0 to {HOLD_DAYS_MAX:,} days.",
        )
    return PlanFields(
        name=name,
        kind=kind,
        currency=currency,
        percentage=percentage,
        flat_amount=flat_amount,
        savings_hold_days=savings_hold_days,
        description=description.strip(),
    )


@transaction.atomic
def plan_save(
    *,
    plan: models.Plan | None = None,
    name: str,
    kind: str,
    currency: str,
    value: decimal.Decimal,
    savings_hold_days: int = 0,
    description: str = "",
) -> models.Plan:
    """Creates a plan, or changes one, from its value as staff enter it.

    An edit applies to credits from now on: those already made keep the
    plan as it was in their snapshot. Whether the plan is offered is
    :func:`plan_set_active`'s; a new plan is.

    Args:
        plan: The plan to change; None, or a new unsaved plan, to create.
        name: See :func:`plan_validate`, as the other arguments.
        kind: The plan's kind.
        currency: The plan's currency.
        value: A percent, or an amount in major units (``5.00``).
        savings_hold_days: The holding period in days.
        description: Shown to clients.

    Returns:
        The plan, saved.

    Raises:
        PlanInvalidError: See :func:`plan_validate` (nothing is written).
    """
    fields = plan_validate(
        name=name,
        kind=kind,
        currency=currency,
        value=value,
        savings_hold_days=savings_hold_days,
        description=description,
    )
    plan = plan if plan is not None else models.Plan()
    for field, stored in dataclasses.asdict(fields).items():
        setattr(plan, field, stored)
    plan.save()
    return plan


@transaction.atomic
def plan_set_active(*, plan: models.Plan, is_active: bool) -> models.Plan:
    """Offers a plan again, or stops offering it (plans are never deleted).

    Holders who chose a plan keep it when it is deactivated; new holders
    can no longer choose it.

    Args:
        plan: The plan.
        is_active: Whether it is offered.

    Returns:
        The plan, saved.
    """
    plan.is_active = is_active
    plan.save(update_fields=["is_active", "updated_at"])
    return plan


@transaction.atomic
def plan_assign(
    *, holder: models.Holder, plan: models.Plan | None
) -> models.Holder:
    """Selects a holder's savings plan, or clears it with None.

    Args:
        holder: An open holder.
        plan: An active plan, or None for no plan.

    Returns:
        The holder, saved.

    Raises:
        HolderClosedError: The holder is closed.
        PlanNotFoundError: The plan is not active.
    """
    check_holder_open(holder)
    if plan is not None:
        check_plan_active(plan)
    holder.plan = plan
    holder.plan_selected_at = timezone.now() if plan else None
    holder.save(update_fields=["plan", "plan_selected_at", "updated_at"])
    return holder
