"""How every money movement writes the journal: locks, entries, keys.

A movement (``accounting.services.movements``) locks the customer accounts
it touches with :func:`accounts_lock` (one query, id order: no deadlocks),
stamps its header after the locks (:func:`header_new`, decision 2), turns
amounts into entry rows (:func:`post` for customer accounts, which moves
their running balance and sequence; :func:`system_posting` for system
accounts, which keep none) and writes everything with
:func:`journal_write`: one insert per table and one update. The
:func:`idempotent` decorator makes it one database transaction with its
Idempotency-Key (the same for the writes that move no money but must
apply once: a goal, a group).
"""

import contextlib
import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Callable, Collection, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import DateTimeField
from django.utils import timezone
from psycopg import pq

from accounting import errors, metrics, models, wire
from accounting.services.commits import pipelined_commit
from accounting.services.guards import check_holder_open, check_not_frozen
from accounting.services.webhooks import Event, events_record
from config import webhook_events
from config.idempotency import store
from config.sql import db_value, insert_many
from config.sql import insert as insert_rows


@dataclasses.dataclass(frozen=True)
class KeyedResult:
    """The outcome of a keyed write: its document, and whether a replay.

    A money movement, or the creation of a goal or a group: each applies
    once per ``Idempotency-Key`` (:func:`idempotent`).

    Attributes:
        body: The write's document (``accounting.wire``) as first returned.
        replayed: True when an earlier request with the key answered.
        transaction: The caller's journal header written now (None on a
            replay, or for a write that moves no money).
    """

    body: dict[str, Any]
    replayed: bool
    transaction: models.Transaction | None


# The statements of a money movement (key lookup, account locks, journal
# inserts, balance update) are small raw SQL on purpose: building the same
# statements through the ORM (filters, select_related, bulk_create and
# bulk_update's CASE expressions) cost more CPU than the database spent
# running them (about 8 ms of a 12 ms credit). Parameters go through
# each field's ``get_db_prep_value`` and results through ``to_python`` /
# ``from_db_value``, so the same SQL runs on PostgreSQL and on the embedded
# SQLite default (where UUIDs are hex text and decimals come back as floats).

# A holder's keys: unique per holder (decision 6).
_KEYS = store.KeyTable(models.IdempotencyKey, scope="holder")

# The caller's main and savings accounts in some currencies (and possibly
# one more customer account, a transfer's recipient), each with its
# holder's state and plan, in id order. On PostgreSQL only the account rows
# are locked (like the ORM's ``select_for_update(of=("self",))``); SQLite
# has no row locks and serialises writers instead (BEGIN IMMEDIATE). A
# group contribution also locks the group's pot, which has no holder: only
# that query joins holders with a LEFT JOIN (``{join}``), so every other
# movement keeps its plain inner join.
_LOCKED_COLUMNS = """
    SELECT a."id", a."holder_id", a."kind", a."currency", a."balance",
        a."last_sequence", a."closed_at", a."debits_frozen_until",
        a."credits_frozen_until", h."closed_at", h."webhooks_in_use",
        p."id", p."name", p."kind", p."currency", p."percentage",
        p."flat_amount", p."description", p."savings_hold_days"
    FROM "accounting_account" a"""
_LOCK_SQL = (
    _LOCKED_COLUMNS
    + """
    {join} "accounting_holder" h ON h."user_id" = a."holder_id"
    LEFT JOIN "accounting_plan" p ON p."id" = h."plan_id"
    WHERE (a."holder_id" = %s AND a."currency" IN ({currencies})){extra}
    ORDER BY a."id"
"""
)

_ACCOUNT_COLUMNS = (
    "id",
    "holder_id",
    "kind",
    "currency",
    "balance",
    "last_sequence",
    "closed_at",
    "debits_frozen_until",
    "credits_frozen_until",
)
# Where the holder's state and the plan start in a row of the lock query.
_HOLDER_CLOSED, _HOLDER_WEBHOOKS, _PLAN = 9, 10, 11

