"""Reads of webhooks: an account's endpoints, and their delivery log."""

import dataclasses
import uuid

from accounting import errors, models
from accounting.selectors.transactions import cursor_decode, position_encode
from config import bounds, keyset

# The tries shown with each delivery, newest first.
TRIES_SHOWN = 10
_ORDERING = ("-created_at", "-id")


@dataclasses.dataclass(frozen=True)
class DeliveryPage:
    """A page of an endpoint's deliveries and the cursor of the next."""

    results: list[models.WebhookDelivery]
    next_cursor: str | None


def webhooks_list(
    *,
    holder: models.Holder | None = None,
    partner: models.Partner | None = None,
) -> list[models.WebhookEndpoint]:
    """Returns an account's endpoints in use, oldest first."""
    return list(
        models.WebhookEndpoint.objects.filter(
            holder=holder, partner=partner, removed_at__isnull=True
        )
    )


def webhook_get(
    *,
    webhook_id: str,
    holder: models.Holder | None = None,
    partner: models.Partner | None = None,
) -> models.WebhookEndpoint:
    """Returns one of an account's endpoints in use.

    Raises:
        WebhookNotFoundError: No such endpoint of this account (another
            account's, or a removed one, is unknown too).
    """
    try:
        pk = uuid.UUID(webhook_id)
    except ValueError as error:
        raise errors.WebhookNotFoundError() from error
    endpoint = models.WebhookEndpoint.objects.filter(
        pk=pk, holder=holder, partner=partner, removed_at__isnull=True
    ).first()
    if endpoint is None:
        raise errors.WebhookNotFoundError()
    return endpoint


def deliveries_page(
    *,
    endpoint: models.WebhookEndpoint,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = bounds.DEFAULT_PAGE_SIZE,
) -> DeliveryPage:
    """Returns a page of an endpoint's deliveries, newest first.

    Each comes with its event and its last :data:`TRIES_SHOWN` tries.

    Raises:
        InvalidCursorError: A cursor that no page gave.
    """
    deliveries = models.WebhookDelivery.objects.filter(endpoint=endpoint)
    if status is not None:
        deliveries = deliveries.filter(status=status)
    if cursor is not None:
        deliveries = deliveries.filter(
            keyset.after(ordering=_ORDERING, position=cursor_decode(cursor))
        )
    rows = list(
        deliveries.select_related("event")
        .prefetch_related("tries")
        .order_by(*_ORDERING)[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return DeliveryPage(
        rows, position_encode(last.created_at, last.id) if last else None
    )


def delivery_get(
    *, endpoint: models.WebhookEndpoint, delivery_id: str
) -> models.WebhookDelivery:
    """Returns one of an endpoint's deliveries.

    Raises:
        DeliveryNotFoundError: No such delivery of this endpoint.
    """
    try:
        pk = uuid.UUID(delivery_id)
    except ValueError as error:
        raise errors.DeliveryNotFoundError() from error
    delivery = (
        models.WebhookDelivery.objects.select_related("event")
        .prefetch_related("tries")
        .filter(pk=pk, endpoint=endpoint)
        .first()
    )
    if delivery is None:
        raise errors.DeliveryNotFoundError()
    return delivery
