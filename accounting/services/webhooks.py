"""Webhooks: endpoints, the events written with the money, deliveries.

An account (a holder, or a partner) registers endpoints; each gets a
secret, shown when it is made or rotated. What happens to the account is
written as a :class:`models.WebhookEvent` in the database transaction of
the change itself (:func:`events_record`, called by the journal and the
jobs), with one :class:`models.WebhookDelivery` per endpoint that wants
it: the outbox. A Celery task (:func:`deliveries_send`) posts what is
due, signed, and retries a failure with backoff
(``accounting.webhooks.schedule``) for days; every try is logged, and a
delivery can be sent again (:func:`delivery_resend`).
"""

import dataclasses
import datetime as dt
import json
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounting import errors, models, webhooks
from accounting.services.commits import after_commit
from accounting.services.runners import job_queue
from config import contracts, sql, timeparse
from config.sql import db_value
from config.webhook_events import (
    HOLDER_EVENT_TYPES,
    PARTNER_EVENT_TYPES,
)

# Endpoints in use per account.
MAX_ENDPOINTS = 10
# How long the secret before a rotation still signs.
ROTATION_GRACE = dt.timedelta(hours=24)
# Deliveries one run of the task sends at most (the next run goes on).
SEND_BATCH = 50
# How long a delivery being sent is kept from other workers: longer than
# an attempt may take (``WEBHOOK_TIMEOUT``).
LEASE = dt.timedelta(minutes=2)
HEADER_ID = "Webhook-Id"
_EVENT_COLUMNS = (
    "id",
    "type",
    "holder_id",
    "partner_id",
    "sequence",
    "data",
    "created_at",
)
_DELIVERY_COLUMNS = (
    "id",
    "event_id",
    "endpoint_id",
    "status",
    "attempts",
    "next_attempt_at",
    "retry_from",
    "last_error",
    "created_at",
)
HEADER_TIMESTAMP = "Webhook-Timestamp"


@dataclasses.dataclass(frozen=True)
class Event:
    """Something to tell an account, before it is written.

    Attributes:
        type: One of ``config.webhook_events.EVENT_TYPES``.
        data: The event's document (JSON values).
        holder_id: The holder told, or None.
        partner_id: The partner told, or None.
    """

    type: str
    data: dict
    holder_id: uuid.UUID | None = None
    partner_id: uuid.UUID | None = None


# --- Endpoints ---------------------------------------------------------------


def _check_events(events: list[str], allowed: tuple[str, ...]) -> list[str]:
    """Returns the event types, sorted, once each; refuses unknown ones."""
    unknown = sorted(set(events) - set(allowed))
    if unknown:
        raise errors.WebhookInvalidError(
            "events", f"Unknown event types: {', '.join(unknown)}."
        )
    return sorted(set(events))


def endpoint_create(
    *,
    url: str,
    events: list[str],
    holder: models.Holder | None = None,
    partner: models.Partner | None = None,
) -> models.WebhookEndpoint:
    """Registers an endpoint of a holder or a partner, with a new secret.

    Args:
        url: Where to send (checked: HTTPS in production, and no address
            of a private, loopback or link-local range unless allowed).
        events: The event types wanted; empty for every one.
        holder: The holder's endpoint; or
        partner: the partner's.

    Returns:
        The endpoint; its ``secret`` is shown once, now.

    Raises:
        WebhookUrlInvalidError: The URL is refused.
        WebhookInvalidError: Unknown event types, or too many endpoints.
    """
    allowed = PARTNER_EVENT_TYPES if partner is not None else HOLDER_EVENT_TYPES
    chosen = _check_events(events, allowed)
    webhooks.endpoint_check(
        url,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
        require_https=settings.WEBHOOK_REQUIRE_HTTPS,
    )
    with transaction.atomic():
        if holder is not None:
            # The holder's row, locked: two creations count one by one.
            holder = models.Holder.objects.select_for_update().get(pk=holder.pk)
        live = models.WebhookEndpoint.objects.filter(
            holder=holder, partner=partner, removed_at__isnull=True
        ).count()
        if live >= MAX_ENDPOINTS:
            raise errors.WebhookInvalidError(
                "url", f"An account has at most {MAX_ENDPOINTS} endpoints."
            )
        endpoint = models.WebhookEndpoint.objects.create(
            holder=holder,
            partner=partner,
            url=url,
            events=chosen,
            secret=webhooks.secret_new(),
        )
        if holder is not None:
            models.Holder.objects.filter(pk=holder.pk).update(
                webhooks_in_use=live + 1
            )
    return endpoint