_PLAN_COLUMNS = (
    "id",
    "name",
    "kind",
    "currency",
    "percentage",
    "flat_amount",
    "description",
    "savings_hold_days",
)

_TRANSACTION_COLUMNS = (
    "id",
    "holder_id",
    "kind",
    "amount",
    "currency",
    "occurred_at",
    "effective_at",
    "description",
    "source",
    "category",
    "plan_snapshot",
    "counterparty_account_id",
    "related_id",
    "reverses_id",
    "to_amount",
    "to_currency",
    "rate_id",
    "fx_rate",
    "created_at",
)

_ENTRY_COLUMNS = (
    "transaction_id",
    "holder_id",
    "currency",
    "occurred_at",
    "account_id",
    "amount",
    "sequence",
    "balance_after",
)

# An entry row before its transaction and instant are known:
# (account id, currency, signed amount, sequence, balance_after).
Posting = tuple[uuid.UUID, str, int, int | None, int | None]


def _replay(
    *, holder_id: uuid.UUID, key: str | None, request_hash: str
) -> KeyedResult | None:
    """Returns the stored response of a retried request, else None.

    Raises:
        KeyInFlightError: Same key, first request running.
        KeyReusedError: Same key, different request.
    """
    if key is None:
        return None
    stored = _KEYS.replay(scope=holder_id, key=key, request_hash=request_hash)
    if stored is None:
        return None
    return KeyedResult(body=_dated(stored), replayed=True, transaction=None)


def _dated(body: dict[str, Any]) -> dict[str, Any]:
    """Returns a stored answer with its transaction's ``effective_at``.

    An answer stored before transactions had a second clock lacks it; such
    a transaction took effect when it was booked (migration 0009 dated
    every row so).
    """
    transaction = body.get("transaction")
    if transaction is None or "effective_at" in transaction:
        return body
    dated = {**transaction, "effective_at": transaction["occurred_at"]}
    return {**body, "transaction": dated}


def _plan_from_row(values: tuple[Any, ...]) -> models.Plan | None:
    """Builds the holder's plan from the lock query; None if no plan."""
    if values[0] is None:
        return None
    meta = models.Plan._meta
    return models.Plan.from_db(
        connection.alias,
        _PLAN_COLUMNS,
        [
            meta.get_field(name).to_python(value)
            for name, value in zip(_PLAN_COLUMNS, values, strict=True)
        ],
    )


@dataclasses.dataclass
class Locked:
    """The accounts a movement locked, and the caller's plan.

    Attributes:
        holder_id: The caller.
        accounts: Every locked account by ``(holder_id, kind, currency)``
            (a pot's holder is None).
        by_id: The same accounts by id.
        closed_holders: The holders among them that are closed.
        plan: The caller's plan (None without one).
        notified: The holders among them with webhooks: their movements
            are told (``services.webhooks``).
    """

    holder_id: uuid.UUID
    accounts: dict[tuple[uuid.UUID, str, str], models.Account]
    by_id: dict[uuid.UUID, models.Account]
    closed_holders: set[uuid.UUID]
    plan: models.Plan | None
    notified: set[uuid.UUID] = dataclasses.field(default_factory=set)

    def own(self, kind: str, currency: str) -> models.Account:
        """Returns one of the caller's locked accounts."""
        return self.accounts[(self.holder_id, kind, currency)]

    def wallet(self, currency: str) -> tuple[models.Account, models.Account]:
        """Returns the caller's main and savings accounts in a currency."""
        kind = models.Account.Kind
        return self.own(kind.MAIN, currency), self.own(kind.SAVINGS, currency)


