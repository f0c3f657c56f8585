"""Four eyes: what moves much money is asked by one staff, done by another.

A reversal, a wallet's closure or a freeze worth more than the limit of
its currency (``FOUR_EYES_LIMITS``, in major units; a currency without a
limit always needs a second staff member) is not done when asked: it is
filed as a :class:`~accounting.models.StaffRequest`. Another staff member
approves it (the action runs then, through the same service, in the
approval's transaction) or rejects it. The one who asked can do neither
for their own request. Below the limit, the action runs at once.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.utils import IntegrityError
from django.utils import timezone

from accounting import errors, models, selectors
from accounting.services.accounts import account_close
from accounting.services.freezes import freeze_create
from accounting.services.reversals import transaction_reverse
from config import money

# What approving each kind of request runs: the service the action runs
# below the limit, called with the request's ``params``; it returns what
# it did, as JSON values, kept as the request's ``outcome``.
Executor = Callable[[dict[str, Any]], dict[str, Any]]
EXECUTORS: dict[str, Executor] = {}


def executor(kind: str) -> Callable[[Executor], Executor]:
    """Registers what approving a request of ``kind`` runs."""

    def register(run: Executor) -> Executor:
        EXECUTORS[kind] = run
        return run

    return register


@executor(models.StaffRequest.Kind.CLOSURE)
def _close(params: dict[str, Any]) -> dict[str, Any]:
    """Closes the wallet of ``params["account"]``."""
    account = models.Account.objects.filter(pk=params["account"]).first()
    if account is None:
        raise errors.AccountNotFoundError()
    closed = account_close(account=account)
    return {"accounts": [str(a.pk) for a in closed]}


@executor(models.StaffRequest.Kind.FREEZE)
def _freeze(params: dict[str, Any]) -> dict[str, Any]:
    """Freezes as asked: ``params`` are ``freeze_create``'s, as JSON."""
    expires_at = params["expires_at"]
    freeze = freeze_create(
        holder=models.Holder.objects.get(pk=params["holder"]),
        currency=params["currency"],
        mode=params["mode"],
        reason=params["reason"],
        created_by=params["created_by"],
        expires_at=dt.datetime.fromisoformat(expires_at)
        if expires_at
        else None,
    )
    return {"freeze": str(freeze.pk)}


@executor(models.StaffRequest.Kind.REVERSAL)
def _reverse(params: dict[str, Any]) -> dict[str, Any]:
    """Reverses the movement of ``params["original"]``, once."""
    result = transaction_reverse(
        original=models.Transaction.objects.get(pk=params["original"]),
        reason=params["reason"],
        staff=params["staff"],
    )
    return {
        "reversals": [str(header.pk) for header in result.headers],
        "created": result.created,
    }


@dataclasses.dataclass(frozen=True)
class Staff:
    """Who acts: a staff account of the accounting admin."""

    id: str
    email: str


def four_eyes_limit(currency: str) -> int | None:
    """Returns the most a staff member may move alone, in minor units.

    None when the currency has no limit: then every amount needs a second
    staff member.
    """
    limit = settings.FOUR_EYES_LIMITS.get(currency)
    if limit is None:
        return None
    return money.to_minor(limit, currency)


def four_eyes_needed(*, amount: int, currency: str) -> bool:
    """Whether moving ``amount`` needs a second staff member."""
    limit = four_eyes_limit(currency)
    return limit is None or abs(amount) > limit


def staff_request_create(
    *,
    kind: str,
    target: str,
    summary: str,
    params: dict[str, Any],
    amount: int,
    currency: str,
    reason: str,
    staff: Staff,
) -> models.StaffRequest:
    """Files a request for another staff member to approve.

    Raises:
        StaffRequestPendingError: The same action on the same target
            already awaits approval.
    """
    try:
        with transaction.atomic():
            return models.StaffRequest.objects.create(
                kind=kind,
                target=target,
                summary=summary[:200],
                params=params,
                amount=amount,
                currency=currency,
                reason=reason,
                requested_by=staff.email,
                requested_by_id=staff.id,
            )
    except IntegrityError as error:
        raise errors.StaffRequestPendingError() from error


def _pending(
    staff_request: models.StaffRequest, staff: Staff
) -> models.StaffRequest:
    """Locks the request; refuses one decided, or decided by its asker."""
    locked = models.StaffRequest.objects.select_for_update().get(
        pk=staff_request.pk
    )
    if locked.status != models.StaffRequest.Status.PENDING:
        raise errors.StaffRequestDecidedError()
    if locked.requested_by_id == staff.id:
        raise errors.FourEyesSameStaffError()
    return locked


def _decide(
    staff_request: models.StaffRequest,
    staff: Staff,
    status: str,
    note: str,
    outcome: dict[str, Any] | None,
) -> models.StaffRequest:
    """Records the decision: who, when, how, and what came of it."""
    staff_request.status = status
    staff_request.decided_by = staff.email
    staff_request.decided_by_id = staff.id
    staff_request.decided_at = timezone.now()
    staff_request.decision_note = note
    staff_request.outcome = outcome
    staff_request.save()
    return staff_request


