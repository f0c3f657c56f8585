"""Holders (the accounting side of users), their wallets and plans.

Holders follow user events (created, updated, closed); wallets open per
currency with the system accounts money moves through; a holder picks one
of the plans on offer (:func:`plan_assign`; staff keep the plans with
``accounting.services.plans``); staff close a wallet through
:func:`account_close`, deleting a user closes them all.
"""

import dataclasses
import enum
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounting import errors, models
from accounting.services.guards import check_holder_open, check_plan_active
from config import contracts

logger = logging.getLogger(__name__)


class EventOutcome(enum.StrEnum):
    """What applying a user event did."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"


@dataclasses.dataclass(frozen=True)
class UserEvent:
    """A user event as published by the users service.

    See ``config.contracts`` for the wire format; events carry the full
    user state, so any of them can create, update or close a holder.
    """

    event_id: uuid.UUID
    type: str
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    is_active: bool
    version: int

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "UserEvent":
        """Parses the ``event`` argument of the user-event task.

        Args:
            payload: The event as received.

        Returns:
            The parsed event.

        Raises:
            ValueError: The payload does not follow the contract.
        """
        try:
            user = payload["user"]
            event = cls(
                event_id=uuid.UUID(str(payload["event_id"])),
                type=str(payload["type"]),
                user_id=uuid.UUID(str(user["id"])),
                email=str(user["email"]),
                first_name=str(user.get("first_name") or ""),
                last_name=str(user.get("last_name") or ""),
                is_active=bool(user["is_active"]),
                version=int(user["version"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"Malformed user event: {error!r}") from error
        if event.type not in contracts.USER_EVENT_TYPES:
            raise ValueError(f"Unknown user event type {event.type!r}.")
        return event


def _event_record(event_id: uuid.UUID) -> bool:
    """Records an event id; returns False if it was processed before.

    A concurrent delivery of the same event waits on the primary key until
    the first commits, then fails here: an event applies once.
    """
    try:
        with transaction.atomic():
            models.ProcessedEvent.objects.create(event_id=event_id)
    except IntegrityError:
        return False
    return True


def _holder_create(event: UserEvent) -> models.Holder | None:
    """Creates a holder and its default wallet; None if one appeared."""
    try:
        with transaction.atomic():
            holder = models.Holder.objects.create(
                user_id=event.user_id,
                email=event.email,
                first_name=event.first_name,
                last_name=event.last_name,
                version=event.version,
            )
            account_open(holder=holder, currency=settings.DEFAULT_CURRENCY)
    except IntegrityError:
        return None
    return holder


def _holder_set_open(holder: models.Holder, *, is_open: bool) -> None:
    """Closes (or reopens) a holder and its accounts to match the user.

    Closing stamps the accounts still open with the holder's instant;
    reopening reopens just those, so a wallet staff closed on its own
    (:func:`account_close`) stays closed.
    """
    if is_open == (not holder.is_closed):
        return
    accounts = models.Account.objects.filter(holder=holder)
    if is_open:
        accounts.filter(closed_at=holder.closed_at).update(closed_at=None)
        holder.closed_at = None
    else:
        holder.closed_at = timezone.now()
        accounts.filter(closed_at__isnull=True).update(
            closed_at=holder.closed_at
        )
    holder.save(update_fields=["closed_at", "updated_at"])


@transaction.atomic
def holder_apply_user_event(*, event: UserEvent) -> EventOutcome:
    """Applies a user event: create, update or close the holder.

    Idempotent (event ids are recorded) and order-proof (only a newer user
    version changes anything). The first event seen for a user, whatever
    its type, creates the holder with main and savings accounts in the
    default currency.

    Args:
        event: The parsed event.

    Returns:
        Whether it was applied, a duplicate or older than what is held.
    """
    if not _event_record(event.event_id):
        return EventOutcome.DUPLICATE
    holders = models.Holder.objects.select_for_update()
    holder = holders.filter(pk=event.user_id).first()
    if holder is None:
        holder = _holder_create(event)
        if holder is not None:
            _holder_set_open(holder, is_open=event.is_active)
            return EventOutcome.APPLIED
        holder = holders.get(pk=event.user_id)
    if event.version <= holder.version:
        return EventOutcome.STALE
    holder.email = event.email
    holder.first_name = event.first_name
    holder.last_name = event.last_name
    holder.version = event.version
    holder.save(
        update_fields=[
            "email",
            "first_name",
            "last_name",
            "version",
            "updated_at",
        ]
    )
    _holder_set_open(holder, is_open=event.is_active)
    return EventOutcome.APPLIED


# --- Accounts and plans -----------------------------------------------------


@transaction.atomic
def account_open(
    *, holder: models.Holder, currency: str
) -> list[models.Account]:
    """Opens a holder's main and savings accounts in a currency.

    Idempotent per currency. Also makes sure the currency's system
    accounts exist (``world``, ``fx``, ``clearing``), so that money can
    enter, leave, be converted and be transferred in that currency.

    Args:
        holder: An open holder.
        currency: A supported currency code.

    Returns:
        The holder's accounts in that currency, main first.

    Raises:
        HolderClosedError: The holder is closed.
    """
    check_holder_open(holder)
    kind = models.Account.Kind
    models.Account.objects.bulk_create(
        [
            *(
                models.Account(
                    id=models.Account.system_id(k, currency),
                    kind=k,
                    currency=currency,
                )
                for k in models.Account.SYSTEM_KINDS
            ),
            *(
                models.Account(holder=holder, kind=k, currency=currency)
                for k in models.Account.CUSTOMER_KINDS
            ),
        ],
        ignore_conflicts=True,
    )
    return sorted(
        models.Account.objects.filter(holder=holder, currency=currency),
        key=lambda account: account.kind != kind.MAIN,
    )


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


@transaction.atomic
def account_close(*, account: models.Account) -> list[models.Account]:
    """Closes a customer wallet: its main and savings accounts together.

    A closed account accepts no movement (the holder gets
    ``account_closed``; a sender gets ``account_not_found``). Its balance
    and history stay as they are, readable to staff and to the holder.
    Idempotent. Deleting a user closes every wallet the same way.

    Args:
        account: Either account of the wallet.

    Returns:
        The wallet's accounts.

    Raises:
        AccountNotFoundError: A system account (those never close).
    """
    if account.holder_id is None:
        raise errors.AccountNotFoundError()
    wallet = models.Account.objects.filter(
        holder_id=account.holder_id, currency=account.currency
    )
    # The UPDATE locks the rows itself: a movement holding them finishes
    # first, and later ones find the wallet closed.
    wallet.filter(closed_at__isnull=True).update(closed_at=timezone.now())
    return list(wallet.order_by("kind"))