def accounts_lock(
    *,
    holder_id: uuid.UUID,
    currencies: tuple[str, ...],
    also: uuid.UUID | None = None,
    pot: uuid.UUID | None = None,
) -> Locked:
    """Locks a holder's wallets (and maybe one more account) in id order.

    One query: the caller's main and savings accounts in the currencies,
    plus the customer account ``also`` or the pot ``pot`` if given, with
    their holders' state and the caller's plan. Locking in id order, a
    fixed order, means two movements touching the same accounts never
    deadlock (a pot is one more row in that order, so members contributing
    at once queue on it and never deadlock either).

    Args:
        holder_id: The caller.
        currencies: The caller's wallets to lock; each must be open.
        also: Another customer account to lock (a transfer's recipient);
            absent from the result if it is not a customer account.
        pot: A group's pot to lock (a contribution's destination); absent
            from the result if it is not a pot. Not with ``also``.

    Returns:
        The locked accounts.

    Raises:
        HolderNotReadyError: The holder is unknown.
        HolderClosedError: The holder is closed.
        AccountNotOpenError: No wallet in one of the currencies.
        AccountClosedError: One of the caller's wallets is closed.
    """
    marks = ", ".join(["%s"] * len(currencies))
    join, extra = "JOIN", ""
    params = [db_value(models.Account, "holder", holder_id), *currencies]
    if also is not None:
        extra = ' OR a."id" = %s'
        params.append(db_value(models.Account, "id", also))
    elif pot is not None:
        join, extra = "LEFT JOIN", ' OR (a."id" = %s AND a."kind" = %s)'
        params += [db_value(models.Account, "id", pot), models.Account.Kind.POT]
    sql = _LOCK_SQL.format(join=join, currencies=marks, extra=extra)
    # SQLite (the embedded default) has no row locks: it serialises
    # writers instead; the tests run on PostgreSQL only.
    if connection.vendor == "postgresql":  # pragma: no branch
        sql += ' FOR UPDATE OF "a"'
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    locked = Locked(holder_id, {}, {}, set(), None)
    for row in rows:
        _locked_add(locked, row)
    _check_own_wallets(locked, currencies)
    return locked


def _utc(  # pragma: no cover - SQLite only, run by a subprocess test
    value: dt.datetime | None,
) -> dt.datetime | None:
    """An instant as SQLite's raw queries return it (naive UTC), aware."""
    return value if value is None else value.replace(tzinfo=dt.UTC)


@functools.cache
def _account_readers() -> tuple[Callable[[Any], Any], ...]:
    """Each account column's conversion from the database, looked up once.

    PostgreSQL returns aware instants; SQLite (the embedded default) naive
    ones in UTC, which a freeze's expiry could not be compared with.
    """
    fields = [models.Account._meta.get_field(n) for n in _ACCOUNT_COLUMNS]
    if connection.vendor == "sqlite":  # pragma: no cover - SQLite only
        return tuple(
            _utc if isinstance(field, DateTimeField) else field.to_python
            for field in fields
        )
    return tuple(field.to_python for field in fields)


def _locked_add(
    locked: Locked,
    row: tuple[Any, ...],
    plans: dict[Any, models.Plan | None] | None = None,
) -> None:
    """Adds an account row of a lock query, its holder's state and plan.

    ``plans``: the plans built so far, by id, when many holders are
    locked at once: most share a few plans, each built once.
    """
    account = models.Account.from_db(
        connection.alias,
        _ACCOUNT_COLUMNS,
        [
            to_python(value)
            for to_python, value in zip(_account_readers(), row, strict=False)
        ],
    )
    locked.accounts[account.holder_id, account.kind, account.currency] = account
    locked.by_id[account.id] = account
    if row[_HOLDER_CLOSED] is not None:
        locked.closed_holders.add(account.holder_id)
    if row[_HOLDER_WEBHOOKS]:
        locked.notified.add(account.holder_id)
    if account.holder_id == locked.holder_id:
        plan_id = row[_PLAN]
        if plans is None:
            locked.plan = _plan_from_row(row[_PLAN:])
        elif plan_id in plans:
            locked.plan = plans[plan_id]
        else:
            locked.plan = plans[plan_id] = _plan_from_row(row[_PLAN:])


