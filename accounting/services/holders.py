"""Holders: the accounting side of users, kept in step with user events.

A user's creation opens the holder and its wallet in the default currency
(``accounting.services.accounts``); an update changes what accounting
knows of them; a deletion closes the holder and every wallet.
"""

import dataclasses
import datetime as dt
import enum
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import dateparse, timezone

from accounting import models
from accounting.services.accounts import account_open
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
    # When users wrote it; None when the payload does not say (or not
    # as an aware ISO 8601 instant): only the lag on the dashboard lacks it.
    occurred_at: dt.datetime | None = None

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
                occurred_at=_instant(payload.get("occurred_at")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"Malformed user event: {error!r}") from error
        if event.type not in contracts.USER_EVENT_TYPES:
            raise ValueError(f"Unknown user event type {event.type!r}.")
        return event


def _instant(value: Any) -> dt.datetime | None:
    """Returns an aware instant from an ISO 8601 string, or None."""
    try:
        instant = dateparse.parse_datetime(str(value))
    except ValueError:
        return None
    if instant is None or timezone.is_naive(instant):
        return None
    return instant


def _event_record(event: UserEvent) -> bool:
    """Records an event id; returns False if it was processed before.

    A concurrent delivery of the same event waits on the primary key until
    the first commits, then fails here: an event applies once.
    """
    try:
        with transaction.atomic():
            models.ProcessedEvent.objects.create(
                event_id=event.event_id, occurred_at=event.occurred_at
            )
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
    (``accounts.account_close``) stays closed.
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
    if not _event_record(event):
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
