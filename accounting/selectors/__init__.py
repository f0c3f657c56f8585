"""Every read of the accounting service.

Reads never lock. Two of them are shaped by the architecture: a balance as
of an instant is one index probe per account (decision 2), and transaction
lists are keyset-paginated on ``(occurred_at, id)`` with an opaque cursor,
so a page costs the same however deep it is.
"""

import base64
import binascii
import dataclasses
import datetime as dt
import json
import uuid

from django.db import connection
from django.db.models import (
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from accounting import errors, models, wire
from accounting.selectors.categories import (  # noqa: F401 (re-exported)
    categories_active,
)
from accounting.selectors.goals import (  # noqa: F401 (re-exported)
    GoalStatus,
    goal_data,
    goal_get,
    goal_of_holder,
    goals_list,
)
from accounting.selectors.groups import (  # noqa: F401 (re-exported)
    GroupStanding,
    group_data,
    group_get,
    group_of_member,
    groups_list,
    member_standing,
    members_data,
    membership_of,
    memberships_of,
)
from accounting.selectors.reports import (  # noqa: F401 (re-exported)
    Report,
    ReportGroup,
    report_summary,
)
from config import keyset, money

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def holder_get(*, user_id: uuid.UUID) -> models.Holder:
    """Returns an open holder (with its plan).

    Args:
        user_id: The user's id.

    Returns:
        The holder.

    Raises:
        HolderNotReadyError: Unknown: its creation event is on its way.
        HolderClosedError: The user was deleted.
    """
    holder = (
        models.Holder.objects.select_related("plan").filter(pk=user_id).first()
    )
    if holder is None:
        raise errors.HolderNotReadyError()
    if holder.is_closed:
        raise errors.HolderClosedError()
    return holder


def holder_check_open(*, user_id: uuid.UUID) -> None:
    """Refuses a closed holder (deleted or suspended); unknown ones pass.

    Args:
        user_id: The user's id.

    Raises:
        HolderClosedError: The holder is closed.
    """
    if models.Holder.objects.filter(
        pk=user_id, closed_at__isnull=False
    ).exists():
        raise errors.HolderClosedError()


def plans_active() -> QuerySet[models.Plan]:
    """Returns the plans on offer, by name."""
    return models.Plan.objects.filter(is_active=True).order_by("name", "id")


def plan_get_active(*, plan_id: str) -> models.Plan:
    """Returns an active plan.

    Args:
        plan_id: The plan id as given (anything but a UUID is unknown).

    Returns:
        The plan.

    Raises:
        PlanNotFoundError: No active plan has that id.
    """
    try:
        pk = uuid.UUID(str(plan_id))
    except ValueError as error:
        raise errors.PlanNotFoundError() from error
    plan = plans_active().filter(pk=pk).first()
    if plan is None:
        raise errors.PlanNotFoundError()
    return plan


def accounts_list(*, holder: models.Holder) -> QuerySet[models.Account]:
    """Returns a holder's accounts, by currency then kind."""
    return models.Account.objects.filter(holder=holder).order_by(
        "currency", "kind"
    )


def account_balance(*, account: models.Account) -> int:
    """Returns an account's balance now, in minor units.

    Customer accounts and group pots keep it as a projection; a system
    account's is the sum of its entries (decision 4: no running balance,
    no hot row), so this is a scan of that account's entries: for staff
    pages, not for the money path. A system account's balance is the
    platform's position: ``world`` is minus what customers hold net of
    what they took out, ``fx`` what customers sold minus what they bought,
    ``clearing`` zero.

    Args:
        account: Any account.

    Returns:
        The balance (negative for system accounts that paid out).
    """
    if account.holder_id is not None or account.kind == models.Account.Kind.POT:
        return account.balance
    total = models.Entry.objects.filter(account=account).aggregate(
        total=Coalesce(Sum("amount"), 0)
    )["total"]
    return int(total)


@dataclasses.dataclass(frozen=True)
class Balance:
    """A holder's balances in one currency at one instant (minor units)."""

    main: int
    savings: int

    @property
    def total(self) -> int:
        """Main plus savings."""
        return self.main + self.savings


def balance_query(
    *, holder: models.Holder, currency: str, at: dt.datetime
) -> QuerySet:
    """Returns the query behind :func:`balance_at`: ``(kind, balance)``.

    Per account, the ``balance_after`` of its last entry with
    ``occurred_at <= at``: one backward probe of the index on
    ``(account, occurred_at, sequence)``, zero before the first entry.
    """
    last = (
        models.Entry.objects.filter(account=OuterRef("pk"), occurred_at__lte=at)
        .order_by("-occurred_at", "-sequence")
        .values("balance_after")[:1]
    )
    return (
        models.Account.objects.filter(
            holder=holder,
            currency=currency,
            kind__in=models.Account.CUSTOMER_KINDS,
        )
        .annotate(at_balance=Coalesce(Subquery(last), 0))
        .values_list("kind", "at_balance")
    )


def balance_at(
    *, holder: models.Holder, currency: str, at: dt.datetime
) -> Balance:
    """Returns the balances as they stood at an instant.

    One query whose cost does not grow with the length of the history
    (see :func:`balance_query`): the state after every transaction with
    ``occurred_at <= at`` and none after; zeros before the first.

    Args:
        holder: The holder.
        currency: The currency.
        at: The instant.

    Returns:
        The main and savings balances.
    """
    rows = dict(balance_query(holder=holder, currency=currency, at=at))
    return Balance(
        main=rows.get(models.Account.Kind.MAIN, 0),
        savings=rows.get(models.Account.Kind.SAVINGS, 0),
    )


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
        .select_related(_CONTRIBUTION_GROUP)
        .prefetch_related(_splits())
        .first()
    )
    if found is None:
        raise errors.TransactionNotFoundError()
    return found