# Many holders' main and savings wallets at once (a partner's batch): the
# pairs come as two arrays on PostgreSQL; SQLite has no arrays and takes
# one placeholder pair per wallet.
_WALLETS_SQL = (
    _LOCKED_COLUMNS
    + """
    JOIN "accounting_holder" h ON h."user_id" = a."holder_id"
    LEFT JOIN "accounting_plan" p ON p."id" = h."plan_id"
    WHERE a."kind" IN (%s, %s) AND ({pairs})
    ORDER BY a."id"
"""
)


def wallets_lock(
    wallets: set[tuple[uuid.UUID, str]],
) -> dict[uuid.UUID, Locked]:
    """Locks many holders' wallets in one query, in id order.

    The same order as every other movement's (:func:`accounts_lock`), so a
    batch crediting a thousand users and a single movement of one of them
    queue, never deadlock.

    Args:
        wallets: ``(holder id, currency)`` of each wallet (its main and
            savings accounts) to lock.

    Returns:
        What was locked, per holder of ``wallets``: the caller of each
        :class:`Locked` is that holder. Check a wallet with
        :func:`wallet_check` before using it.
    """
    if not wallets:
        return {}
    kind = models.Account.Kind
    params: list[Any] = [kind.MAIN, kind.SAVINGS]
    if connection.vendor == "postgresql":
        pairs = (
            '(a."holder_id", a."currency") IN '
            "(SELECT * FROM unnest(%s::uuid[], %s::varchar[]))"
        )
        params += [
            [holder for holder, _ in wallets],
            [currency for _, currency in wallets],
        ]
        sql = _WALLETS_SQL.format(pairs=pairs) + ' FOR UPDATE OF "a"'
    else:  # pragma: no cover - SQLite only (the smoke test runs it)
        pairs = " OR ".join(
            ['(a."holder_id" = %s AND a."currency" = %s)'] * len(wallets)
        )
        for holder, currency in wallets:
            params += [db_value(models.Account, "holder", holder), currency]
        sql = _WALLETS_SQL.format(pairs=pairs)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    locked: dict[uuid.UUID, Locked] = {}
    plans: dict[Any, models.Plan | None] = {}
    to_holder = models.Account._meta.get_field("holder").to_python
    for row in rows:
        holder = to_holder(row[1])
        if holder not in locked:
            locked[holder] = Locked(holder, {}, {}, set(), None)
        _locked_add(locked[holder], row, plans)
    for holder, _ in wallets:
        if holder not in locked:
            locked[holder] = Locked(holder, {}, {}, set(), None)
    return locked


def wallet_check(locked: Locked, currency: str) -> None:
    """Raises unless a holder locked by :func:`wallets_lock` may be credited.

    Raises:
        HolderClosedError: The holder is closed.
        AccountNotOpenError: No wallet in the currency.
        AccountClosedError: The wallet is closed.
    """
    _check_own_wallets(locked, (currency,))


def _check_own_wallets(locked: Locked, currencies: tuple[str, ...]) -> None:
    """Raises unless the caller is open with open wallets in currencies."""
    kinds = models.Account.CUSTOMER_KINDS
    for currency in currencies:
        if all(
            (locked.holder_id, k, currency) in locked.accounts for k in kinds
        ):
            continue
        holder = models.Holder.objects.filter(pk=locked.holder_id).first()
        if holder is None:
            raise errors.HolderNotReadyError()
        check_holder_open(holder)
        raise errors.AccountNotOpenError(f"No {currency} account is open.")
    if locked.holder_id in locked.closed_holders:
        raise errors.HolderClosedError()
    for currency in currencies:
        if any(account.is_closed for account in locked.wallet(currency)):
            raise errors.AccountClosedError(
                f"The {currency} account is closed."
            )


