"""Reads of a holder's transactions: one, or a page of them.

Lists are keyset-paginated on ``(effective_at, id)`` with an opaque
cursor, so a page costs the same however deep it is: a holder's history is
ordered by when things happened to them, so a record dated late takes its
place among its days. A transaction comes with its
splits (its entries on the holder's main and savings accounts), prefetched
in one more query for the whole page.
"""

import base64
import binascii
import dataclasses
import datetime as dt
import json
import uuid

from django.db.models import F, Prefetch, Q, QuerySet

from accounting import errors, models, wire
from config import keyset, ranges
from config.bounds import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def _splits() -> Prefetch:
    """Prefetches a transaction's customer entries with the account kind.

    By kind, not by sequence: a group's pot keeps a sequence too, but it is
    nobody's wallet, so a contribution's only split is the savings leg.
    """
    return Prefetch(
        "entries",
        queryset=models.Entry.objects.filter(
            account__kind__in=models.Account.CUSTOMER_KINDS
        )
        .annotate(account_kind=F("account__kind"))
        .order_by("id"),
        to_attr="customer_entries",
    )


# A contribution's group, read with the transaction (a join, not a query
# per row): its pot is the counterparty account.
_CONTRIBUTION_GROUP = "counterparty_account__savings_group"


# Whether staff reversed it: a LEFT JOIN on the unique index of
# ``reverses``, one column, not a query per row.
_REVERSED_BY = {"reversed_by_id": F("reversed_by__id")}


def transaction_data(transaction: models.Transaction) -> dict:
    """Returns the wire form of a transaction fetched by this module."""
    group = None
    if transaction.kind == models.Transaction.Kind.GROUP_CONTRIBUTION:
        group = transaction.counterparty_account.savings_group
    return wire.transaction_data(
        transaction,
        [
            (e.account_kind, e.currency, e.amount)
            for e in transaction.customer_entries
        ],
        group,
        transaction.reversed_by_id,
    )


def transaction_get(
    *, holder: models.Holder, transaction_id: str
) -> models.Transaction:
    """Returns one of a holder's transactions, with its splits.

    Args:
        holder: The holder.
        transaction_id: The id as given (another holder's id is unknown).

    Returns:
        The transaction.

    Raises:
        TransactionNotFoundError: No such transaction for this holder.
    """
    try:
        pk = uuid.UUID(transaction_id)
    except ValueError as error:
        raise errors.TransactionNotFoundError() from error
    found = (
        models.Transaction.objects.filter(holder=holder, pk=pk)
        .annotate(**_REVERSED_BY)
        .select_related(_CONTRIBUTION_GROUP)
        .prefetch_related(_splits())
        .first()
    )
    if found is None:
        raise errors.TransactionNotFoundError()
    return found


def cursor_encode(transaction: models.Transaction) -> str:
    """Returns the opaque cursor that resumes after a transaction."""
    return position_encode(transaction.effective_at, transaction.id)


def position_encode(at: dt.datetime, pk: uuid.UUID) -> str:
    """Returns the opaque cursor of a row of a list ordered by instant, id.

    The same form for every such list (transactions, webhook deliveries):
    :func:`cursor_decode` reads it back.
    """
    position = {"t": at.isoformat(), "id": str(pk)}
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """Reads a cursor made by :func:`position_encode`.

    Raises:
        InvalidCursorError: It is not such a cursor.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
        at = dt.datetime.fromisoformat(position["t"])
        pk = uuid.UUID(position["id"])
    except (
        binascii.Error,
        UnicodeDecodeError,
        ValueError,
        TypeError,
        KeyError,
    ) as error:
        raise errors.InvalidCursorError() from error
    if at.tzinfo is None:
        raise errors.InvalidCursorError()
    return at, pk


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of transactions and the cursor of the next, if any."""

    results: list[models.Transaction]
    next_cursor: str | None


def transactions_query(
    *,
    holder: models.Holder,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    kind: str | None = None,
    currency: str | None = None,
    cursor: str | None = None,
    order: str = "desc",
) -> QuerySet[models.Transaction]:
    """Returns a holder's transactions in page order, from a cursor on.

    Keyset pagination on ``(effective_at, id)``, the tail of the index
    ``accounting_txn_holder_date``: a resumed page is an index range that
    starts at the cursor (``config.keyset``), whatever its depth. Splits
    come prefetched in one more query for whatever slice is read.

    Args:
        holder: The holder.
        date_from: Only transactions effective at or after this instant.
        date_to: Only transactions effective at or before this instant.
        kind: Only this transaction kind.
        currency: Only this currency.
        cursor: Resume after the position this cursor names.
        order: ``desc`` (newest first) or ``asc``.

    Returns:
        The query, ordered, unsliced.

    Raises:
        InvalidRangeError: ``date_from`` is after ``date_to``.
        InvalidCursorError: The cursor is not valid.
    """
    if not ranges.ordered(date_from, date_to):
        raise errors.InvalidRangeError()
    query = models.Transaction.objects.filter(holder=holder)
    if date_from:
        query = query.filter(effective_at__gte=date_from)
    if date_to:
        query = query.filter(effective_at__lte=date_to)
    if kind:
        query = query.filter(kind=kind)
    if currency:
        # A conversion is in both of its currencies.
        query = query.filter(Q(currency=currency) | Q(to_currency=currency))
    ordering = ("effective_at", "id")
    if order != "asc":
        ordering = ("-effective_at", "-id")
    if cursor:
        query = query.filter(
            keyset.after(ordering=ordering, position=cursor_decode(cursor))
        )
    return (
        query.order_by(*ordering)
        .annotate(**_REVERSED_BY)
        .select_related(_CONTRIBUTION_GROUP)
        .prefetch_related(_splits())
    )


def transactions_page(
    *,
    holder: models.Holder,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    kind: str | None = None,
    currency: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
    order: str = "desc",
) -> Page:
    """Returns a page of a holder's transactions, newest first by default.

    Args:
        holder: The holder.
        date_from: Only transactions effective at or after this instant.
        date_to: Only transactions effective at or before this instant.
        kind: Only this transaction kind.
        currency: Only this currency.
        limit: Page size, 1 to 500.
        cursor: Resume after the position this cursor names.
        order: ``desc`` (newest first) or ``asc``.

    Returns:
        The page (two queries: the rows and their splits).

    Raises:
        InvalidRangeError: ``date_from`` is after ``date_to``.
        InvalidCursorError: The cursor is not valid.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = transactions_query(
        holder=holder,
        date_from=date_from,
        date_to=date_to,
        kind=kind,
        currency=currency,
        cursor=cursor,
        order=order,
    )
    rows = list(query[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        results=rows,
        next_cursor=cursor_encode(rows[-1]) if more else None,
    )
