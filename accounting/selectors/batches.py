"""Reads of partners: a live key, one batch, a page of its items."""

import dataclasses
import uuid

from accounting import errors, models
from config import bounds


@dataclasses.dataclass(frozen=True)
class ItemPage:
    """A page of a batch's items and the cursor of the next, if any."""

    results: list[models.CreditBatchItem]
    next_cursor: str | None


def partner_key_live(*, key_id: uuid.UUID) -> models.PartnerKey:
    """Returns a key that is not revoked, by its id.

    Raises:
        ApiKeyInvalidError: No such key, or it is revoked.
    """
    key = models.PartnerKey.objects.filter(
        pk=key_id, revoked_at__isnull=True
    ).first()
    if key is None:
        raise errors.ApiKeyInvalidError()
    return key


def credit_batch_get(
    *, partner_id: uuid.UUID, batch_id: str
) -> models.CreditBatch:
    """Returns one of a partner's batches, counted as it stands now.

    Its counts commit with each chunk's money: they never run ahead of it.

    Raises:
        BatchNotFoundError: No such batch of this partner (another
            partner's is unknown too, so ids cannot be probed).
    """
    try:
        pk = uuid.UUID(batch_id)
    except ValueError as error:
        raise errors.BatchNotFoundError() from error
    batch = models.CreditBatch.objects.filter(
        partner_id=partner_id, pk=pk
    ).first()
    if batch is None:
        raise errors.BatchNotFoundError()
    return batch


def credit_batch_items(
    *,
    batch: models.CreditBatch,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = bounds.MAX_PAGE_SIZE,
) -> ItemPage:
    """Returns a page of a batch's items in request order.

    Args:
        batch: The batch.
        status: Only items with this status (``pending``, ``applied``,
            ``refused``); None for all.
        cursor: Where the previous page ended (its ``next_cursor``).
        limit: Items per page.

    Returns:
        The page.

    Raises:
        InvalidCursorError: A cursor that no page gave.
    """
    items = models.CreditBatchItem.objects.filter(batch=batch)
    if status is not None:
        items = items.filter(status=status)
    if cursor is not None:
        if not cursor.isascii() or not cursor.isdigit() or len(cursor) > 9:
            raise errors.InvalidCursorError()
        items = items.filter(position__gt=int(cursor))
    page = list(items.order_by("position")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return ItemPage(page, str(page[-1].position) if more else None)
