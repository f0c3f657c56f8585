"""Each ledger check notices the defect it exists for, on both databases.

The sample ledger (``accounting/tests/ledgers.py``, every kind of
movement, written by the services) holds every check. Each case below
breaks one rule of it in plain SQL that PostgreSQL and SQLite both run,
and names the checks that must fail, and no others: on the PostgreSQL
test database (triggers off for the case) and on a copy of the embedded
default's SQLite file, made by ``make run``'s own steps (``sqlite_ledger``).
"""

# ruff: noqa: S608 - every statement is built from the constants below

import dataclasses
import math

import pytest
from django.db import connection

from accounting import models
from accounting.selectors import ledger_checks
from accounting.tests import ledgers
from accounting.tests.conftest import (
    constraints_check,
    corrupt,
    sqlite_connection,
    sqlite_copy,
)

# Rows of the sample, found the same way on both databases.
WITHDRAWAL = (
    "(SELECT id FROM accounting_transaction"
    " WHERE kind = 'withdrawal' AND category = 'food')"
)
RELEASE = (
    "(SELECT id FROM accounting_transaction WHERE kind = 'savings_release')"
)
TRANSFER_IN = (
    "(SELECT id FROM accounting_transaction WHERE kind = 'transfer_in'"
    " ORDER BY occurred_at, id LIMIT 1)"
)
CONTRIBUTION = (
    "(SELECT id FROM accounting_transaction WHERE kind = 'group_contribution'"
    " AND counterparty_account_id = {pot} ORDER BY occurred_at, id LIMIT 1)"
)
USD_TO_JPY = (
    "(SELECT id FROM accounting_transaction"
    " WHERE kind = 'conversion' AND currency = 'USD')"
)
FIRST_INSTANT = "(SELECT MIN(occurred_at) FROM accounting_transaction)"
REVERSAL_OF = (
    "(SELECT r.id FROM accounting_transaction r"
    " JOIN accounting_transaction o ON o.id = r.reverses_id"
    " WHERE o.kind = '{kind}')"
)
WITHDRAWAL_REVERSAL = REVERSAL_OF.format(kind="withdrawal")
REVERSED_WITHDRAWAL = (
    "(SELECT id FROM accounting_transaction"
    " WHERE kind = 'withdrawal' AND category = 'mistake')"
)
LATER = "'2999-01-01 00:00:00'"
BOB = "(SELECT user_id FROM accounting_holder WHERE email = 'bob@example.com')"
ALICE_MAIN = (
    "(SELECT a.id FROM accounting_account a"
    " JOIN accounting_holder h ON h.user_id = a.holder_id"
    " WHERE h.email = 'alice@example.com'"
    " AND a.kind = 'main' AND a.currency = 'USD')"
)
ALICE_LAST_SAVINGS_ENTRY = (
    "(SELECT MAX(e.id) FROM accounting_entry e"
    " JOIN accounting_account a ON a.id = e.account_id"
    " JOIN accounting_holder h ON h.user_id = a.holder_id"
    " WHERE h.email = 'alice@example.com'"
    " AND a.kind = 'savings' AND a.currency = 'USD')"
)


def system(kind: str) -> str:
    return (
        "(SELECT id FROM accounting_account"
        f" WHERE kind = '{kind}' AND currency = 'USD')"
    )


def pot(group: str) -> str:
    return (
        f"(SELECT pot_id FROM accounting_savingsgroup WHERE name = '{group}')"
    )


# The CHECK that holds a record's date (PostgreSQL and SQLite both have
# it): a defect of dates must lift it first, as a database restored
# without its constraints would have.
DATE_CHECK = "accounting_transaction_effective_not_after_booking"
# The unique index of ``reverses`` (PostgreSQL's name for it; SQLite's is
# part of its table and cannot be dropped).
ONCE_INDEX = "accounting_transaction_reverses_id_key"


@dataclasses.dataclass(frozen=True)
class Defect:
    what: str
    statements: list[str]
    detected: list[str]
    lifts_date_check: bool = False
    on_sqlite: bool = True


