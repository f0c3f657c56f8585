"""A holder's transactions: one, or a page by cursor."""

import base64
import datetime as dt
import json
import uuid

import pytest
from django.db import connection

from accounting import errors, models, selectors, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(holder):
    """Five credits: four in USD, one in EUR, oldest first."""
    services.account_open(holder=holder, currency="EUR")
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    return [
        services.credit_apply(
            holder_id=holder.pk, amount=amount, currency=currency
        ).transaction
        for amount, currency in [
            (100, "USD"),
            (200, "USD"),
            (300, "EUR"),
            (400, "USD"),
            (500, "USD"),
        ]
    ]


def ids(transactions):
    return [t.id for t in transactions]


def test_newest_first_with_a_cursor(holder, history):
    page = selectors.transactions_page(holder=holder, limit=2)
    assert ids(page.results) == ids(history[::-1][:2])
    assert page.next_cursor

    page = selectors.transactions_page(
        holder=holder, limit=2, cursor=page.next_cursor
    )
    assert ids(page.results) == ids(history[::-1][2:4])

    page = selectors.transactions_page(
        holder=holder, limit=2, cursor=page.next_cursor
    )
    assert ids(page.results) == ids(history[:1])
    assert page.next_cursor is None


def test_oldest_first(holder, history):
    page = selectors.transactions_page(holder=holder, limit=3, order="asc")
    assert ids(page.results) == ids(history[:3])
    page = selectors.transactions_page(
        holder=holder, limit=3, order="asc", cursor=page.next_cursor
    )
    assert ids(page.results) == ids(history[3:])
    assert page.next_cursor is None


def test_filters(holder, history):
    page = selectors.transactions_page(holder=holder, currency="EUR")
    assert ids(page.results) == [history[2].id]
    page = selectors.transactions_page(
        holder=holder,
        date_from=history[1].occurred_at,
        date_to=history[3].occurred_at,
        kind="credit",
    )
    assert ids(page.results) == ids(history[1:4][::-1])
    assert selectors.transactions_page(holder=holder, kind="credit").results


def test_a_record_entered_late_takes_its_place_among_its_days(holder, clock):
    """The list and its range go by ``effective_at``, not the booking."""
    day = dt.timedelta(days=1)
    early = services.credit_apply(
        holder_id=holder.pk, amount=100, currency="USD"
    ).transaction
    clock.advance(days=3)
    late = services.credit_apply(
        holder_id=holder.pk, amount=200, currency="USD"
    ).transaction
    clock.advance(minutes=1)
    between = services.withdrawal_apply(
        holder_id=holder.pk,
        amount=50,
        currency="USD",
        effective_at=early.occurred_at + day,
    ).transaction

    newest_first = selectors.transactions_page(holder=holder).results
    assert ids(newest_first) == ids([late, between, early])
    assert every_page(holder, order="asc", limit=1) == ids(
        [early, between, late]
    )
    # Booked after ``late``, it still falls in the range of its date only.
    dated_range = selectors.transactions_page(
        holder=holder,
        date_from=early.occurred_at + dt.timedelta(hours=1),
        date_to=late.occurred_at - dt.timedelta(hours=1),
    )
    assert ids(dated_range.results) == [between.id]
    booked_range = selectors.transactions_page(
        holder=holder, date_from=between.occurred_at
    )
    assert ids(booked_range.results) == []


def test_ties_on_the_date_are_broken_by_id(holder, history):
    del history
    other = factories.HolderFactory()
    services.credit_apply(holder_id=other.pk, amount=1, currency="USD")
    rows = selectors.transactions_page(holder=holder, limit=500).results
    assert len(rows) == 5
    # Every transaction belongs to the holder asked about.
    assert {t.holder_id for t in rows} == {holder.pk}


def test_limits_are_clamped(holder, history):
    del history
    assert len(selectors.transactions_page(holder=holder, limit=0).results) == 1
    assert (
        len(selectors.transactions_page(holder=holder, limit=999).results) == 5
    )


def test_splits_come_prefetched(holder, history, django_assert_num_queries):
    del history
    with django_assert_num_queries(2):
        page = selectors.transactions_page(holder=holder)
        data = [selectors.transaction_data(t) for t in page.results]
    assert data[0]["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "4.50"},
        {"account_kind": "savings", "currency": "USD", "amount": "0.50"},
    ]


def test_from_after_to_is_an_invalid_range(holder, history):
    with pytest.raises(errors.InvalidRangeError) as caught:
        selectors.transactions_page(
            holder=holder,
            date_from=history[1].occurred_at,
            date_to=history[0].occurred_at,
        )
    assert caught.value.code == "invalid_range"