def endpoint_remove(*, endpoint: models.WebhookEndpoint) -> None:
    """Removes an endpoint: nothing more is sent to it; its log stays."""
    with transaction.atomic():
        removed = models.WebhookEndpoint.objects.filter(
            pk=endpoint.pk, removed_at__isnull=True
        ).update(removed_at=timezone.now())
        if removed and endpoint.holder_id is not None:
            models.Holder.objects.filter(pk=endpoint.holder_id).update(
                webhooks_in_use=F("webhooks_in_use") - 1
            )
        models.WebhookDelivery.objects.filter(
            endpoint=endpoint, status=models.WebhookDelivery.Status.PENDING
        ).update(
            status=models.WebhookDelivery.Status.FAILED,
            last_error="endpoint_removed",
        )
    endpoint.refresh_from_db()


def endpoint_rotate(
    *, endpoint: models.WebhookEndpoint
) -> models.WebhookEndpoint:
    """Gives an endpoint a new secret; the old one signs for a day more."""
    now = timezone.now()
    models.WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret=F("secret"),
        previous_secret_until=now + ROTATION_GRACE,
        secret=webhooks.secret_new(),
    )
    endpoint.refresh_from_db()
    return endpoint


# --- Events ------------------------------------------------------------------


def _sequence_take(
    model: type[models.Holder] | type[models.Partner],
    pk: uuid.UUID,
    count: int,
) -> int:
    """Takes an account's next ``count`` event numbers; returns the first.

    One ``UPDATE ... RETURNING``: the counter's row stays locked until the
    transaction ends, so an account's events are numbered in the order
    they commit.
    """
    meta = model._meta
    # Only names from the model are formatted in.
    sql = (
        f'UPDATE "{meta.db_table}" SET "webhook_sequence" = '  # noqa: S608
        f'"webhook_sequence" + %s WHERE "{meta.pk.column}" = %s '
        'RETURNING "webhook_sequence"'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, db_value(model, meta.pk.name, pk)])
        last = cursor.fetchone()[0]
    return last - count + 1


def events_record(events: list[Event], *, many: bool = False) -> None:
    """Writes events, and their deliveries, in the caller's transaction.

    Only an account with an endpoint in use is told anything; each of its
    endpoints gets the events of the types it wants. The delivery task is
    queued once the transaction commits. Plain statements
    (``config.sql``), as the journal's: a movement's pipelined transaction
    takes no ORM write.

    Args:
        events: What happened, in order.
        many: Hundreds of them (a batch's chunk): streamed, not listed.
    """
    if not events:
        return
    accounts: dict[tuple, list[Event]] = {}
    for event in events:
        accounts.setdefault((event.holder_id, event.partner_id), []).append(
            event
        )
    endpoints: dict[tuple, list[models.WebhookEndpoint]] = {}
    for endpoint in models.WebhookEndpoint.objects.filter(
        removed_at__isnull=True
    ).filter(
        Q(holder_id__in=[h for h, _ in accounts if h is not None])
        | Q(partner_id__in=[p for _, p in accounts if p is not None])
    ):
        key = (endpoint.holder_id, endpoint.partner_id)
        endpoints.setdefault(key, []).append(endpoint)
    now = timezone.now()
    rows, deliveries = [], []
    # In a fixed order (by account), as every lock is taken.
    for key in sorted(endpoints, key=str):
        holder_id, partner_id = key
        model, pk = (
            (models.Holder, holder_id)
            if holder_id is not None
            else (models.Partner, partner_id)
        )
        told = accounts[key]
        first = _sequence_take(model, pk, len(told))
        for offset, event in enumerate(told):
            row = models.WebhookEvent(
                type=event.type,
                holder_id=holder_id,
                partner_id=partner_id,
                sequence=first + offset,
                data=event.data,
                created_at=now,
            )
            rows.append(row)
            deliveries += [
                models.WebhookDelivery(
                    event=row,
                    endpoint=endpoint,
                    next_attempt_at=now,
                    retry_from=now,
                    created_at=now,
                )
                for endpoint in endpoints[key]
                if not endpoint.events or event.type in endpoint.events
            ]
    insert = sql.insert_many if many else sql.insert
    if rows:
        insert(
            models.WebhookEvent,
            _EVENT_COLUMNS,
            [
                tuple(getattr(row, name) for name in _EVENT_COLUMNS)
                for row in rows
            ],
        )
    if deliveries:
        insert(
            models.WebhookDelivery,
            _DELIVERY_COLUMNS,
            [
                tuple(getattr(row, name) for name in _DELIVERY_COLUMNS)
                for row in deliveries
            ],
        )
        after_commit(deliveries_queue)