DEFECTS = [
    Defect(
        "a withdrawal paid out one unit more than it took",
        [
            "UPDATE accounting_entry SET amount = amount + 1"
            f" WHERE transaction_id = {WITHDRAWAL}"
            f" AND account_id = {system('world')}"
        ],
        ["zero-sum"],
    ),
    Defect(
        "a withdrawal in EUR from and to USD accounts",
        [
            "UPDATE accounting_entry SET currency = 'EUR'"
            f" WHERE transaction_id = {WITHDRAWAL}",
            "UPDATE accounting_transaction SET currency = 'EUR'"
            f" WHERE id = {WITHDRAWAL}",
        ],
        ["entry-currency"],
    ),
    Defect(
        "a world entry with a running balance",
        [
            "UPDATE accounting_entry SET sequence = 1, balance_after = 1"
            f" WHERE transaction_id = {WITHDRAWAL}"
            f" AND account_id = {system('world')}"
        ],
        ["system-entry-sequenced"],
    ),
    Defect(
        "a pot's only entry without a sequence (the pot agreeing)",
        [
            "UPDATE accounting_entry SET sequence = NULL, balance_after = NULL"
            f" WHERE account_id = {pot('Winter')}",
            "UPDATE accounting_account SET balance = 0, last_sequence = 0"
            f" WHERE id = {pot('Winter')}",
        ],
        ["entry-unsequenced"],
    ),
    Defect(
        "a sequence that skips one (the account agreeing)",
        [
            "UPDATE accounting_account SET last_sequence = last_sequence + 1"
            " WHERE id = (SELECT account_id FROM accounting_entry"
            f" WHERE id = {ALICE_LAST_SAVINGS_ENTRY})",
            "UPDATE accounting_entry SET sequence = sequence + 1"
            f" WHERE id = {ALICE_LAST_SAVINGS_ENTRY}",
        ],
        ["sequence-gaps"],
    ),
    Defect(
        "a balance_after off by one in the middle of an account",
        [
            "UPDATE accounting_entry SET balance_after = balance_after + 1"
            f" WHERE account_id = {ALICE_MAIN} AND sequence = 2"
        ],
        ["running-balance"],
    ),
    Defect(
        "a release moved back before what came earlier in its accounts",
        [
            f"UPDATE accounting_entry SET occurred_at = {FIRST_INSTANT}"
            f" WHERE transaction_id = {RELEASE}",
            f"UPDATE accounting_transaction SET occurred_at = {FIRST_INSTANT},"
            f" effective_at = {FIRST_INSTANT} WHERE id = {RELEASE}",
        ],
        ["time-order"],
    ),
    Defect(
        "an entry at another instant than its transaction",
        [
            f"UPDATE accounting_entry SET occurred_at = {FIRST_INSTANT}"
            f" WHERE transaction_id = {WITHDRAWAL}"
            f" AND account_id = {system('world')}"
        ],
        ["entry-time"],
    ),
    Defect(
        "a withdrawal dated after its booking",
        [
            "UPDATE accounting_transaction"
            " SET effective_at = '2999-01-01 00:00:00'"
            f" WHERE id = {WITHDRAWAL}"
        ],
        ["effective-time"],
        lifts_date_check=True,
    ),
    Defect(
        "a transfer received dated before its booking",
        [
            "UPDATE accounting_transaction"
            " SET effective_at = '2000-01-01 00:00:00'"
            f" WHERE id = {TRANSFER_IN}"
        ],
        ["effective-time"],
        lifts_date_check=True,
    ),
    Defect(
        "a customer balance that is not its last entry's",
        [
            "UPDATE accounting_account SET balance = balance + 1"
            f" WHERE id = {ALICE_MAIN}"
        ],
        ["account-projection"],
    ),
    Defect(
        "a world account with a stored balance",
        [
            "UPDATE accounting_account SET balance = -5"
            f" WHERE id = {system('world')}"
        ],
        ["system-balance"],
    ),
    Defect(
        "Alice's withdrawal charged to Bob",
        [
            f"UPDATE accounting_transaction SET holder_id = {BOB}"
            f" WHERE id = {WITHDRAWAL}"
        ],
        # Its entries still name Alice.
        ["entry-holder-key", "entry-holder"],
    ),
    Defect(
        "a withdrawal's world entry naming Bob",
        [
            f"UPDATE accounting_entry SET holder_id = {BOB}"
            f" WHERE transaction_id = {WITHDRAWAL}"
            f" AND account_id = {system('world')}"
        ],
        ["entry-holder-key"],
    ),
    Defect(
        "a withdrawal paid to the fx account",
        [
            f"UPDATE accounting_entry SET account_id = {system('fx')}"
            f" WHERE transaction_id = {WITHDRAWAL}"
            f" AND account_id = {system('world')}"
        ],
        ["system-kind"],
    ),
    Defect(
        "a release recorded as a withdrawal (out of savings)",
        [
            "UPDATE accounting_transaction SET kind = 'withdrawal'"
            f" WHERE id = {RELEASE}"
        ],
        ["savings-kind", "customer-amount"],
    ),
    Defect(
        "a withdrawal that says one unit more than it moved",
        [
            "UPDATE accounting_transaction SET amount = amount + 1"
            f" WHERE id = {WITHDRAWAL}"
        ],
        ["customer-amount"],
    ),
    Defect(
        "a transfer half naming a withdrawal as its other half",
        [
            f"UPDATE accounting_transaction SET related_id = {WITHDRAWAL}"
            f" WHERE id = {TRANSFER_IN}"
        ],
        ["transfer-halves"],
    ),
    Defect(
        "a transfer half paid from the world instead of clearing",
        [
            f"UPDATE accounting_entry SET account_id = {system('world')}"
            f" WHERE transaction_id = {TRANSFER_IN}"
            f" AND account_id = {system('clearing')}"
        ],
        ["system-kind", "clearing-zero"],
    ),
    Defect(
        "a conversion at twice its rate, the rate agreeing",
        [
            "UPDATE accounting_rate SET rate = rate * 2 WHERE id = (SELECT"
            f" rate_id FROM accounting_transaction WHERE id = {USD_TO_JPY})",
            "UPDATE accounting_transaction SET fx_rate = fx_rate * 2"
            f" WHERE id = {USD_TO_JPY}",
        ],
        ["conversion-rate"],
    ),
    Defect(
        "a conversion showing another rate than the one it used",
        [
            "UPDATE accounting_transaction SET fx_rate = fx_rate * 2"
            f" WHERE id = {USD_TO_JPY}"
        ],
        ["conversion-rate"],
    ),
    Defect(
        "a rate of the pair backdated to the instant of a conversion",
        [
            "INSERT INTO accounting_rate"
            " (base, quote, rate, valid_from, created_by, created_at)"
            " SELECT r.base, r.quote, r.rate * 2, t.occurred_at, 'backdated',"
            " t.occurred_at FROM accounting_rate r"
            " JOIN accounting_transaction t ON t.rate_id = r.id"
            f" WHERE t.id = {USD_TO_JPY}"
        ],
        ["conversion-newest-rate"],
    ),
    Defect(
        "a contribution recorded as a credit (into a pot)",
        [
            "UPDATE accounting_transaction SET kind = 'credit',"
            " counterparty_account_id = NULL"
            f" WHERE id = {CONTRIBUTION.format(pot=pot('Summer'))}"
        ],
        ["customer-amount", "pot-kind"],
    ),
    Defect(
        "a contribution naming another group's pot",
        [
            "UPDATE accounting_transaction"
            f" SET counterparty_account_id = {pot('Winter')}"
            f" WHERE id = {CONTRIBUTION.format(pot=pot('Summer'))}"
        ],
        ["contribution-legs"],
    ),
    Defect(
        "a withdrawal's reversal saying one unit more than it",
        [
            "UPDATE accounting_transaction SET amount = amount + 1"
            f" WHERE id = {WITHDRAWAL_REVERSAL}"
        ],
        ["reversal-original"],
    ),
    Defect(
        "a withdrawal's reversal paid from fx instead of the world",
        [
            f"UPDATE accounting_entry SET account_id = {system('fx')}"
            f" WHERE transaction_id = {WITHDRAWAL_REVERSAL}"
            f" AND account_id = {system('world')}"
        ],
        ["reversal-mirror"],
    ),
    Defect(
        "a reversal naming a savings release",
        [
            f"UPDATE accounting_transaction SET reverses_id = {RELEASE}"
            f" WHERE id = {WITHDRAWAL_REVERSAL}"
        ],
        ["reversal-original", "reversal-mirror", "reversal-reason"],
    ),
    Defect(
        "a withdrawal reversed twice (Bob's credit's reversal naming it)",
        [
            f"ALTER TABLE accounting_transaction DROP CONSTRAINT {ONCE_INDEX}",
            "UPDATE accounting_transaction"
            f" SET reverses_id = {REVERSED_WITHDRAWAL}"
            f" WHERE id = {REVERSAL_OF.format(kind='credit')}",
        ],
        ["reversal-original", "reversal-mirror", "reversal-once"],
        on_sqlite=False,
    ),
    Defect(
        "a transfer half reversed later than the other",
        [
            f"UPDATE accounting_transaction SET occurred_at = {LATER},"
            f" effective_at = {LATER}"
            f" WHERE id = {REVERSAL_OF.format(kind='transfer_in')}",
            f"UPDATE accounting_entry SET occurred_at = {LATER}"
            " WHERE transaction_id ="
            f" {REVERSAL_OF.format(kind='transfer_in')}",
        ],
        ["reversal-halves"],
    ),
    Defect(
        "a reversal whose reason was deleted",
        [
            "DELETE FROM accounting_reversal"
            f" WHERE original_id = {REVERSED_WITHDRAWAL}"
        ],
        ["reversal-reason"],
    ),
]


