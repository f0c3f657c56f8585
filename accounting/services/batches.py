"""Partners' credit batches: stored whole, applied by a worker in chunks.

:func:`credit_batch_create` stores a batch and its items in one
transaction, under the partner's ``Idempotency-Key``, and queues it.
:func:`credit_batch_run` (the Celery task's work) applies its pending
items :data:`CHUNK_ITEMS` at a time. Each chunk is one database
transaction that locks every wallet it credits in one query, in id order
(``journal.wallets_lock``), books each item as a credit by the rules of a
single one (``movements.credit_entry``: the user's own plan splits it),
and writes each item's outcome with the money. So a batch can stop
anywhere (a killed worker, a lost database) and run again: only items
still pending are applied, and a partner's reference is applied once
across all its batches.
"""

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from accounting import errors, models, wire
from accounting.services.journal import (
    journal_write,
    wallet_check,
    wallets_lock,
)
from accounting.services.movements import credit_entry
from accounting.services.runners import (
    attempt_start,
    job_queue,
    jobs_stalled,
    sole_runner,
)
from accounting.services.webhooks import Event, events_record
from config import bounds, contracts, sql, webhook_events
from config.idempotency import fingerprints, store

# Items applied per database transaction.
CHUNK_ITEMS = 1000

_ITEM_COLUMNS = (
    "batch_id",
    "partner_id",
    "position",
    "user",
    "amount",
    "currency",
    "reference",
    "status",
    "error_code",
    "error_detail",
)
# What applying an item reads of it (plain rows, not model instances).
_PENDING_COLUMNS = ("id", "position", "user", "amount", "currency", "reference")
_OUTCOME_COLUMNS = (
    "id",
    "status",
    "holder_id",
    "transaction_id",
    "error_code",
    "error_detail",
)


@dataclasses.dataclass(frozen=True)
class BatchItemInput:
    """One credit a partner asks for, already validated.

    Attributes:
        user: The user's id, or their email.
        amount: In minor units, > 0.
        currency: A supported currency code.
        reference: The partner's own id of the payment.
    """

    user: str
    amount: int
    currency: str
    reference: str


def check_batch_items(items: list[BatchItemInput]) -> None:
    """Raises BatchInvalidError unless a batch has a few distinct items.

    Between 1 and ``CREDIT_BATCH_MAX_ITEMS``, and no reference twice: two
    items with one reference would be one payment sent twice.
    """
    if not 1 <= len(items) <= bounds.CREDIT_BATCH_MAX_ITEMS:
        raise errors.BatchInvalidError(
            "items",
            f"A batch has 1 to {bounds.CREDIT_BATCH_MAX_ITEMS:,} items.",
        )
    first: dict[str, int] = {}
    for position, item in enumerate(items):
        earlier = first.setdefault(item.reference, position)
        if earlier != position:
            raise errors.BatchInvalidError(
                "items",
                f"Items {earlier} and {position} have the same reference "
                f"{item.reference!r}.",
            )


def credit_batch_create(
    *,
    key: models.PartnerKey,
    items: list[BatchItemInput],
    idempotency_key: str,
) -> tuple[models.CreditBatch, bool]:
    """Stores a partner's batch and queues it.

    Args:
        key: The partner's key that sent it.
        items: The credits, in the request's order.
        idempotency_key: The partner's key of this request: the same key
            and items answer the first batch instead of storing another.

    Returns:
        The batch, and whether it is an earlier one (a replay).

    Raises:
        BatchInvalidError: No items, too many, or a reference twice.
        KeyReusedError: The key was used for other items.
    """
    check_batch_items(items)
    request_hash = fingerprints.request_hash(
        {"items": [dataclasses.astuple(item) for item in items]}
    )
    try:
        with transaction.atomic():
            batch = models.CreditBatch.objects.create(
                partner_id=key.partner_id,
                key=key,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                items_total=len(items),
            )
            pending = models.CreditBatchItem.Status.PENDING
            sql.insert_many(
                models.CreditBatchItem,
                _ITEM_COLUMNS,
                [
                    (
                        batch.id,
                        key.partner_id,
                        position,
                        item.user,
                        item.amount,
                        item.currency,
                        item.reference,
                        pending,
                        "",
                        "",
                    )
                    for position, item in enumerate(items)
                ],
            )
            transaction.on_commit(
                lambda: job_queue(contracts.CREDIT_BATCH_APPLY_TASK, batch.id)
            )
    except IntegrityError:
        # A concurrent request with the key waited for the first to commit.
        earlier = models.CreditBatch.objects.get(
            partner_id=key.partner_id, idempotency_key=idempotency_key
        )
        if not fingerprints.same_request(earlier.request_hash, request_hash):
            raise store.KeyReusedError() from None
        return earlier, True
    return batch, False


# --- Applying ---------------------------------------------------------------


def _holders_named(users: Iterable[str]) -> dict[str, uuid.UUID]:
    """Finds the holder each user names: by id, or by email in any case.

    Of a deleted user and a live one with the same email, the live one.

    Returns:
        The holder of each user that names one.
    """
    ids: dict[uuid.UUID, list[str]] = {}
    emails: dict[str, list[str]] = {}
    for user in users:
        try:
            ids.setdefault(uuid.UUID(user), []).append(user)
        except ValueError:
            emails.setdefault(user.strip().lower(), []).append(user)
    found = {}
    for holder in models.Holder.objects.filter(pk__in=list(ids)).values_list(
        "pk", flat=True
    ):
        for user in ids[holder]:
            found[user] = holder
    if emails:
        # Deleted holders first, so that a live one wins.
        for holder, email in (
            models.Holder.objects.alias(email_lower=Lower("email"))
            .filter(email_lower__in=list(emails))
            .order_by(F("closed_at").asc(nulls_last=True), "pk")
            .values_list("pk", "email")
        ):
            for user in emails.get(email.lower(), ()):
                found[user] = holder
    return found