def cursor_encode(transaction: models.Transaction) -> str:
    """Returns the opaque cursor that resumes after a transaction."""
    position = {
        "t": transaction.occurred_at.isoformat(),
        "id": str(transaction.id),
    }
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """Reads a cursor made by :func:`cursor_encode`.

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

    Keyset pagination on ``(occurred_at, id)``, the tail of the index
    ``accounting_txn_holder_time``: a resumed page is an index range that
    starts at the cursor (``config.keyset``), whatever its depth. Splits
    come prefetched in one more query for whatever slice is read.

    Args:
        holder: The holder.
        date_from: Only transactions at or after this instant.
        date_to: Only transactions at or before this instant.
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
    if date_from and date_to and date_from > date_to:
        raise errors.InvalidRangeError()
    query = models.Transaction.objects.filter(holder=holder)
    if date_from:
        query = query.filter(occurred_at__gte=date_from)
    if date_to:
        query = query.filter(occurred_at__lte=date_to)
    if kind:
        query = query.filter(kind=kind)
    if currency:
        # A conversion is in both of its currencies.
        query = query.filter(Q(currency=currency) | Q(to_currency=currency))
    ordering = ("occurred_at", "id")
    if order != "asc":
        ordering = ("-occurred_at", "-id")
    if cursor:
        query = query.filter(
            keyset.after(ordering=ordering, position=cursor_decode(cursor))
        )
    return (
        query.order_by(*ordering)
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
        date_from: Only transactions at or after this instant.
        date_to: Only transactions at or before this instant.
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


# --- Rates ------------------------------------------------------------------


def rates_current(
    *, base: str | None = None, at: dt.datetime
) -> list[models.Rate]:
    """Returns, per currency pair, the rate valid at an instant.

    The newest ``valid_from <= at`` of each pair, by a correlated subquery
    on the ``(base, quote, valid_from)`` unique index (PostgreSQL's
    ``DISTINCT ON`` would say it shorter; this runs on SQLite too).

    Args:
        base: Only pairs selling this currency.
        at: The instant.

    Returns:
        The rates, sorted by base then quote.
    """
    query = models.Rate.objects.filter(valid_from__lte=at)
    if base:
        query = query.filter(base=base)
    newest = query.filter(
        valid_from=Subquery(
            query.filter(base=OuterRef("base"), quote=OuterRef("quote"))
            .order_by("-valid_from")
            .values("valid_from")[:1]
        )
    )
    return list(newest.order_by("base", "quote"))


# --- Ledger verification ----------------------------------------------------

# Customer accounts (main, savings) and group pots keep a running balance:
# their entries carry sequence and balance_after, checked alike below. The
# system kinds (world, fx, clearing) keep none. Checks name accounts by
# kind, since a pot has no holder, like a system account.

_CUSTOMER_REPLAY = """
    SELECT e.id, e.account_id, e.sequence, e.balance_after, e.occurred_at,
        ROW_NUMBER() OVER (
            PARTITION BY e.account_id ORDER BY e.sequence
        ) AS position,
        SUM(e.amount) OVER (
            PARTITION BY e.account_id ORDER BY e.sequence
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS running,
        LAG(e.occurred_at) OVER (
            PARTITION BY e.account_id ORDER BY e.sequence
        ) AS previous_at
    FROM accounting_entry e
    JOIN accounting_account a ON a.id = e.account_id
    WHERE a.kind IN ('main', 'savings', 'pot') AND e.sequence IS NOT NULL
"""

LEDGER_CHECKS: list[tuple[str, str]] = [
    (
        "transactions whose entries do not sum to zero per currency",
        """
        SELECT transaction_id, currency, SUM(amount)
        FROM accounting_entry
        GROUP BY transaction_id, currency
        HAVING SUM(amount) <> 0
        """,
    ),
    (
        "entries in another currency than their account",
        """
        SELECT e.id, e.currency, a.currency
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        WHERE e.currency <> a.currency
        """,
    ),
    (
        "system-account entries with a sequence or balance_after",
        """
        SELECT e.id, e.sequence, e.balance_after
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        WHERE a.kind IN ('world', 'fx', 'clearing')
            AND (e.sequence IS NOT NULL OR e.balance_after IS NOT NULL)
        """,
    ),
    (
        "customer-account and pot entries without a sequence or balance_after",
        """
        SELECT e.id
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        WHERE a.kind IN ('main', 'savings', 'pot')
            AND (e.sequence IS NULL OR e.balance_after IS NULL)
        """,
    ),
    (
        "sequences that are not 1..n without gaps",
        # Constant SQL built from constants: no input reaches it.
        f"SELECT id, account_id, sequence, position FROM ({_CUSTOMER_REPLAY})"  # noqa: S608
        " r WHERE sequence <> position",
    ),
    (
        "balance_after that differs from the running sum",
        f"SELECT id, account_id, balance_after, running FROM "  # noqa: S608
        f"({_CUSTOMER_REPLAY}) r WHERE balance_after <> running",
    ),
    (
        "occurred_at that decreases as the sequence grows",
        f"SELECT id, account_id, previous_at, occurred_at FROM "  # noqa: S608
        f"({_CUSTOMER_REPLAY}) r WHERE previous_at > occurred_at",
    ),
    (
        "entries whose occurred_at differs from their transaction's",
        """
        SELECT e.id, e.occurred_at, t.occurred_at
        FROM accounting_entry e
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE e.occurred_at <> t.occurred_at
        """,
    ),
    (
        "customer accounts and pots whose balance or last_sequence disagree "
        "with their last entry",
        """
        SELECT a.id, a.balance, last.balance_after, a.last_sequence,
            totals.max_sequence
        FROM accounting_account a
        LEFT JOIN (
            SELECT account_id, MAX(sequence) AS max_sequence
            FROM accounting_entry
            GROUP BY account_id
        ) totals ON totals.account_id = a.id
        LEFT JOIN accounting_entry last
            ON last.account_id = a.id
            AND last.sequence = totals.max_sequence
        WHERE a.kind IN ('main', 'savings', 'pot') AND (
            a.balance <> COALESCE(last.balance_after, 0)
            OR a.last_sequence <> COALESCE(totals.max_sequence, 0)
        )
        """,
    ),
    (
        "system accounts with a stored balance (theirs is derived)",
        """
        SELECT id, balance, last_sequence
        FROM accounting_account
        WHERE kind IN ('world', 'fx', 'clearing')
            AND (balance <> 0 OR last_sequence <> 0)
        """,
    ),
]


# How each kind of transaction moves its holder's accounts in its own
# currency: +amount in, -amount out, 0 (a release moves savings to main).
_CUSTOMER_NET = """
    CASE t.kind WHEN 'credit' THEN t.amount WHEN 'transfer_in' THEN t.amount
        WHEN 'savings_release' THEN 0 ELSE -t.amount END
"""


def _minor_unit_factors() -> str:
    """Returns ``VALUES`` rows of (currency, 10 ** exponent), constants."""
    return ", ".join(
        f"('{code}', {10**places})"
        for code, places in sorted(money.CURRENCY_EXPONENTS.items())
    )


LEDGER_CHECKS += [
    (
        "customer entries on another holder's account than their transaction's",
        """
        SELECT e.id, t.holder_id, a.holder_id
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE a.holder_id IS NOT NULL AND a.holder_id <> t.holder_id
        """,
    ),
    (
        "system entries on an account of the wrong kind for the transaction",
        """
        SELECT e.id, t.kind, a.kind
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE a.kind IN ('world', 'fx', 'clearing') AND NOT (
            (t.kind IN ('credit', 'withdrawal') AND a.kind = 'world')
            OR (t.kind IN ('transfer_out', 'transfer_in')
                AND a.kind = 'clearing')
            OR (t.kind = 'conversion' AND a.kind = 'fx')
        )
        """,
    ),
    (
        "savings entries in a kind of transaction that never touches savings",
        """
        SELECT e.id, t.kind
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE a.kind = 'savings' AND t.kind NOT IN (
            'credit', 'savings_release', 'group_contribution'
        )
        """,
    ),
    (
        "transactions whose customer entries do not move their amount",
        # Constant SQL built from constants: no input reaches it.
        f"""
        SELECT t.id, t.kind, t.amount, moved.currency, moved.total
        FROM accounting_transaction t
        LEFT JOIN (
            SELECT e.transaction_id, e.currency, SUM(e.amount) AS total,
                SUM(CASE WHEN a.kind = 'savings' THEN e.amount ELSE 0 END)
                    AS savings
            FROM accounting_entry e
            JOIN accounting_account a ON a.id = e.account_id
            WHERE a.holder_id IS NOT NULL
            GROUP BY e.transaction_id, e.currency
        ) moved ON moved.transaction_id = t.id
        WHERE moved.transaction_id IS NULL
            OR (moved.currency = t.currency AND (
                moved.total <> {_CUSTOMER_NET}
                OR (t.kind = 'savings_release'
                    AND moved.savings <> -t.amount)))
            OR (moved.currency <> t.currency AND (
                t.kind <> 'conversion'
                OR moved.currency <> t.to_currency
                OR moved.total <> t.to_amount))
        """,  # noqa: S608
    ),
    (
        "transfer halves that do not match each other",
        """
        SELECT t.id, t.kind, t.related_id
        FROM accounting_transaction t
        LEFT JOIN accounting_transaction r ON r.id = t.related_id
        WHERE t.kind IN ('transfer_out', 'transfer_in') AND (
            r.id IS NULL OR r.related_id <> t.id OR r.kind = t.kind
            OR r.kind NOT IN ('transfer_out', 'transfer_in')
            OR r.amount <> t.amount OR r.currency <> t.currency
            OR r.occurred_at <> t.occurred_at
            -- Each half names the account the other half moved.
            OR NOT EXISTS (
                SELECT 1 FROM accounting_entry o
                WHERE o.transaction_id = r.id
                    AND o.account_id = t.counterparty_account_id
            )
        )
        """,
    ),
    (
        "clearing accounts that do not return to zero",
        """
        SELECT e.currency, SUM(e.amount)
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        WHERE a.kind = 'clearing'
        GROUP BY e.currency
        HAVING SUM(e.amount) <> 0
        """,
    ),
    (
        "conversions that do not apply their rate (to the nearest minor unit)",
        # Constant SQL built from constants: no input reaches it.
        f"""
        SELECT t.id, t.amount, t.fx_rate, t.to_amount, r.rate
        FROM accounting_transaction t
        JOIN (VALUES {_minor_unit_factors()}) f (currency, factor)
            ON f.currency = t.currency
        JOIN (VALUES {_minor_unit_factors()}) g (currency, factor)
            ON g.currency = t.to_currency
        LEFT JOIN accounting_rate r ON r.id = t.rate_id
        WHERE t.kind = 'conversion' AND (
            r.id IS NULL OR r.rate <> t.fx_rate OR r.base <> t.currency
            OR r.quote <> t.to_currency OR r.valid_from > t.occurred_at
            OR ABS(t.to_amount - t.amount * t.fx_rate * g.factor / f.factor)
                > 0.5
        )
        """,  # noqa: S608
    ),
]


LEDGER_CHECKS += [
    (
        "pot entries outside group contributions",
        """
        SELECT e.id, e.account_id, t.kind
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE a.kind = 'pot' AND t.kind <> 'group_contribution'
        """,
    ),
    (
        "group contributions that do not move their amount from savings to "
        "their pot",
        # Two legs, savings -amount and +amount on the pot the header names
        # (each leg is non-zero, so that is one of each). Whose savings and
        # which currency are the holder and currency checks above.
        """
        SELECT t.id, t.amount, t.counterparty_account_id, legs.legs,
            legs.savings, legs.pot
        FROM accounting_transaction t
        LEFT JOIN (
            SELECT e.transaction_id, COUNT(*) AS legs,
                SUM(CASE WHEN a.kind = 'savings' THEN e.amount ELSE 0 END)
                    AS savings,
                SUM(CASE WHEN a.kind = 'pot'
                    AND a.id = c.counterparty_account_id
                    THEN e.amount ELSE 0 END) AS pot
            FROM accounting_entry e
            JOIN accounting_account a ON a.id = e.account_id
            JOIN accounting_transaction c ON c.id = e.transaction_id
            WHERE c.kind = 'group_contribution'
            GROUP BY e.transaction_id
        ) legs ON legs.transaction_id = t.id
        WHERE t.kind = 'group_contribution' AND (
            legs.transaction_id IS NULL OR legs.legs <> 2
            OR legs.savings <> -t.amount OR legs.pot <> t.amount
        )
        """,
    ),
]


@dataclasses.dataclass(frozen=True)
class LedgerFinding:
    """The outcome of one ledger check."""

    check: str
    count: int
    examples: list[tuple]


def ledger_verify(*, examples: int = 5) -> list[LedgerFinding]:
    """Replays the journal in SQL and checks every invariant.

    The zero-sum rule, per-account sequences 1..n, running sums equal to
    ``balance_after``, time agreeing with sequence, and the projections on
    accounts (decisions 1 and 2). Window functions do the replay inside the
    database; nothing is loaded row by row.

    Args:
        examples: How many offending rows to keep per check.

    Returns:
        One finding per check (``count`` 0 when it holds).
    """
    findings = []
    with connection.cursor() as cursor:
        for check, sql in LEDGER_CHECKS:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) c")  # noqa: S608
            count = cursor.fetchone()[0]
            rows = []
            if count:
                cursor.execute(f"{sql} LIMIT {int(examples)}")
                rows = [tuple(row) for row in cursor.fetchall()]
            findings.append(LedgerFinding(check, count, rows))
    return findings


def ledger_size() -> dict[str, int]:
    """Returns how many transactions, entries and accounts there are."""
    return {
        "transactions": models.Transaction.objects.count(),
        "entries": models.Entry.objects.count(),
        "accounts": models.Account.objects.count(),
    }
