"""Savings groups: open a group and its pot, add members, contribute, leave.

A group's money lives in its pot, a ledger account of kind ``pot`` with no
holder but a running balance like a customer account. A contribution is a
money movement like the others (:mod:`.movements`): one
``group_contribution`` journal header for the member, two entries (the
member's savings ``-amount``, the pot ``+amount``), locks in id order,
funds checked before posting, and an Idempotency-Key stored with the
write. So the pot's total, and every member's share of it, are read from
the journal and can never drift from it. Starting a group over the API
applies once per Idempotency-Key (:func:`group_start`).

Leaving moves no money: what a member contributed is the group's and
stays in the pot, and their membership row stays too, with ``left_at``.
"""

import datetime as dt
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounting import errors, models
from accounting.selectors import holder_get
from accounting.selectors.groups import (
    group_data,
    group_get,
    group_of_member,
    group_standings,
    memberships_of,
)
from accounting.services.guards import check_funds, check_holder_open
from accounting.services.journal import (
    accounts_lock,
    answer,
    header_new,
    idempotent,
    journal_write,
    post,
)
from accounting.services.webhooks import Event, events_record
from config import money, timeparse, webhook_events


@transaction.atomic
def group_create(
    *,
    holder: models.Holder,
    name: str,
    target_amount: int,
    currency: str,
    target_date: dt.date | None = None,
) -> models.SavingsGroup:
    """Opens a savings group with its pot; the creator is its first member.

    Args:
        holder: The creator (an open holder).
        name: The group's name.
        target_amount: What the group saves towards, minor units, > 0.
        currency: The group's currency (its pot's, every contribution's).
        target_date: When the group means to reach it, or None.

    Returns:
        The group, with its pot.

    Raises:
        HolderClosedError: The holder is closed.
    """
    check_holder_open(holder)
    pot = models.Account.objects.create(
        holder=None, kind=models.Account.Kind.POT, currency=currency
    )
    group = models.SavingsGroup.objects.create(
        name=name,
        target_amount=target_amount,
        currency=currency,
        target_date=target_date,
        created_by=holder,
        pot=pot,
    )
    models.GroupMember.objects.create(group=group, holder=holder)
    return group


@idempotent
def group_start(
    *,
    holder_id: uuid.UUID,
    name: str,
    target_amount: int,
    currency: str,
    target_date: dt.date | None = None,
) -> tuple[dict[str, Any], None]:
    """Starts a group and answers it, once per Idempotency-Key.

    A client that retries after a lost answer must not end up with two
    groups (and two pots): with a key, the answer is stored with the
    group, in the same database transaction, and a retry replays it
    (:func:`idempotent`).

    Args:
        holder_id: The creator (the user's id).
        name: As for :func:`group_create`.
        target_amount: As for :func:`group_create`.
        currency: As for :func:`group_create`.
        target_date: As for :func:`group_create`.
        idempotency_key: The caller's key, already validated, or None.
        request_hash: The fingerprint of the request (with a key).

    Returns:
        The group as the API shows it, its creator its only member (new
        or replayed), and no journal header: opening a pot moves no money.

    Raises:
        KeyInFlightError: Same key, first request running.
        KeyReusedError: Same key, different request.
        HolderNotReadyError: The holder is unknown (not created yet).
        HolderClosedError: The holder is closed.
    """
    holder = holder_get(user_id=holder_id)
    group = group_create(
        holder=holder,
        name=name,
        target_amount=target_amount,
        currency=currency,
        target_date=target_date,
    )
    return group_data(group_get(holder=holder, group_id=group.id)), None


@transaction.atomic
def member_add(
    *, holder_id: uuid.UUID, group_id: uuid.UUID | str, email: str
) -> models.GroupMember:
    """Adds the user with an email to a group the caller is a member of.

    Any member may add another. The email is compared ignoring case, as
    the users service compares logins; only an open holder can join. A
    former member is added back on their own row (``left_at`` cleared;
    ``joined_at`` and ``added_by`` stay as they first joined). The
    database's unique (group, holder) decides between two concurrent adds
    of the same user, and the row's lock between two concurrent adds back:
    one membership, and the other caller gets ``already_member``.

    Args:
        holder_id: The caller.
        group_id: The group id as given.
        email: The new member's email.

    Returns:
        The membership, with its holder and group.

    Raises:
        GroupNotFoundError: Unknown group, or the caller is not a member.
        UserNotFoundError: No open holder has that email.
        AlreadyMemberError: That user is a member already.
    """
    group = group_of_member(holder_id=holder_id, group_id=group_id)
    added = (
        models.Holder.objects.alias(email_lower=Lower("email"))
        .filter(email_lower=email.strip().lower(), closed_at__isnull=True)
        .order_by("created_at", "user_id")
        .first()
    )
    if added is None:
        raise errors.UserNotFoundError()
    try:
        # A savepoint: the caller's transaction survives the refusal.
        with transaction.atomic():
            return models.GroupMember.objects.create(
                group=group, holder=added, added_by_id=holder_id
            )
    except IntegrityError as error:
        former = models.GroupMember.objects.former().filter(
            group=group, holder=added
        )
        # Under READ COMMITTED a second concurrent update waits for the
        # first, then finds the row current: it updates nothing.
        if not former.update(left_at=None):
            raise errors.AlreadyMemberError() from error
    return models.GroupMember.objects.select_related("holder", "group").get(
        group=group, holder=added
    )


