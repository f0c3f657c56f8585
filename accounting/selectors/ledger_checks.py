"""The ledger's invariants, each a named check on the journal.

``verify_ledger`` proves the projections from the journal (decisions 1 and
2): the zero-sum rule, per-account sequences 1..n, running sums equal to
``balance_after``, time agreeing with sequence, the projections stored on
accounts, and the rules of each kind of movement. Every check is one
SELECT of the rows that break its rule, in :data:`LEDGER_CHECKS`; the
database does the replay (window functions), nothing is loaded row by row.

Customer accounts (main, savings) and group pots keep a running balance:
their entries carry ``sequence`` and ``balance_after``, checked alike. The
system kinds (world, fx, clearing) keep none. Checks name accounts by
kind, since a pot has no holder, like a system account.
"""

import dataclasses

from django.db import connection

from accounting import models
from config import money


@dataclasses.dataclass(frozen=True)
class Check:
    """One rule of the ledger and the SQL that finds what breaks it.

    Attributes:
        name: Short and stable: what the command prints and tests name.
        description: What the rows it finds are.
        sql: A SELECT of the offending rows, none when the rule holds.
    """

    name: str
    description: str
    sql: str


# Each entry of a customer account or pot, with its position in the
# account (1..n by sequence), the running sum of the account's amounts up
# to it, and the instant of the entry before it.
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

# How each kind of transaction moves its holder's accounts in its own
# currency: +amount in, -amount out, 0 (a release moves savings to main).
_CUSTOMER_NET = """
    CASE t.kind WHEN 'credit' THEN t.amount WHEN 'transfer_in' THEN t.amount
        WHEN 'savings_release' THEN 0 ELSE -t.amount END
"""

# ``VALUES`` rows of (currency, 10 ** exponent), constants.
_MINOR_UNIT_FACTORS = ", ".join(
    f"('{code}', {10**places})"
    for code, places in sorted(money.CURRENCY_EXPONENTS.items())
)

# Constant SQL built from constants: no input reaches any of it (S608).
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
    Check(
        "sequence-gaps",
        "sequences that are not 1..n without gaps",
        f"SELECT id, account_id, sequence, position FROM ({_CUSTOMER_REPLAY})"  # noqa: S608
        " r WHERE sequence <> position",
    ),
    Check(
        "running-balance",
        "balance_after that differs from the running sum",
        f"SELECT id, account_id, balance_after, running FROM "  # noqa: S608
        f"({_CUSTOMER_REPLAY}) r WHERE balance_after <> running",
    ),
    Check(
        "time-order",
        "occurred_at that decreases as the sequence grows",
        f"SELECT id, account_id, previous_at, occurred_at FROM "  # noqa: S608
        f"({_CUSTOMER_REPLAY}) r WHERE previous_at > occurred_at",
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
    Check(
        "system-kind",
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
    Check(
        "savings-kind",
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
    Check(
        "customer-amount",
        "transactions whose customer entries do not move their amount",
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
        f"""
        SELECT t.id, t.amount, t.fx_rate, t.to_amount, r.rate
        FROM accounting_transaction t
        JOIN (VALUES {_MINOR_UNIT_FACTORS}) f (currency, factor)
            ON f.currency = t.currency
        JOIN (VALUES {_MINOR_UNIT_FACTORS}) g (currency, factor)
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
]


@dataclasses.dataclass(frozen=True)
class LedgerFinding:
    """The outcome of one ledger check."""

    check: str
    count: int
    examples: list[tuple]


def ledger_verify(*, examples: int = 5) -> list[LedgerFinding]:
    """Runs every check of :data:`LEDGER_CHECKS`.

    Args:
        examples: How many offending rows to keep per check.

    Returns:
        One finding per check (``count`` 0 when it holds), named by the
        check's description.
    """
    findings = []
    with connection.cursor() as cursor:
        for check in LEDGER_CHECKS:
            cursor.execute(f"SELECT COUNT(*) FROM ({check.sql}) c")  # noqa: S608
            count = cursor.fetchone()[0]
            rows = []
            if count:
                cursor.execute(f"{check.sql} LIMIT {int(examples)}")
                rows = [tuple(row) for row in cursor.fetchall()]
            findings.append(LedgerFinding(check.description, count, rows))
    return findings


def ledger_size() -> dict[str, int]:
    """Returns how many transactions, entries and accounts there are."""
    return {
        "transactions": models.Transaction.objects.count(),
        "entries": models.Entry.objects.count(),
        "accounts": models.Account.objects.count(),
    }
