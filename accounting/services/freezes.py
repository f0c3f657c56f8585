"""Freezes: staff stop money leaving or entering a wallet, for a while.

A :class:`models.Freeze` is the record (what, why, by whom, until when,
lifted by whom and why); the accounts carry its effect. Each customer
account's ``debits_frozen_until`` and ``credits_frozen_until`` are the
latest expiry of the freezes that stop it, rewritten from the freezes not
lifted whenever one is created or lifted, under the accounts' row locks
(decision 25). A movement reads them in the query that locks its accounts
and ``journal.post`` refuses what they stop: no extra round trip, and a
freeze that commits before a movement takes its locks is seen by it (the
movement's lock waits for the freeze's, then reads the rows as they
committed).
"""

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounting import errors, models

_NO_REASON = "Say why: the reason is kept with the record."


def _reason_valid(field: str, reason: str) -> str:
    """Returns a reason stripped, refusing a blank or too long one."""
    reason = reason.strip()
    if not reason:
        raise errors.FreezeInvalidError(field, _NO_REASON)
    limit = models.Freeze._meta.get_field("reason").max_length
    if len(reason) > limit:
        raise errors.FreezeInvalidError(field, f"At most {limit} characters.")
    return reason


def holder_lock(holder_id: uuid.UUID) -> None:
    """Locks a holder's row: its freezes and its new wallets queue on it.

    A holder freeze stops wallets opened later too: opening a wallet
    (``accounts.account_open``) and freezing take this lock first, so
    that the wallet sees the freeze or the freeze sees the wallet.
    Movements never take it (they lock accounts only), but their rows
    name the holder, and the foreign key's check takes a ``KEY SHARE``
    lock on it while the movement holds its accounts: ``NO KEY UPDATE``
    does not conflict with that one (``FOR UPDATE`` would, and a freeze
    waiting for those accounts would deadlock with the movement).
    """
    list(
        models.Holder.objects.select_for_update(no_key=True)
        .filter(pk=holder_id)
        .values_list("pk", flat=True)
    )


def _until(freezes: Iterable[models.Freeze]) -> dt.datetime | None:
    """Returns the latest expiry among freezes (None: no freeze)."""
    return max(
        (freeze.expires_at or models.Freeze.FOREVER for freeze in freezes),
        default=None,
    )


def accounts_refreeze(
    *, holder_id: uuid.UUID, currency: str = ""
) -> list[models.Account]:
    """Rewrites what the freezes in force stop on a holder's accounts.

    Locks the holder's customer accounts (of one wallet, or all), in id
    order as every movement does, and sets their ``debits_frozen_until``
    and ``credits_frozen_until`` from the holder's freezes not lifted nor
    expired. Run inside the freeze's (or the wallet's) transaction, after
    :func:`holder_lock`.

    Args:
        holder_id: The holder.
        currency: One wallet's currency; blank: every wallet.

    Returns:
        The accounts, locked, with their new state.
    """
    accounts = models.Account.objects.select_for_update().filter(
        holder_id=holder_id
    )
    if currency:
        accounts = accounts.filter(currency=currency)
    accounts = list(accounts.order_by("id"))
    now = timezone.now()
    freezes = list(
        models.Freeze.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            holder_id=holder_id,
            lifted_at__isnull=True,
        )
    )
    mode = models.Freeze.Mode
    changed = []
    for account in accounts:
        wallet = ("", account.currency)
        stopping = [f for f in freezes if f.currency in wallet]
        state = (
            _until(f for f in stopping if f.mode != mode.CREDIT),
            _until(f for f in stopping if f.mode != mode.DEBIT),
        )
        if state != (account.debits_frozen_until, account.credits_frozen_until):
            account.debits_frozen_until, account.credits_frozen_until = state
            changed.append(account)
    models.Account.objects.bulk_update(
        changed, ["debits_frozen_until", "credits_frozen_until"]
    )
    return accounts


def freeze_validate(
    *,
    holder: models.Holder,
    currency: str,
    mode: str,
    reason: str,
    expires_at: dt.datetime | None = None,
) -> str:
    """Refuses a freeze that could not be made; returns its reason, stripped.

    What :func:`freeze_create` checks, for a form to show on its fields
    first.

    Raises:
        FreezeInvalidError: No reason, an unknown mode, or an expiry that
            is not in the future.
        AccountNotOpenError: The holder has no wallet in ``currency``.
    """
    reason = _reason_valid("reason", reason)
    if mode not in models.Freeze.Mode.values:
        raise errors.FreezeInvalidError("mode", f"Unknown mode {mode!r}.")
    if expires_at is not None and expires_at <= timezone.now():
        raise errors.FreezeInvalidError(
            "expires_at", "A freeze must expire in the future (or never)."
        )
    if (
        currency
        and not models.Account.objects.filter(
            holder=holder, currency=currency
        ).exists()
    ):
        raise errors.AccountNotOpenError(f"{holder} has no {currency} wallet.")
    return reason


@transaction.atomic
def freeze_create(
    *,
    holder: models.Holder,
    currency: str,
    mode: str,
    reason: str,
    created_by: str,
    expires_at: dt.datetime | None = None,
) -> models.Freeze:
    """Freezes a holder's wallet, or every wallet of theirs.

    From the moment it commits, every movement that the mode stops is
    refused with ``account_frozen`` (a debit-only freeze stops money
    leaving, a credit-only one money entering, a full one both), until it
    expires or is lifted (:func:`freeze_lift`).

    Args:
        holder: The holder.
        currency: The wallet's currency; blank for every wallet, including
            those opened later.
        mode: A ``Freeze.Mode``.
        reason: Why (required; shown to staff only).
        created_by: The staff member's email.
        expires_at: When it stops applying by itself; None: until lifted.

    Returns:
        The freeze.

    Raises:
        FreezeInvalidError, AccountNotOpenError: See
            :func:`freeze_validate`.
    """
    reason = freeze_validate(
        holder=holder,
        currency=currency,
        mode=mode,
        reason=reason,
        expires_at=expires_at,
    )
    holder_lock(holder.pk)
    freeze = models.Freeze.objects.create(
        holder=holder,
        currency=currency,
        mode=mode,
        reason=reason,
        created_by=created_by,
        created_at=timezone.now(),
        expires_at=expires_at,
    )
    accounts_refreeze(holder_id=holder.pk, currency=currency)
    return freeze


@transaction.atomic
def freeze_lift(
    *, freeze: models.Freeze, reason: str, lifted_by: str
) -> models.Freeze:
    """Lifts a freeze: what it stopped may move again, unless another stops it.

    Recorded on the freeze (when, who, why); nothing is deleted.
    Idempotent: a freeze lifted already is answered as it is. An expired
    freeze may be lifted too, to say it is over.

    Args:
        freeze: The freeze.
        reason: Why (required).
        lifted_by: The staff member's email.

    Returns:
        The freeze, lifted.

    Raises:
        FreezeInvalidError: No reason.
    """
    reason = _reason_valid("lift_reason", reason)
    holder_lock(freeze.holder_id)
    current = models.Freeze.objects.select_for_update().get(pk=freeze.pk)
    if current.lifted_at is not None:
        return current
    current.lifted_at = timezone.now()
    current.lifted_by = lifted_by
    current.lift_reason = reason
    current.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    accounts_refreeze(holder_id=current.holder_id, currency=current.currency)
    return current