def _partner_lock(partner_id: uuid.UUID) -> None:
    """Makes a partner's chunks commit one at a time, until this one ends.

    So a reference in two of its batches running at once is seen applied
    by the second; the unique index of applied references would refuse it
    anyway, by rolling the chunk back.
    """
    if connection.vendor != "postgresql":  # pragma: no cover - SQLite only
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)",
            [fingerprints.lock_id("partner", str(partner_id))],
        )


def _chunk_apply(batch: models.CreditBatch, items: list[Any]) -> None:
    """Applies a chunk of pending items in one transaction, with outcomes."""
    status = models.CreditBatchItem.Status
    with transaction.atomic():
        _partner_lock(batch.partner_id)
        credited = set(
            models.CreditBatchItem.objects.filter(
                partner_id=batch.partner_id,
                status=status.APPLIED,
                reference__in=[item.reference for item in items],
            ).values_list("reference", flat=True)
        )
        holders = _holders_named({item.user for item in items})
        locked = wallets_lock(
            {
                (holders[item.user], item.currency)
                for item in items
                if item.user in holders and item.reference not in credited
            }
        )
        journal, moved, outcomes = [], {}, []
        for item in items:
            holder = holders.get(item.user)
            try:
                if item.reference in credited:
                    raise errors.DuplicateReferenceError()
                if holder is None:
                    raise errors.UserNotFoundError(
                        "No user with that id or email."
                    )
                wallet = locked[holder]
                wallet_check(wallet, item.currency)
                header, postings, accounts = credit_entry(
                    wallet,
                    amount=item.amount,
                    currency=item.currency,
                    source=batch.partner.name,
                    description=item.reference,
                )
            except errors.AccountingError as refusal:
                outcomes.append(
                    (
                        item.id,
                        status.REFUSED,
                        holder,
                        None,
                        refusal.code,
                        refusal.detail[:500],
                    )
                )
                continue
            journal.append((header, postings))
            moved.update((account.id, account) for account in accounts)
            outcomes.append(
                (item.id, status.APPLIED, holder, header.id, "", "")
            )
        if journal:
            journal_write(
                journal,
                list(moved.values()),
                many=True,
                notified=set().union(
                    *(wallet.notified for wallet in locked.values())
                ),
            )
        sql.update_many(models.CreditBatchItem, _OUTCOME_COLUMNS, outcomes)
        models.CreditBatch.objects.filter(pk=batch.pk).update(
            items_applied=F("items_applied") + len(journal),
            items_refused=F("items_refused") + len(outcomes) - len(journal),
            updated_at=timezone.now(),
        )


def _finish(
    batch: models.CreditBatch, *, code: str = "", detail: str = ""
) -> None:
    """Marks a batch completed (or failed); tells the partner's webhooks."""
    status = models.CreditBatch.Status
    with transaction.atomic():
        models.CreditBatch.objects.filter(pk=batch.pk).update(
            status=status.FAILED if code else status.COMPLETED,
            error_code=code,
            error_detail=detail[:500],
            completed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        batch.refresh_from_db()
        events_record(
            [
                Event(
                    type=webhook_events.BATCH_COMPLETED,
                    partner_id=batch.partner_id,
                    data={"batch": wire.credit_batch_data(batch)},
                )
            ]
        )


def _apply(batch: models.CreditBatch) -> None:
    """Applies every pending item of a batch, chunk by chunk."""
    after = -1
    while True:
        items = list(
            models.CreditBatchItem.objects.filter(
                batch=batch,
                status=models.CreditBatchItem.Status.PENDING,
                position__gt=after,
            )
            .order_by("position")
            .values_list(*_PENDING_COLUMNS, named=True)[:CHUNK_ITEMS]
        )
        if not items:
            break
        _chunk_apply(batch, items)
        after = items[-1].position
    _finish(batch)


def credit_batch_run(*, batch_id: uuid.UUID) -> models.CreditBatch | None:
    """Applies a batch's pending items; safe to run again, any time.

    One runner at a time (:func:`.runners.sole_runner`); another returns
    at once. Each run counts as an attempt (:func:`.runners.attempt_start`):
    past ten, the batch fails, keeping what it applied (its other items
    stay pending).

    Args:
        batch_id: The batch.

    Returns:
        The batch as it stands, or None if there is no such batch.
    """
    with sole_runner("batch", batch_id) as held:
        batch = (
            models.CreditBatch.objects.select_related("partner")
            .filter(pk=batch_id)
            .first()
        )
        if batch is None or batch.is_finished or not held:
            return batch
        failure = attempt_start(batch)
        if failure:
            code, detail = failure
            _finish(batch, code=code, detail=detail)
        else:
            _apply(batch)
    batch.refresh_from_db()
    return batch


def credit_batches_stalled(
    *, now: dt.datetime | None = None
) -> list[uuid.UUID]:
    """Returns the batches to wake, marked woken now (see the runners)."""
    return jobs_stalled(models.CreditBatch, now=now)