def failed(findings) -> list[str]:
    return [f.check.name for f in findings if f.count]


def test_every_check_has_a_defect_it_notices():
    names = [check.name for check in ledger_checks.LEDGER_CHECKS]

    assert len(set(names)) == len(names)
    assert {name for d in DEFECTS for name in d.detected} == set(names)


def test_each_check_is_a_statement_or_a_condition_of_the_walk():
    for check in ledger_checks.LEDGER_CHECKS:
        assert bool(check.sql) != bool(check.condition), check.name
        assert check.description
        assert "%" not in check.sql.replace("%(relative_error)s", "")
        assert "%" not in check.condition


# --- PostgreSQL -------------------------------------------------------------


@pytest.fixture
def sample(db, clock):
    del db
    return ledgers.sample(clock)


def test_the_sample_holds_on_postgresql(sample):
    del sample
    findings = ledger_checks.ledger_verify()

    assert [f.check for f in findings] == ledger_checks.LEDGER_CHECKS
    assert failed(findings) == []
    constraints_check()


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: d.what)
def test_each_defect_is_noticed_on_postgresql(sample, defect):
    del sample
    if defect.lifts_date_check:
        corrupt(
            f"ALTER TABLE accounting_transaction DROP CONSTRAINT {DATE_CHECK}"
        )
    for statement in defect.statements:
        corrupt(statement)

    assert failed(ledger_checks.ledger_verify()) == defect.detected


