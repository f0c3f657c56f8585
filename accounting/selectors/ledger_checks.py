"""The ledger's invariants, each a named check on the journal.

``manage.py verify_ledger`` proves the projections from the journal
(decisions 1 and 2): the zero-sum rule, per-account sequences 1..n,
``balance_after`` equal to the running sum, time agreeing with sequence,
a record's date never after its booking,
the projections stored on accounts, the rules of each kind of
movement, and that every reversal mirrors its original.
:data:`LEDGER_CHECKS` lists them all, in the order they run.

Most checks are one SELECT of the rows that break the rule, run once over
the whole journal: set-based, nothing is loaded row by row. Three are
about each account's history in sequence order, the replay; they share
one walk of the customer and pot entries along the ``(account_id,
sequence)`` unique index, in chunks of that index (one statement each,
pairing every entry with the one before it), so that a caller can show
progress on a large ledger. Each of them is a condition on one walked
entry rather than a statement.

Customer accounts (main, savings) and group pots keep a running balance:
their entries carry ``sequence`` and ``balance_after``, checked alike. The
system kinds (world, fx, clearing) keep none. Checks name accounts by
kind, since a pot has no holder, like a system account.

The SQL is what PostgreSQL and SQLite (the embedded default) both accept.
One difference is the arithmetic of rates: PostgreSQL's ``numeric`` is
exact, SQLite keeps a decimal column as a double. The rate check allows
for that error on SQLite only (:data:`RELATIVE_ERROR`, a named parameter
of every statement, so none may hold a literal ``%``).
"""

import collections
import dataclasses
import itertools
import time
from collections.abc import Callable, Iterator

from django import db
from django.db.backends.base.base import BaseDatabaseWrapper

from accounting import models
from config import money


@dataclasses.dataclass(frozen=True)
class Check:
    """One rule of the ledger and the SQL that finds what breaks it.

    Attributes:
        name: Short and stable: what the command prints and tests name.
        description: What the rows it finds are.
        sql: A SELECT of the offending rows (none when the rule holds).
        condition: For a replay check, instead of ``sql``: when one entry
            of the walk, ``e``, breaks the rule; ``e.previous_sequence``,
            ``e.previous_balance`` and ``e.previous_at`` are those of the
            entry before it in its account (NULL for none).
    """

    name: str
    description: str
    sql: str = ""
    condition: str = ""

    @property
    def replays(self) -> bool:
        """Whether the check is judged on the walk of the journal."""
        return bool(self.condition)


def _minor_unit_factor(column: str) -> str:
    """Returns SQL for ``10 ** exponent`` of the currency in ``column``.

    A ``CASE`` over ``money.CURRENCY_EXPONENTS`` (constants), NULL for a
    currency it does not know.
    """
    codes = collections.defaultdict(list)
    for code, places in sorted(money.CURRENCY_EXPONENTS.items()):
        codes[10**places].append(f"'{code}'")
    branches = " ".join(
        f"WHEN {column} IN ({', '.join(listed)}) THEN {factor}"
        for factor, listed in sorted(codes.items())
    )
    return f"CASE {branches} END"


# What a double's arithmetic may be off by, relative to the result: SQLite
# multiplies a rate as a double (about 1e-16 of error per operation), so a
# half-way conversion may compute a hair beyond half a unit. No real
# conversion is within 1e-12 of its amount from a rounding mistake.
RELATIVE_ERROR = {"sqlite": 1e-12}