def post(account: models.Account, amount: int) -> Posting:
    """Moves a locked customer account (or a group's pot) by an amount.

    The database refuses a negative customer balance too (a CHECK); the
    callers check funds first so that the client gets a clear error.
    Every movement posts through here, so this is where a freeze refuses
    one, before the account moves (decision 25).

    Returns:
        The entry row, with the account's next sequence and new balance.

    Raises:
        AccountFrozenError: A freeze stops money leaving (``amount < 0``)
            or entering the account now.
    """
    check_not_frozen(account=account, amount=amount)
    account.balance += amount
    account.last_sequence += 1
    return (
        account.id,
        account.currency,
        amount,
        account.last_sequence,
        account.balance,
    )


def system_posting(kind: str, currency: str, amount: int) -> Posting:
    """Returns an entry row on a system account (no running balance)."""
    account_id = models.Account.system_id(kind, currency)
    return (account_id, currency, amount, None, None)


def _balances_save(accounts: list[models.Account], *, many: bool) -> None:
    """Writes the new balance and last sequence of locked accounts.

    A few rows: one ``UPDATE`` with a ``CASE`` per column, as
    ``bulk_update`` would write it, without building the expressions.
    Many (a batch crediting a thousand users): the values as arrays,
    joined by id, since each row of a ``CASE`` would compare its id with
    every branch.
    """
    ids = [db_value(models.Account, "id", a.id) for a in accounts]
    if many and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                'UPDATE "accounting_account" a SET "balance" = v."balance",'
                ' "last_sequence" = v."last_sequence" FROM unnest('
                "%s::uuid[], %s::bigint[], %s::bigint[]) "
                'AS v("id", "balance", "last_sequence") WHERE a."id" = v."id"',
                [
                    ids,
                    [a.balance for a in accounts],
                    [a.last_sequence for a in accounts],
                ],
            )
        return
    params = [
        value
        for column in ("balance", "last_sequence")
        for id_, account in zip(ids, accounts, strict=True)
        for value in (id_, getattr(account, column))
    ]
    when = " ".join(["WHEN %s THEN %s"] * len(accounts))
    marks = ", ".join(["%s"] * len(accounts))
    # Only placeholders are formatted into the statement, never values.
    sql = (
        'UPDATE "accounting_account"'  # noqa: S608
        f' SET "balance" = CASE "id" {when} END,'
        f' "last_sequence" = CASE "id" {when} END WHERE "id" IN ({marks})'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])


def journal_write(
    journal: list[tuple[models.Transaction, list[Posting]]],
    moved: list[models.Account],
    *,
    many: bool = False,
    notified: Collection[uuid.UUID] = (),
    group: models.SavingsGroup | None = None,
) -> None:
    """Writes headers with their entries, and saves the moved accounts.

    One insert per table and one update, whatever the movement; entries
    take their header's instant. A header of a holder with webhooks is
    told as a ``transaction.created`` event, in the same transaction;
    each is counted in the metrics once that transaction commits.

    Args:
        journal: Each header with its postings.
        moved: The customer accounts the postings changed.
        many: Hundreds of headers (an import's batch, a partner's): sent
            as arrays (:func:`config.sql.insert_many`) rather than row by
            row.
        notified: The holders with webhooks (``Locked.notified``).
        group: A contribution's group, which its transaction names.
    """
    insert = insert_many if many else insert_rows
    insert(
        models.Transaction,
        _TRANSACTION_COLUMNS,
        [
            tuple(getattr(header, name) for name in _TRANSACTION_COLUMNS)
            for header, _ in journal
        ],
    )
    for header, _ in journal:
        header._state.adding = False  # saved: append-only from now on
        header._state.db = connection.alias
    insert(
        models.Entry,
        _ENTRY_COLUMNS,
        [
            (
                header.id,
                header.holder_id,
                currency,
                header.occurred_at,
                account_id,
                *rest,
            )
            for header, postings in journal
            for account_id, currency, *rest in postings
        ],
    )
    _balances_save(moved, many=many)
    if notified:
        _transactions_tell(journal, moved, notified, many=many, group=group)
    metrics.movements_count(header for header, _ in journal)


