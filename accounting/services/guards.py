"""Business rules as small named checks, shared by the services.

Each ``check_...`` raises the domain error of ``accounting.errors`` that
the internal API renders as a problem document; none writes anything.
"""

import datetime as dt

from accounting import errors, models
from config import money


def check_holder_open(holder: models.Holder) -> None:
    """Raises HolderClosedError if the user was deleted."""
    if holder.is_closed:
        raise errors.HolderClosedError()


def check_plan_active(plan: models.Plan) -> None:
    """Raises PlanNotFoundError if the plan is no longer offered."""
    if not plan.is_active:
        raise errors.PlanNotFoundError()


def check_amount_above_flat_amount(*, plan: models.Plan, amount: int) -> None:
    """Raises AmountNotAboveFlatAmountError unless ``amount > flat``."""
    if amount <= plan.flat_amount:
        raise errors.AmountNotAboveFlatAmountError(
            f"With the plan {plan.name!r} a credit must be above "
            f"{plan.value} {plan.currency}."
        )


def check_funds(*, account: models.Account, amount: int) -> None:
    """Raises InsufficientFundsError if ``account`` holds less than amount."""
    if account.balance < amount:
        available = money.format_amount(account.balance, account.currency)
        raise errors.InsufficientFundsError(
            f"The {account.kind} account holds {available} {account.currency}."
        )


def check_distinct_currencies(
    *, from_currency: str, to_currency: str, detail: str = ""
) -> None:
    """Raises SameCurrencyError for a conversion into its own currency.

    A rate is refused alike, with ``detail`` saying why.
    """
    if from_currency == to_currency:
        raise errors.SameCurrencyError(detail)


def check_effective_at(
    effective_at: dt.datetime | None, *, booked_at: dt.datetime
) -> None:
    """Raises EffectiveAtInFutureError for a date after the booking.

    Judged against the booking instant, taken after the locks on this
    service's clock, so that no other clock decides what the future is.
    """
    if effective_at is not None and effective_at > booked_at:
        raise errors.EffectiveAtInFutureError()
