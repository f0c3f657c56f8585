"""Reversals: correcting a movement without editing history.

A reversal is new journal headers of kind ``reversal``, one per header of
the movement (a transfer has two: the sender gets the money back, the
recipient gives it back), each naming the header it undoes
(``Transaction.reverses``) and posting the exact mirror of its entries:
the same accounts, opposite amounts (a conversion at its own rate, so
nothing is gained or lost on the way back). It is written like every
movement (``journal``): the accounts locked in id order in one query,
funds checked on the locked rows, entries appended and the running
balances moved, the holders' webhooks told and the metrics counted.

Once per movement: the reason and the staff member are one
:class:`~accounting.models.Reversal` per movement, and the database
refuses a second (both ``Reversal.original`` and ``Transaction.reverses``
are unique). Two staff members asking at once queue on the movement's
account locks; the second then finds the first's reversal.
"""

import collections
import dataclasses

from django.db import transaction
from django.utils import timezone

from accounting import errors, models
from accounting.selectors.reversals import reversal_movement
from accounting.services.journal import (
    Locked,
    Posting,
    accounts_lock,
    header_new,
    journal_write,
    post,
)
from config import bounds, money

_KIND = models.Transaction.Kind


@dataclasses.dataclass(frozen=True)
class ReversalResult:
    """A reversal and whether this call wrote it.

    Attributes:
        reversal: The reason and who asked, naming the movement.
        headers: The reversal headers, the movement's first header's
            first (a transfer's sender's, then its recipient's).
        created: False when the movement had been reversed already (the
            same reason asked again): nothing was written.
    """

    reversal: models.Reversal
    headers: list[models.Transaction]
    created: bool


def reversal_reason_check(reason: str) -> str:
    """Returns the reason, trimmed, if it is one.

    Raises:
        ReversalInvalidError: Blank, or longer than the bound.
    """
    reason = reason.strip()
    if not reason:
        raise errors.ReversalInvalidError("reason", "Say why.")
    limit = bounds.REVERSAL_REASON_MAX_LENGTH
    if len(reason) > limit:
        raise errors.ReversalInvalidError(
            "reason", f"At most {limit} characters."
        )
    return reason


def _lock(movement: list[models.Transaction]) -> Locked:
    """Locks every customer account the movement moved, in id order.

    The first header's holder's wallets in its currencies, and a
    transfer's recipient's main account: what the movement itself locked.

    Raises:
        HolderClosedError, AccountNotOpenError, AccountClosedError: A
            wallet the reversal would move is closed.
    """
    first = movement[0]
    currencies = (first.currency,)
    if first.to_currency:
        currencies = (first.currency, first.to_currency)
    recipient_id = first.counterparty_account_id
    locked = accounts_lock(
        holder_id=first.holder_id, currencies=currencies, also=recipient_id
    )
    if recipient_id is not None:
        recipient = locked.by_id[recipient_id]
        if recipient.is_closed or recipient.holder_id in locked.closed_holders:
            raise errors.AccountClosedError(
                f"The recipient's {recipient.currency} account is closed."
            )
    return locked


def _mirror(
    movement: list[models.Transaction], locked: Locked
) -> list[tuple[models.Transaction, list[tuple]]]:
    """Returns each header with its entries negated: ``(account, cur, amt)``.

    Checks first that no customer account would go below zero.

    Raises:
        ReversalInsufficientFundsError: One would; names it and by how
            much.
    """
    entries = (
        models.Entry.objects.filter(transaction__in=movement)
        .order_by("id")
        .values_list("transaction_id", "account_id", "currency", "amount")
    )
    mirrored: dict = {header.id: [] for header in movement}
    taken: collections.Counter = collections.Counter()
    for transaction_id, account_id, currency, amount in entries:
        mirrored[transaction_id].append((account_id, currency, -amount))
        if account_id in locked.by_id:
            taken[account_id] += amount
    for account_id, amount in taken.items():
        account = locked.by_id[account_id]
        if account.balance < amount:
            _refuse_short(account, amount)
    return [(header, mirrored[header.id]) for header in movement]


def _refuse_short(account: models.Account, needed: int) -> None:
    """Raises ReversalInsufficientFundsError for an account holding less."""
    holder = models.Holder.objects.get(pk=account.holder_id)
    currency = account.currency
    short = money.format_amount(needed - account.balance, currency)
    raise errors.ReversalInsufficientFundsError(
        f"The {account.kind} {currency} account {account.id} of "
        f"{holder.email} holds "
        f"{money.format_amount(account.balance, currency)} {currency}; the "
        f"reversal takes {money.format_amount(needed, currency)}: "
        f"{short} {currency} short."
    )


def _result(reversal: models.Reversal) -> ReversalResult:
    """Returns an existing reversal with its headers."""
    movement = reversal_movement(reversal.original)
    headers = {
        header.reverses_id: header
        for header in models.Transaction.objects.filter(reverses__in=movement)
    }
    return ReversalResult(
        reversal, [headers[header.id] for header in movement], created=False
    )


def transaction_reverse(
    *, original: models.Transaction, reason: str, staff: str
) -> ReversalResult:
    """Reverses a movement: new headers mirroring it, with a reason.

    Once per movement: asked again with the same reason, it answers the
    first reversal and writes nothing; with another, it refuses. Either
    half of a transfer names the whole transfer.

    Args:
        original: A header of the movement (any holder's).
        reason: Why, for staff (never shown to the holder); required.
        staff: Who asks (their email, else their username).

    Returns:
        The reversal, its headers, and whether this call wrote them.

    Raises:
        ReversalInvalidError: The reason is blank or too long.
        TransactionNotReversibleError: A reversal, a savings release or a
            group contribution.
        TransactionAlreadyReversedError: Reversed already, for another
            reason.
        ReversalInsufficientFundsError: An account holds less than the
            reversal takes back.
        HolderClosedError, AccountNotOpenError, AccountClosedError: A
            wallet it would move is closed.
    """
    reason = reversal_reason_check(reason)
    movement = reversal_movement(original)
    with transaction.atomic():
        locked = _lock(movement)
        # After the locks: a reversal that committed while this one
        # waited on them is seen here.
        done = models.Reversal.objects.filter(original=movement[0]).first()
        if done is not None:
            if done.reason == reason:
                return _result(done)
            raise errors.TransactionAlreadyReversedError(
                f"Reversed already by {done.created_by} at "
                f"{done.created_at:%Y-%m-%d %H:%M:%S} UTC: {done.reason}"
            )
        now = timezone.now()
        journal: list[tuple[models.Transaction, list[Posting]]] = []
        moved: dict = {}
        for header, mirrored in _mirror(movement, locked):
            reversal = header_new(
                holder_id=header.holder_id,
                kind=_KIND.REVERSAL,
                amount=header.amount,
                currency=header.currency,
                description=header.description,
                reverses_id=header.id,
                occurred_at=now,
            )
            postings: list[Posting] = []
            for account_id, currency, amount in mirrored:
                account = locked.by_id.get(account_id)
                if account is None:
                    postings.append((account_id, currency, amount, None, None))
                else:
                    postings.append(post(account, amount))
                    moved[account.id] = account
            journal.append((reversal, postings))
        journal_write(journal, list(moved.values()), notified=locked.notified)
        record = models.Reversal.objects.create(
            original=movement[0],
            reason=reason,
            created_by=staff,
            created_at=now,
        )
    return ReversalResult(
        record, [header for header, _ in journal], created=True
    )