def test_the_walk_does_not_depend_on_its_chunks(sample):
    del sample
    replay = {c.name for c in ledger_checks.LEDGER_CHECKS if c.replays}
    for defect in DEFECTS:  # a gap, a balance, a time
        if set(defect.detected) <= replay:
            for statement in defect.statements:
                corrupt(statement)
    whole = ledger_checks.ledger_verify(chunk_size=1_000_000)
    replayed = [f for f in whole if f.check.replays]
    # The gap: Alice's last savings entry, her release's. The balance: her
    # main entries 2 and 3. The time: the release's main entry (its savings
    # entry follows the gap, where time is not judged).
    assert [f.count for f in replayed] == [1, 2, 1]

    for chunk_size in (1, 2, 3, 7):
        findings = ledger_checks.ledger_verify(chunk_size=chunk_size)
        assert [(f.count, f.examples) for f in findings] == [
            (f.count, f.examples) for f in whole
        ]


def test_the_walk_reports_its_progress_chunk_by_chunk(sample):
    del sample
    calls = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM accounting_entry WHERE sequence IS NOT NULL"
        )
        total = cursor.fetchone()[0]

    findings = list(
        ledger_checks.ledger_findings(
            chunk_size=10, progress=lambda *call: calls.append(call)
        )
    )

    assert failed(findings) == []
    assert len(calls) == 1 + math.ceil(total / 10)
    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_an_empty_journal_is_not_walked(db):
    del db
    calls = []

    findings = list(
        ledger_checks.ledger_findings(progress=lambda *c: calls.append(c))
    )

    assert failed(findings) == []
    assert calls == []