def deliveries_queue() -> None:
    """Asks a worker to send what is due (beat asks too, regularly)."""
    job_queue(contracts.WEBHOOKS_SEND_TASK)


# --- Deliveries --------------------------------------------------------------


def _body(event: models.WebhookEvent) -> bytes:
    """The document an event is delivered as: the same bytes every time."""
    account = (
        {"user_id": str(event.holder_id)}
        if event.holder_id is not None
        else {"partner_id": str(event.partner_id)}
    )
    return json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "created_at": timeparse.format_instant(event.created_at),
            "sequence": event.sequence,
            "account": account,
            "data": event.data,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def _secrets(endpoint: models.WebhookEndpoint, now: dt.datetime) -> list[str]:
    """The secrets that sign now: the current, and a recent previous one."""
    keep = endpoint.previous_secret and endpoint.previous_secret_until > now
    return [endpoint.secret, *([endpoint.previous_secret] if keep else [])]


def _send(delivery: models.WebhookDelivery) -> webhooks.Attempt:
    """Posts a delivery once, signed now."""
    now = timezone.now()
    stamp = int(now.timestamp())
    body = _body(delivery.event)
    return webhooks.post_signed(
        delivery.endpoint.url,
        body=body,
        headers={
            "Content-Type": "application/json",
            HEADER_ID: str(delivery.event_id),
            HEADER_TIMESTAMP: str(stamp),
            webhooks.SIGNATURE_HEADER: webhooks.signature_header(
                secrets=_secrets(delivery.endpoint, now),
                timestamp=stamp,
                body=body,
            ),
        },
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
        require_https=settings.WEBHOOK_REQUIRE_HTTPS,
        timeout=settings.WEBHOOK_TIMEOUT,
    )


def _outcome_save(
    delivery: models.WebhookDelivery, attempt: webhooks.Attempt
) -> None:
    """Logs a try and decides what comes next: done, later, or given up."""
    now = timezone.now()
    status = models.WebhookDelivery.Status
    delivery.attempts += 1
    delivery.last_status_code = attempt.status_code
    delivery.last_error = attempt.error
    if attempt.delivered:
        delivery.status, delivery.delivered_at = status.DELIVERED, now
    elif webhooks.gives_up(first_at=delivery.retry_from, now=now):
        delivery.status = status.FAILED
    else:
        delivery.next_attempt_at = now + webhooks.retry_delay(delivery.attempts)
    models.WebhookAttempt.objects.create(
        delivery=delivery,
        at=now,
        status_code=attempt.status_code,
        error=attempt.error,
        duration_ms=attempt.duration_ms,
        response_excerpt=attempt.response_excerpt[:1024],
    )
    delivery.save(
        update_fields=[
            "attempts",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )


def deliveries_send(*, limit: int = SEND_BATCH) -> int:
    """Sends the deliveries that are due, each once; returns how many.

    Each is claimed in a short transaction (``FOR UPDATE SKIP LOCKED``,
    then moved :data:`LEASE` ahead), posted with no transaction open, and
    its outcome saved in another: workers running this at once never send
    one delivery at the same time, no lock waits on a receiver, and a
    worker killed mid-send leaves the delivery due again once its lease
    ends (sent again: receivers de-duplicate on the event's id).
    """
    sent = 0
    while sent < limit:
        with transaction.atomic():
            now = timezone.now()
            delivery = (
                models.WebhookDelivery.objects.select_for_update(
                    skip_locked=True, of=("self",)
                )
                .select_related("event", "endpoint")
                .filter(
                    status=models.WebhookDelivery.Status.PENDING,
                    next_attempt_at__lte=now,
                )
                .order_by("next_attempt_at", "id")
                .first()
            )
            if delivery is None:
                break
            models.WebhookDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=now + LEASE
            )
        attempt = _send(delivery)
        with transaction.atomic():
            _outcome_save(delivery, attempt)
        sent += 1
    return sent


def delivery_resend(
    *, delivery: models.WebhookDelivery
) -> models.WebhookDelivery:
    """Makes a delivery due now again, whatever became of it.

    The receiver gets the same event (its id and sequence); the attempts
    already made stay in the log, and it is retried for the whole window
    again from now.
    """
    now = timezone.now()
    models.WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=models.WebhookDelivery.Status.PENDING,
        next_attempt_at=now,
        retry_from=now,
        delivered_at=None,
    )
    after_commit(deliveries_queue)
    delivery.refresh_from_db()
    return delivery