@transaction.atomic
def member_leave(
    *, holder_id: uuid.UUID, group_id: uuid.UUID | str
) -> models.GroupMember:
    """Takes the caller out of a group; their money stays in its pot.

    Nothing financial changes and nothing is deleted: the membership row
    keeps ``left_at``, and the caller's contributions stay the group's
    (the leaderboard still shows them). From then on the group is unknown
    to them, until a member adds them back. Any member may leave, the
    creator and the last one included: the group and its pot stay.

    Args:
        holder_id: The caller.
        group_id: The group id as given.

    Returns:
        The membership, now with ``left_at``.

    Raises:
        GroupNotFoundError: Unknown group, or the caller is not a member.
    """
    member = _membership_lock(holder_id=holder_id, group_id=group_id)
    member.left_at = timezone.now()
    member.save(update_fields=["left_at"])
    return member


def _membership_lock(
    *, holder_id: uuid.UUID, group_id: uuid.UUID | str
) -> models.GroupMember:
    """Returns the caller's membership of a group, locked until commit.

    A contribution and leaving both take this lock (``FOR NO KEY
    UPDATE``), so they queue: a contribution either commits before its
    member leaves, or, having waited, finds them gone (PostgreSQL reads
    the changed row again and it no longer matches). No contribution is
    ever written after its member's ``left_at``. Nothing else locks a
    membership after the accounts of a movement, so there is no deadlock.

    Raises:
        GroupNotFoundError: Unknown group, or the caller is not a member.
    """
    member = (
        memberships_of(holder_id=holder_id, group_id=group_id)
        .select_for_update(no_key=True, of=("self",))
        .first()
    )
    if member is None:
        raise errors.GroupNotFoundError()
    return member


def _contribution_tell(
    group: models.SavingsGroup, header: models.Transaction
) -> None:
    """Tells the group's members with webhooks of a contribution."""
    members = list(
        models.GroupMember.objects.filter(
            group=group,
            left_at__isnull=True,
            holder__webhooks_in_use__gt=0,
        ).values_list("holder_id", flat=True)
    )
    events_record(
        [
            Event(
                type=webhook_events.GROUP_CONTRIBUTION,
                holder_id=member,
                data={
                    "group": {"id": str(group.id), "name": group.name},
                    "contribution": {
                        "transaction_id": str(header.id),
                        "member": str(header.holder_id),
                        "amount": money.format_amount(
                            header.amount, header.currency
                        ),
                        "currency": header.currency,
                        "message": header.description,
                        "occurred_at": timeparse.format_instant(
                            header.occurred_at
                        ),
                    },
                },
            )
            for member in members
        ]
    )


@idempotent
def contribution_apply(
    *,
    holder_id: uuid.UUID,
    group_id: uuid.UUID | str,
    amount: int,
    currency: str,
    message: str = "",
) -> tuple[dict[str, Any], models.Transaction]:
    """Moves money from a member's savings into their group's pot.

    Locks the caller's membership first (they cannot leave while their
    money moves), then the member's wallet in the currency and the pot in
    one query, in id order, so that members contributing at once queue on
    the pot without deadlocks and its running balance stays exact. The
    member's main account is locked too: it is not moved, but the answer
    shows it.

    The plan's savings hold (``savings_hold_days``) does not apply: it
    keeps savings from going back to main to be spent, and a contribution
    keeps the money saved, in the pot. Any savings the member has can be
    contributed.

    Args:
        holder_id: The member.
        group_id: The group id as given.
        amount: Minor units, > 0.
        currency: Must be the group's.
        message: The member's note, kept as the transaction's description.
        idempotency_key: The caller's key, already validated, or None.
        request_hash: The fingerprint of the request (with a key).

    Returns:
        ``{transaction, balances, group}``, new or replayed: the member's
        ``group_contribution``, their balances and the group right after.

    Raises:
        GroupNotFoundError: Unknown group, or the caller is not a member.
        CurrencyMismatchError: Another currency than the group's.
        InsufficientFundsError: Savings hold less than the amount.
        (and the holder, wallet and idempotency errors of credits)
    """
    group = _membership_lock(holder_id=holder_id, group_id=group_id).group
    if currency != group.currency:
        raise errors.CurrencyMismatchError(
            f"The group saves in {group.currency}, not {currency}."
        )
    locked = accounts_lock(
        holder_id=holder_id, currencies=(currency,), pot=group.pot_id
    )
    _, savings = locked.wallet(currency)
    pot = locked.by_id[group.pot_id]
    check_funds(account=savings, amount=amount)
    header = header_new(
        holder_id=holder_id,
        kind=models.Transaction.Kind.GROUP_CONTRIBUTION,
        amount=amount,
        currency=currency,
        description=message,
        counterparty_account_id=pot.id,
    )
    postings = [post(savings, -amount), post(pot, amount)]
    journal_write(
        [(header, postings)],
        [savings, pot],
        notified=locked.notified,
        group=group,
    )
    _contribution_tell(group, header)
    group.pot = pot  # the locked row, with the new balance
    # Read in the movement's transaction: the leaderboard sees this
    # contribution, and the stored body of a key says the same.
    [standing] = group_standings([group])
    body = {
        **answer(header, postings, locked, group=group),
        "group": group_data(standing),
    }
    return body, header