def _transactions_tell(
    journal: list[tuple[models.Transaction, list[Posting]]],
    moved: list[models.Account],
    notified: Collection[uuid.UUID],
    *,
    many: bool,
    group: models.SavingsGroup | None,
) -> None:
    """Writes the ``transaction.created`` events of the notified holders.

    Each tells its transaction as ``GET /transactions/{id}`` shows it.
    """
    by_id = {account.id: account for account in moved}
    events_record(
        [
            Event(
                type=webhook_events.TRANSACTION_CREATED,
                holder_id=header.holder_id,
                data={
                    "transaction": wire.transaction_data(
                        header,
                        [
                            (account.kind, currency, amount)
                            for account_id, currency, amount, *_ in postings
                            if (account := by_id.get(account_id)) is not None
                            and account.holder_id == header.holder_id
                        ],
                        group,
                    )
                },
            )
            for header, postings in journal
            if header.holder_id in notified
        ],
        many=many,
    )


def header_new(
    *, holder_id: uuid.UUID, kind: str, amount: int, currency: str, **fields
) -> models.Transaction:
    """Returns an unsaved journal header stamped now (after the locks).

    It takes effect when it is booked unless ``effective_at`` (a dated
    credit or withdrawal, already checked) says otherwise.
    """
    now = timezone.now()
    occurred_at = fields.pop("occurred_at", now)
    return models.Transaction(
        holder_id=holder_id,
        kind=kind,
        amount=amount,
        currency=currency,
        occurred_at=occurred_at,
        effective_at=fields.pop("effective_at", None) or occurred_at,
        created_at=now,
        **fields,
    )


def _splits(postings: list[Posting], locked: Locked) -> list[tuple]:
    """Returns ``(account_kind, currency, amount)`` of the caller's postings.

    Only the caller's own accounts: not system accounts (never locked),
    nor a group's pot (locked, with a sequence, but nobody's wallet).
    """
    return [
        (account.kind, currency, amount)
        for account_id, currency, amount, _, _ in postings
        if (account := locked.by_id.get(account_id)) is not None
        and account.holder_id == locked.holder_id
    ]


def _key_store(
    *,
    holder_id: uuid.UUID,
    key: str,
    request_hash: str,
    body: dict[str, Any],
    header: models.Transaction | None,
) -> None:
    """Stores an idempotency key with the write it answered.

    With the journal header of a movement; a write that moves no money (a
    goal, a group) has none.
    """
    _KEYS.save(
        scope=holder_id,
        key=key,
        request_hash=request_hash,
        body=body,
        transaction=header.id if header else None,
        created_at=header.created_at if header else timezone.now(),
    )


KeyedWrite = Callable[..., tuple[dict[str, Any], models.Transaction | None]]


# A transaction that is still open (or failed) after an error: roll it back.
_OPEN = (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)