LEDGER_CHECKS: list[Check] = [
    Check(
        "zero-sum",
        "transactions whose entries do not sum to zero per currency",
        """
        SELECT transaction_id, currency, SUM(amount)
        FROM accounting_entry
        GROUP BY transaction_id, currency
        HAVING SUM(amount) <> 0
        """,
    ),
    Check(
        "entry-currency",
        "entries in another currency than their account",
        """
        SELECT e.id, e.currency, a.currency
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        WHERE e.currency <> a.currency
        """,
    ),
    Check(
        "entry-holder-key",
        "entries that name another holder than their transaction",
        """
        SELECT e.id, e.holder_id, t.holder_id
        FROM accounting_entry e
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE e.holder_id <> t.holder_id
        """,
    ),
    Check(
        "system-entry-sequenced",
        "system-account entries with a sequence or balance_after",
        """
        SELECT e.id, e.sequence, e.balance_after
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        WHERE a.kind IN ('world', 'fx', 'clearing')
            AND (e.sequence IS NOT NULL OR e.balance_after IS NOT NULL)
        """,
    ),
    Check(
        "entry-unsequenced",
        "customer-account and pot entries without a sequence or balance_after",
        """
        SELECT e.id
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        WHERE a.kind IN ('main', 'savings', 'pot')
            AND (e.sequence IS NULL OR e.balance_after IS NULL)
        """,
    ),
    # The replay: ``e`` is an entry, ``e.previous_*`` the entry before it
    # in its account, if any. Sequences are unique per account (a
    # constraint), so 1..n without gaps is: each is its predecessor's plus
    # one, the first one 1. Then balance_after is the running sum when
    # each is its predecessor's plus the entry's amount (the first: its
    # amount); after a gap, that and the time are not judged (the gap is).
    Check(
        "sequence-gaps",
        "sequences that are not 1..n without gaps",
        condition="e.sequence <> COALESCE(e.previous_sequence, 0) + 1",
    ),
    Check(
        "running-balance",
        "balance_after that is not the previous one plus the amount (the "
        "running sum)",
        condition="""
            e.balance_after <> CASE
                WHEN e.sequence = 1 THEN e.amount
                WHEN e.previous_sequence = e.sequence - 1
                    THEN e.previous_balance + e.amount
            END
        """,
    ),
    Check(
        "time-order",
        "occurred_at that decreases as the sequence grows",
        condition="""
            e.previous_sequence = e.sequence - 1
            AND e.previous_at > e.occurred_at
        """,
    ),
    Check(
        "entry-time",
        "entries whose occurred_at differs from their transaction's",
        """
        SELECT e.id, e.occurred_at, t.occurred_at
        FROM accounting_entry e
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE e.occurred_at <> t.occurred_at
        """,
    ),
    Check(
        "effective-time",
        "transactions dated after their booking, or dated at all when "
        "they are neither credits nor withdrawals",
        """
        SELECT t.id, t.kind, t.effective_at, t.occurred_at
        FROM accounting_transaction t
        WHERE t.effective_at > t.occurred_at
            OR (t.effective_at <> t.occurred_at
                AND t.kind NOT IN ('credit', 'withdrawal'))
        """,
    ),
    Check(
        "account-projection",
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
    Check(
        "system-balance",
        "system accounts with a stored balance (theirs is derived)",
        """
        SELECT id, balance, last_sequence
        FROM accounting_account
        WHERE kind IN ('world', 'fx', 'clearing')
            AND (balance <> 0 OR last_sequence <> 0)
        """,
    ),
    Check(
        "entry-holder",
        "customer entries on another holder's account than their transaction's",
        """
        SELECT e.id, t.holder_id, a.holder_id
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE a.holder_id IS NOT NULL AND a.holder_id <> t.holder_id
        """,
    ),
    # A reversal is judged by the reversal checks at the end: it is the
    # exact mirror of an original that this one and the next two judge.
    Check(
        "system-kind",
        "system entries on an account of the wrong kind for the transaction",
        """
        SELECT e.id, t.kind, a.kind
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE a.kind IN ('world', 'fx', 'clearing') AND t.kind <> 'reversal'
        AND NOT (
            (t.kind IN ('credit', 'withdrawal') AND a.kind = 'world')
            OR (t.kind IN ('transfer_out', 'transfer_in')
                AND a.kind = 'clearing')
            OR (t.kind = 'conversion' AND a.kind = 'fx')
        )
        """,
    ),
    Check(
        "savings-kind",
        "savings entries in a kind of transaction that never touches savings",
        """
        SELECT e.id, t.kind
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE a.kind = 'savings' AND t.kind NOT IN (
            'credit', 'savings_release', 'group_contribution', 'reversal'
        )
        """,
    ),
    Check(
        "customer-amount",
        "transactions whose customer entries do not move their amount",
        # In its own currency, a kind moves its holder's accounts by
        # +amount (in), -amount (out) or 0 (a release, savings to main).
        # A reversal moves the opposite of what its original moved: the
        # reversal checks below prove it, and this one the original.
        """
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
        WHERE t.kind <> 'reversal' AND (moved.transaction_id IS NULL
            OR (moved.currency = t.currency AND (
                moved.total <> CASE t.kind
                    WHEN 'credit' THEN t.amount
                    WHEN 'transfer_in' THEN t.amount
                    WHEN 'savings_release' THEN 0
                    ELSE -t.amount END
                OR (t.kind = 'savings_release'
                    AND moved.savings <> -t.amount)))
            OR (moved.currency <> t.currency AND (
                t.kind <> 'conversion'
                OR moved.currency <> t.to_currency
                OR moved.total <> t.to_amount)))
        """,
    ),
    Check(
        "transfer-halves",
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
    Check(
        "clearing-zero",
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
    Check(
        "conversion-rate",
        "conversions that do not apply their rate (to the nearest minor unit)",
        # to_amount is within half a unit of amount x rate, both in minor
        # units: |to_amount - amount * rate * g / f| <= 1/2 with f and g
        # the two currencies' 10 ** exponent, multiplied out by 2f (SQLite
        # divides integers as integers). Constants only (S608).
        f"""
        SELECT c.id, c.amount, c.fx_rate, c.to_amount, r.rate
        FROM (
            SELECT t.*,
                {_minor_unit_factor("t.currency")} AS f,
                {_minor_unit_factor("t.to_currency")} AS g
            FROM accounting_transaction t
            WHERE t.kind = 'conversion'
        ) c
        LEFT JOIN accounting_rate r ON r.id = c.rate_id
        WHERE r.id IS NULL OR r.rate <> c.fx_rate OR r.base <> c.currency
            OR r.quote <> c.to_currency OR r.valid_from > c.occurred_at
            OR 2 * ABS(c.to_amount * c.f - c.amount * c.fx_rate * c.g)
                > c.f + ABS(c.amount * c.fx_rate * c.g) * %(relative_error)s
        """,  # noqa: S608
    ),
    Check(
        "conversion-newest-rate",
        "conversions that did not apply the pair's newest rate at their"
        " instant (a rate was backdated past them)",
        # rate_create refuses such a rate (services/rates.py); this finds
        # one written around it. The (base, quote, valid_from) index.
        """
        SELECT t.id, t.occurred_at, r.id, n.id, n.valid_from
        FROM accounting_transaction t
        JOIN accounting_rate r ON r.id = t.rate_id
        JOIN accounting_rate n ON n.base = r.base AND n.quote = r.quote
            AND n.valid_from > r.valid_from AND n.valid_from <= t.occurred_at
        WHERE t.kind = 'conversion'
        """,
    ),
    Check(
        "pot-kind",
        "pot entries outside group contributions",
        """
        SELECT e.id, e.account_id, t.kind
        FROM accounting_entry e
        JOIN accounting_account a ON a.id = e.account_id
        JOIN accounting_transaction t ON t.id = e.transaction_id
        WHERE a.kind = 'pot' AND t.kind <> 'group_contribution'
        """,
    ),
    Check(
        "contribution-legs",
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
    Check(
        "reversal-original",
        "reversals of nothing, of a kind that cannot be reversed, or of "
        "another holder's, amount's or currency's header",
        # ``selectors.reversals.REVERSIBLE_KINDS``.
        """
        SELECT t.id, t.reverses_id, o.kind
        FROM accounting_transaction t
        LEFT JOIN accounting_transaction o ON o.id = t.reverses_id
        WHERE t.kind = 'reversal' AND (
            o.id IS NULL
            OR o.kind NOT IN (
                'credit', 'withdrawal', 'transfer_out', 'transfer_in',
                'conversion'
            )
            OR o.holder_id <> t.holder_id OR o.amount <> t.amount
            OR o.currency <> t.currency OR o.occurred_at > t.occurred_at
        )
        """,
    ),
    Check(
        "reversal-mirror",
        "reversals whose entries are not their original's, negated",
        # Per account, a reversal's entries and its original's sum to
        # zero and are as many: the same accounts, opposite amounts
        # (entries are never zero).
        """
        SELECT t.id, t.reverses_id
        FROM accounting_transaction t
        WHERE t.kind = 'reversal' AND EXISTS (
            SELECT 1 FROM accounting_entry e
            WHERE e.transaction_id = t.id OR e.transaction_id = t.reverses_id
            GROUP BY e.account_id
            HAVING SUM(e.amount) <> 0 OR SUM(
                CASE WHEN e.transaction_id = t.id THEN 1 ELSE -1 END
            ) <> 0
        )
        """,
    ),
    Check(
        "reversal-once",
        "headers reversed more than once",
        # The unique index of ``reverses`` refuses it; this proves it.
        """
        SELECT reverses_id, COUNT(*)
        FROM accounting_transaction
        WHERE reverses_id IS NOT NULL
        GROUP BY reverses_id
        HAVING COUNT(*) > 1
        """,
    ),
    Check(
        "reversal-halves",
        "transfer halves reversed without the other half at the same instant",
        """
        SELECT t.id, o.id, o.related_id
        FROM accounting_transaction t
        JOIN accounting_transaction o ON o.id = t.reverses_id
        WHERE t.kind = 'reversal'
            AND o.kind IN ('transfer_out', 'transfer_in')
            AND NOT EXISTS (
                SELECT 1 FROM accounting_transaction p
                WHERE p.reverses_id = o.related_id
                    AND p.occurred_at = t.occurred_at
            )
        """,
    ),
    Check(
        "reversal-reason",
        "reversals without the reason and staff member of their movement",
        # A movement's reason is kept once, under its first header (a
        # transfer's transfer_out).
        """
        SELECT t.id, t.reverses_id
        FROM accounting_transaction t
        JOIN accounting_transaction o ON o.id = t.reverses_id
        WHERE t.kind = 'reversal' AND NOT EXISTS (
            SELECT 1 FROM accounting_reversal r
            WHERE r.original_id = CASE o.kind
                WHEN 'transfer_in' THEN o.related_id ELSE o.id END
        )
        """,
    ),
]

# Entries per statement of the walk: a fraction of a second each on
# PostgreSQL (2 cores), so a progress bar moves several times a second.
REPLAY_CHUNK = 100_000

# The walk goes along the (account_id, sequence) unique index. A chunk is
# the keys [first, last], ``last`` read from the index so that a chunk
# holds ``chunk_size`` keys (the last chunk fewer). Its statement reads
# the index in order from the key just before ``first`` (its sequence
# minus one: the first entry's predecessor, if there is one), ``chunk_size
# + 1`` rows at most; the window pairs each entry with the one before it
# in its account, and only the chunk's keys are judged. On PostgreSQL the
# LIMIT makes that an index range scan, which two row comparisons alone
# do not. A system entry with a sequence (a defect that
# "system-entry-sequenced" reports) is walked past, not replayed.
_WALK_SIZE = "SELECT COUNT(*) FROM accounting_entry WHERE sequence IS NOT NULL"
_WALK_FIRST = """
    SELECT account_id, sequence FROM accounting_entry
    WHERE sequence IS NOT NULL
    ORDER BY account_id, sequence LIMIT 1
"""
_WALK_END = """
    SELECT account_id, sequence FROM accounting_entry
    WHERE sequence IS NOT NULL
    ORDER BY account_id DESC, sequence DESC LIMIT 1
"""
_CHUNK_LAST = """
    SELECT account_id, sequence FROM accounting_entry
    WHERE sequence IS NOT NULL
        AND (account_id, sequence) >= (%(first_account)s, %(first_sequence)s)
    ORDER BY account_id, sequence LIMIT 1 OFFSET %(offset)s
"""
_CHUNK = """
    SELECT {flags}, e.id, e.account_id, e.sequence, e.amount,
        e.balance_after, e.occurred_at, e.previous_sequence,
        e.previous_balance, e.previous_at
    FROM (
        SELECT r.*,
            LAG(r.sequence) OVER account_order AS previous_sequence,
            LAG(r.balance_after) OVER account_order AS previous_balance,
            LAG(r.occurred_at) OVER account_order AS previous_at
        FROM (
            SELECT id, account_id, sequence, amount, balance_after,
                occurred_at
            FROM accounting_entry
            WHERE sequence IS NOT NULL AND (account_id, sequence)
                >= (%(first_account)s, %(first_sequence)s - 1)
            ORDER BY account_id, sequence
            LIMIT %(rows)s
        ) r
        WINDOW account_order AS (PARTITION BY r.account_id ORDER BY r.sequence)
    ) e
    JOIN accounting_account a ON a.id = e.account_id
    WHERE (e.account_id, e.sequence)
            >= (%(first_account)s, %(first_sequence)s)
        AND (e.account_id, e.sequence)
            <= (%(last_account)s, %(last_sequence)s)
        AND a.kind IN ('main', 'savings', 'pot')
        AND ({conditions})
    ORDER BY e.account_id, e.sequence
"""


def _chunk_sql(checks: list[Check]) -> str:
    """Returns the statement of one chunk of the walk for these checks.

    It selects the entries of the chunk that break at least one of them,
    each with one 0/1 column per check first.
    """
    return _CHUNK.format(
        flags=", ".join(
            f"CASE WHEN {c.condition} THEN 1 ELSE 0 END" for c in checks
        ),
        conditions=" OR ".join(f"({c.condition})" for c in checks),
    )


@dataclasses.dataclass(frozen=True)
class LedgerFinding:
    """The outcome of one ledger check.

    Attributes:
        check: The check.
        count: How many rows break its rule (0: it holds).
        examples: The first of those rows.
        seconds: How long it ran (for a replay check: the whole walk,
            which it shares with the other replay checks).
    """

    check: Check
    count: int
    examples: list[tuple]
    seconds: float


# Told after each chunk of the walk: (entries walked, entries to walk).
Progress = Callable[[int, int], None]


def _select(cursor, check: Check, params: dict, examples: int) -> LedgerFinding:
    """Runs a check that is one statement."""
    began = time.monotonic()
    cursor.execute(f"SELECT COUNT(*) FROM ({check.sql}) c", params)  # noqa: S608
    count = cursor.fetchone()[0]
    found = []
    if count:
        cursor.execute(f"{check.sql} LIMIT {int(examples)}", params)
        found = [tuple(row) for row in cursor.fetchall()]
    return LedgerFinding(check, count, found, time.monotonic() - began)


def _replay(
    cursor,
    checks: list[Check],
    *,
    examples: int,
    chunk_size: int,
    progress: Progress | None,
) -> list[LedgerFinding]:
    """Walks the journal once, in chunks, for these replay checks."""
    began = time.monotonic()
    counts = [0] * len(checks)
    rows: list[list[tuple]] = [[] for _ in checks]
    cursor.execute(_WALK_SIZE)
    total = cursor.fetchone()[0]
    cursor.execute(_WALK_FIRST)
    first = cursor.fetchone()
    cursor.execute(_WALK_END)
    end = cursor.fetchone()
    sql = _chunk_sql(checks)
    done = 0
    if progress is not None and first is not None:
        progress(done, total)
    while first is not None:
        cursor.execute(
            _CHUNK_LAST,
            {
                "first_account": first[0],
                "first_sequence": first[1],
                "offset": chunk_size - 1,
            },
        )
        last = cursor.fetchone() or end
        cursor.execute(
            sql,
            {
                "first_account": first[0],
                "first_sequence": first[1],
                "last_account": last[0],
                "last_sequence": last[1],
                "rows": chunk_size + 1,
            },
        )
        for found in cursor.fetchall():
            flags, row = found[: len(checks)], tuple(found[len(checks) :])
            for index, flag in enumerate(flags):
                if flag:
                    counts[index] += 1
                    if len(rows[index]) < examples:
                        rows[index].append(row)
        done = min(done + chunk_size, total)
        if progress is not None:
            progress(done, total)
        # The key after ``last`` (sequences are integers), unless it ends.
        first = None if last == end else (last[0], last[1] + 1)
    seconds = time.monotonic() - began
    return [
        LedgerFinding(check, count, found, seconds)
        for check, count, found in zip(checks, counts, rows, strict=True)
    ]


def ledger_findings(
    *,
    examples: int = 5,
    chunk_size: int = REPLAY_CHUNK,
    progress: Progress | None = None,
    connection: BaseDatabaseWrapper | None = None,
) -> Iterator[LedgerFinding]:
    """Runs every check of :data:`LEDGER_CHECKS`, in order.

    Args:
        examples: How many offending rows to keep per check.
        chunk_size: Entries per statement of the walk of the journal.
        progress: Called after each chunk of the walk with the entries
            walked so far and the entries to walk.
        connection: The database (default: the default one).

    Yields:
        One finding per check as soon as it has run; consecutive replay
        checks share one walk, and come together after it.
    """
    connection = connection or db.connection
    params = {"relative_error": RELATIVE_ERROR.get(connection.vendor, 0)}
    with connection.cursor() as cursor:
        for replays, group in itertools.groupby(
            LEDGER_CHECKS, key=lambda check: check.replays
        ):
            if replays:
                yield from _replay(
                    cursor,
                    list(group),
                    examples=examples,
                    chunk_size=chunk_size,
                    progress=progress,
                )
            else:
                for check in group:
                    yield _select(cursor, check, params, examples)


def ledger_verify(
    *,
    examples: int = 5,
    chunk_size: int = REPLAY_CHUNK,
    connection: BaseDatabaseWrapper | None = None,
) -> list[LedgerFinding]:
    """Returns the findings of every check (see :func:`ledger_findings`)."""
    return list(
        ledger_findings(
            examples=examples, chunk_size=chunk_size, connection=connection
        )
    )


def ledger_size() -> dict[str, int]:
    """Returns how many transactions, entries and accounts there are."""
    return {
        "transactions": models.Transaction.objects.count(),
        "entries": models.Entry.objects.count(),
        "accounts": models.Account.objects.count(),
    }