def test_examples_are_the_first_offending_rows_up_to_the_limit(sample):
    del sample
    corrupt(
        "UPDATE accounting_entry SET balance_after = balance_after + sequence"
        f" WHERE account_id = {ALICE_MAIN}"
    )
    corrupt(
        "UPDATE accounting_account SET balance = 1"
        " WHERE kind IN ('world', 'fx', 'clearing')"
    )

    by_name = {f.check.name: f for f in ledger_checks.ledger_verify(examples=2)}

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM accounting_entry"
            f" WHERE account_id = {ALICE_MAIN}"
        )
        entries = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*) FROM accounting_account"
            " WHERE kind IN ('world', 'fx', 'clearing')"
        )
        system_accounts = cursor.fetchone()[0]
    running = by_name["running-balance"]
    assert (running.count, len(running.examples)) == (entries, 2)
    assert [row[2] for row in running.examples] == [1, 2]  # by sequence
    balances = by_name["system-balance"]
    assert (balances.count, len(balances.examples)) == (system_accounts, 2)
    assert by_name["zero-sum"].examples == []


# --- SQLite (the embedded default) ------------------------------------------


@pytest.fixture
def sqlite_sample(sqlite_ledger, tmp_path, django_db_blocker):
    """A fresh copy of the embedded default's sample, opened here."""
    path = sqlite_copy(sqlite_ledger, tmp_path / "var")
    with django_db_blocker.unblock(), sqlite_connection(path) as sqlite:
        yield sqlite


def sqlite_run(sqlite, statement: str) -> None:
    with sqlite.cursor() as cursor:
        cursor.execute(statement)


def test_the_sample_holds_on_sqlite(sqlite_sample):
    assert sqlite_sample.vendor == "sqlite"

    findings = ledger_checks.ledger_verify(
        chunk_size=7, connection=sqlite_sample
    )

    assert failed(findings) == []
    with sqlite_sample.cursor() as cursor:
        cursor.execute("SELECT DISTINCT kind FROM accounting_transaction")
        kinds = {kind for (kind,) in cursor.fetchall()}
    assert kinds == set(models.Transaction.Kind)


@pytest.mark.parametrize(
    "defect", [d for d in DEFECTS if d.on_sqlite], ids=lambda d: d.what
)
def test_each_defect_is_noticed_on_sqlite(sqlite_sample, defect):
    if defect.lifts_date_check:  # SQLite cannot drop one CHECK
        sqlite_run(sqlite_sample, "PRAGMA ignore_check_constraints = ON")
    for statement in defect.statements:
        sqlite_run(sqlite_sample, statement)

    findings = ledger_checks.ledger_verify(
        chunk_size=7, connection=sqlite_sample
    )

    assert failed(findings) == defect.detected


def test_sqlite_rates_are_doubles_judged_with_their_error(
    sqlite_sample, monkeypatch
):
    """The half-way conversion computes a hair beyond half a cent there."""
    base, quote, amount = ledgers.HALF_WAY
    with sqlite_sample.cursor() as cursor:
        cursor.execute(
            "SELECT to_amount, amount * fx_rate * 100 FROM"
            " accounting_transaction WHERE currency = %s AND to_currency = %s",
            [base, quote],
        )
        to_amount, product = cursor.fetchone()
    assert (amount, to_amount) == (75_783, 58_921_282)  # 58,921,282.5 cents
    assert product - to_amount > 0.5  # in doubles

    monkeypatch.setattr(ledger_checks, "RELATIVE_ERROR", {})
    exact = ledger_checks.ledger_verify(connection=sqlite_sample)

    assert failed(exact) == ["conversion-rate"]