def encode(value):
    return base64.urlsafe_b64encode(value).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "a",
        encode(b"\xff\xfe"),
        encode(b"not json"),
        encode(b"[]"),
        encode(json.dumps({"t": "2026-01-01T00:00:00+00:00"}).encode()),
        encode(
            json.dumps({"t": "yesterday", "id": str(uuid.uuid4())}).encode()
        ),
        encode(
            json.dumps(
                {"t": "2026-01-01T00:00:00", "id": str(uuid.uuid4())}
            ).encode()
        ),
        encode(json.dumps({"t": "2026-01-01T00:00:00Z", "id": "x"}).encode()),
    ],
)
def test_bad_cursors_are_refused(holder, cursor):
    with pytest.raises(errors.InvalidCursorError) as caught:
        selectors.transactions_page(holder=holder, cursor=cursor)
    assert caught.value.code == "invalid_cursor"


def test_cursor_round_trip(holder, history):
    del holder
    at, pk = selectors.cursor_decode(selectors.cursor_encode(history[0]))
    assert (at, pk) == (history[0].effective_at, history[0].id)
    assert at.tzinfo == dt.UTC or at.utcoffset() == dt.timedelta(0)


def test_transaction_get_is_scoped_to_the_holder(holder, history):
    found = selectors.transaction_get(
        holder=holder, transaction_id=str(history[0].id)
    )
    assert found == history[0]
    other = factories.HolderFactory()
    for transaction_id in (str(history[0].id), "not-a-uuid", str(uuid.uuid4())):
        with pytest.raises(errors.TransactionNotFoundError):
            selectors.transaction_get(
                holder=other, transaction_id=transaction_id
            )


def insert_credits(holder, instants):
    """Inserts bare credit headers dated at these instants, booked now.

    Lists go by the date (``effective_at``): one booking instant for all
    shows that the booking plays no part in their order.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounting_transaction (
                id, holder_id, kind, amount, currency, occurred_at,
                effective_at, description, source, to_currency, created_at)
            SELECT gen_random_uuid(), %s, 'credit', 100, 'USD', now(), at,
                '', '', '', now()
            FROM unnest(%s::timestamptz[]) AS at
            """,
            [holder.pk, instants],
        )


def every_page(holder, **options):
    cursor, seen = None, []
    while True:
        page = selectors.transactions_page(
            holder=holder, cursor=cursor, **options
        )
        seen += ids(page.results)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def page_order(order):
    if order == "asc":
        return ("effective_at", "id")
    return ("-effective_at", "-id")


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7])
def test_pages_across_ties_return_every_transaction_once(holder, order, limit):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    # Runs of equal instants, some longer than a page: for one limit or
    # another, every page boundary falls inside a run.
    runs = [1, 4, 2, 5, 1, 3]
    instants = [
        start + dt.timedelta(seconds=second)
        for second, run in enumerate(runs)
        for _ in range(run)
    ]
    insert_credits(holder, instants)
    insert_credits(factories.HolderFactory(), instants)
    mine = models.Transaction.objects.filter(holder=holder)
    expected = ids(mine.order_by(*page_order(order)))
    assert len(set(expected)) == len(instants)

    assert every_page(holder, order=order, limit=limit) == expected

    # Filters narrow the same walk; both ends fall inside runs.
    date_from, date_to = instants[1], instants[-1] - dt.timedelta(seconds=1)
    assert every_page(
        holder,
        order=order,
        limit=limit,
        date_from=date_from,
        date_to=date_to,
        kind="credit",
        currency="USD",
    ) == ids(
        mine.filter(effective_at__range=(date_from, date_to)).order_by(
            *page_order(order)
        )
    )


@pytest.mark.parametrize(
    ("order", "scan", "bound"),
    [
        ("desc", "Index Scan Backward using", "effective_at <="),
        ("asc", "Index Scan using", "effective_at >="),
    ],
)
def test_a_resumed_page_is_an_index_range(holder, order, scan, bound):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    instants = [start + dt.timedelta(seconds=s) for s in range(5000)]
    insert_credits(holder, instants)
    insert_credits(factories.HolderFactory(), instants)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounting_transaction")
    middle = models.Transaction.objects.get(
        holder=holder, effective_at=instants[2500]
    )
    query = selectors.transactions_query(
        holder=holder, cursor=selectors.cursor_encode(middle), order=order
    )

    plan = query[: selectors.DEFAULT_PAGE_SIZE + 1].explain(analyze=True)

    lines = [line.strip() for line in plan.splitlines()]
    (scan_line,) = [line for line in lines if "accounting_txn_holder" in line]
    assert f"{scan} accounting_txn_holder_date" in scan_line
    # It starts at the cursor and stops with the page: 51 rows read.
    assert "rows=51 loops=1" in scan_line
    index_cond = lines[lines.index(scan_line) + 1]
    assert index_cond.startswith("Index Cond: ((holder_id = ")
    assert f"AND ({bound} " in index_cond
    assert "Sort" not in plan
    assert "Seq Scan on accounting_transaction" not in plan