@transaction.atomic
def staff_request_approve(
    *, staff_request: models.StaffRequest, staff: Staff, note: str = ""
) -> models.StaffRequest:
    """Approves a request and runs its action, once.

    Should the ledger refuse the action now (the money was spent since it
    was asked), nothing moves and the request is kept as ``failed`` with
    the refusal's code: approving does not retry it.

    Raises:
        StaffRequestDecidedError: It was already approved or rejected.
        FourEyesSameStaffError: ``staff`` asked for it.
    """
    locked = _pending(staff_request, staff)
    try:
        with transaction.atomic():
            outcome = EXECUTORS[locked.kind](locked.params)
    except errors.AccountingError as refusal:
        return _decide(
            locked,
            staff,
            models.StaffRequest.Status.FAILED,
            note,
            {"code": refusal.code, "detail": refusal.detail},
        )
    return _decide(
        locked, staff, models.StaffRequest.Status.DONE, note, outcome
    )


@transaction.atomic
def staff_request_reject(
    *, staff_request: models.StaffRequest, staff: Staff, note: str
) -> models.StaffRequest:
    """Rejects a request: nothing is done, and who said no is kept.

    Raises:
        StaffRequestDecidedError: It was already approved or rejected.
        FourEyesSameStaffError: ``staff`` asked for it.
    """
    locked = _pending(staff_request, staff)
    return _decide(
        locked, staff, models.StaffRequest.Status.REJECTED, note, None
    )


def four_eyes_submit(
    *,
    kind: str,
    target: str,
    summary: str,
    params: dict[str, Any],
    amount: int,
    currency: str,
    reason: str,
    staff: Staff,
) -> models.StaffRequest | dict[str, Any]:
    """Runs a staff action now, or files it for approval above the limit.

    Returns:
        What the action did (as an approved request's ``outcome``), or
        the request filed.

    Raises:
        AccountingError: The action's own refusal (below the limit), or
            ``staff_request_pending``.
    """
    if four_eyes_needed(amount=amount, currency=currency):
        return staff_request_create(
            kind=kind,
            target=target,
            summary=summary,
            params=params,
            amount=amount,
            currency=currency,
            reason=reason,
            staff=staff,
        )
    return EXECUTORS[kind](params)


def closure_submit(
    *, account: models.Account, reason: str, staff: Staff
) -> models.StaffRequest | dict[str, Any]:
    """Closes a customer's wallet, or asks for it above the limit.

    The stake is what the wallet holds, main and savings.

    Raises:
        AccountNotFoundError: A system account (those never close).
        StaffRequestPendingError: Its closure already awaits approval.
    """
    if account.holder_id is None:
        raise errors.AccountNotFoundError()
    currency = account.currency
    return four_eyes_submit(
        kind=models.StaffRequest.Kind.CLOSURE,
        target=f"{account.holder_id}:{currency}",
        summary=f"{account.holder} {currency} wallet",
        params={"account": str(account.pk)},
        amount=selectors.wallet_balances(
            holder_id=account.holder_id, currency=currency
        ).get(currency, 0),
        currency=currency,
        reason=reason,
        staff=staff,
    )


def freeze_submit(
    *,
    holder: models.Holder,
    currency: str,
    mode: str,
    reason: str,
    expires_at: dt.datetime | None,
    staff: Staff,
) -> models.StaffRequest | dict[str, Any]:
    """Freezes a wallet or a holder, or asks for it above the limit.

    The stake is what the frozen wallets hold: the freeze needs a second
    staff member when any of them holds more than its currency's limit
    (the first such wallet is the request's amount).

    Raises:
        StaffRequestPendingError: The same freeze already awaits approval.
    """
    balances = selectors.wallet_balances(holder_id=holder.pk, currency=currency)
    stakes = sorted(balances.items()) or [
        (currency or settings.DEFAULT_CURRENCY, 0)
    ]
    stake_currency, stake = next(
        (
            (code, amount)
            for code, amount in stakes
            if four_eyes_needed(amount=amount, currency=code)
        ),
        stakes[0],
    )
    wallet = f"{currency} wallet" if currency else "every wallet"
    return four_eyes_submit(
        kind=models.StaffRequest.Kind.FREEZE,
        target=f"{holder.pk}:{currency or '*'}",
        summary=f"{holder} {wallet}: {mode}",
        params={
            "holder": str(holder.pk),
            "currency": currency,
            "mode": mode,
            "reason": reason,
            "created_by": staff.email,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
        amount=stake,
        currency=stake_currency,
        reason=reason,
        staff=staff,
    )


def reversal_submit(
    *, original: models.Transaction, reason: str, staff: Staff
) -> models.StaffRequest | dict[str, Any]:
    """Reverses a movement, or asks for it above the limit.

    The stake is the movement's amount; a transfer is one request whichever
    half staff opened.

    Returns:
        The reversal headers (``reversals``, and ``created``: False when
        it was reversed already for the same reason), or the request.

    Raises:
        TransactionNotReversibleError: A kind with no sound mirror.
        StaffRequestPendingError: Its reversal already awaits approval.
        AccountingError: ``transaction_reverse``'s refusals, below the
            limit.
    """
    first = selectors.reversal_movement(original)[0]
    return four_eyes_submit(
        kind=models.StaffRequest.Kind.REVERSAL,
        target=str(first.pk),
        summary=f"{first.kind} {first.pk} of {first.holder}",
        params={
            "original": str(first.pk),
            "reason": reason,
            "staff": staff.email,
        },
        amount=first.amount,
        currency=first.currency,
        reason=reason,
        staff=staff,
    )