@contextlib.contextmanager
def _one_transaction(pipelined: bool) -> Iterator[None]:
    """Runs the block as one database transaction.

    ``pipelined`` (a movement, on PostgreSQL) sends statements in
    psycopg's pipeline mode: a statement whose result is not read (an
    insert, the balance update) leaves at once and its answer is read with
    the next result the code waits for. The transaction is opened and
    committed by statements in the same pipeline, so a movement waits on
    the database three times (``BEGIN`` with its key's claim, the account
    locks, the writes with ``COMMIT``) instead of eleven times through
    Django's ``atomic`` (which sends ``BEGIN`` and ``COMMIT`` on their own
    and switches autocommit around them).

    Only for writes made of this module's statements: an ORM write whose
    row count is read, or an error caught around one statement, would see
    its answer only at the next wait; and Django, which sees no
    transaction, would run an ``on_commit`` callback at once (a callback
    goes through :func:`.commits.after_commit`, run after the ``COMMIT``).
    Inside an outer transaction (a caller's ``atomic``, a test's) the block is a
    savepoint, still pipelined. SQLite runs in-process: nothing to save
    there.
    """
    if not pipelined or connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    if connection.in_atomic_block:
        with transaction.atomic(), connection.connection.pipeline():
            yield
        return
    connection.ensure_connection()
    raw = connection.connection
    # Errors the database reports at a wait become Django's (an outage is
    # a 503 ``database_unavailable``, the connection is checked again).
    # BEGIN and COMMIT go through Django's cursor like every statement, so
    # that its query log shows the whole transaction.
    with (
        pipelined_commit() as committed,
        connection.wrap_database_errors,
        connection.cursor() as cursor,
    ):
        try:
            with raw.pipeline():
                cursor.execute("BEGIN")
                yield
                cursor.execute("COMMIT")
        except BaseException:
            if raw.info.transaction_status in _OPEN:
                cursor.execute("ROLLBACK")
            raise
    for callback in committed:
        callback()


def idempotent(
    apply: KeyedWrite | None = None, *, pipelined: bool = False
) -> Any:
    """Makes a write one transaction with its Idempotency-Key.

    Every money movement, and the creation of a goal or a group. The
    wrapped service takes two more keyword arguments, the caller's
    ``idempotency_key`` (already validated, or None) and the
    ``request_hash`` fingerprint of the request. A retry with the same key
    and request answers the stored response without writing anything; a
    new key is stored with the write, in the same database transaction, so
    a request can never apply twice (decision 6).

    Used bare (``@idempotent``) or with ``pipelined=True`` for a movement
    whose statements are all this module's (:func:`_one_transaction`).

    Args:
        apply: The write; returns its response body and the caller's
            journal header (None for a write that moves no money).
        pipelined: Send the write's statements in pipeline mode.

    Returns:
        The service, answering a :class:`KeyedResult`.

    Raises:
        KeyInFlightError: Same key, first request running.
        KeyReusedError: Same key, different request.
    """
    if apply is None:
        return functools.partial(idempotent, pipelined=pipelined)

    @functools.wraps(apply)
    def run(
        *,
        holder_id: uuid.UUID,
        idempotency_key: str | None = None,
        request_hash: str = "",
        **kwargs: Any,
    ) -> KeyedResult:
        with _one_transaction(pipelined):
            replay = _replay(
                holder_id=holder_id,
                key=idempotency_key,
                request_hash=request_hash,
            )
            if replay is not None:
                return replay
            body, header = apply(holder_id=holder_id, **kwargs)
            if idempotency_key is not None:
                _key_store(
                    holder_id=holder_id,
                    key=idempotency_key,
                    request_hash=request_hash,
                    body=body,
                    header=header,
                )
        return KeyedResult(body=body, replayed=False, transaction=header)

    return run


def balances(locked: Locked, currency: str) -> dict[str, str]:
    """Returns the caller's ``{main, savings}`` in a currency, as now."""
    main, savings = locked.wallet(currency)
    return wire.balances_data(
        main=main.balance, savings=savings.balance, currency=currency
    )


def answer(
    header: models.Transaction,
    postings: list[Posting],
    locked: Locked,
    group: models.SavingsGroup | None = None,
) -> dict[str, Any]:
    """Returns ``{transaction, balances}``: the caller's view of a movement.

    ``balances`` are the caller's main and savings in the header's
    currency, right after the movement; ``group`` is a contribution's.
    """
    splits = _splits(postings, locked)
    return {
        "transaction": wire.transaction_data(header, splits, group),
        "balances": balances(locked, header.currency),
    }
