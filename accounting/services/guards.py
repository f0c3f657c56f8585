"""Business rules as small named checks, shared by the services.

Each ``check_...`` raises the domain error of ``accounting.errors`` that
the internal API renders as a problem document; none writes anything.
"""

import datetime as dt

from django.utils import timezone

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


def check_not_frozen(
    *, account: models.Account, amount: int, detail: str = ""
) -> None:
    """Raises AccountFrozenError if a freeze stops this posting now.

    A debit (``amount < 0``) needs money allowed out of the account, a
    credit money in (the account's ``debits_frozen_until`` and
    ``credits_frozen_until``, read with its lock). An account frozen for
    nothing costs one attribute read; an expired freeze stops nothing.

    Args:
        account: A locked account about to move.
        amount: The signed posting.
        detail: What to say instead of naming the wallet and the mode
            (a transfer's sender is not told about the recipient's).
    """
    debit = amount < 0
    until, other = (
        (account.debits_frozen_until, account.credits_frozen_until)
        if debit
        else (account.credits_frozen_until, account.debits_frozen_until)
    )
    if until is None:
        return
    now = timezone.now()
    if until <= now:
        return
    mode = models.Freeze.Mode
    if other is not None and other > now:
        stopped = mode.FULL
    else:
        stopped = mode.DEBIT if debit else mode.CREDIT
    raise errors.AccountFrozenError(
        detail
        or f"The {account.currency} wallet is frozen: "
        f"{stopped.label[0].lower()}{stopped.label[1:]}."
    )
