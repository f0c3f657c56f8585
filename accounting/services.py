"""Every write of the accounting service, one function per use case.

Services are plain functions over the models, called alike from the
internal API, the Celery task, the admin and management commands. Each runs
in one database transaction; rules are small named guards (``check_...``)
that raise the domain errors of ``accounting.errors``.

The money path (:func:`credit_apply`) follows the architecture's decisions:
it locks only the holder's own accounts, in id order; takes ``occurred_at``
after the locks, so that per account time never goes backwards against
``sequence``; posts the journal with one insert per table; and stores the
idempotency key with the ledger write. It is CPU-bound, so its statements
are small hand-written SQL (see the note above ``_KEY_LOOKUP_SQL``).
"""

import dataclasses
import datetime as dt
import decimal
import enum
import functools
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounting import errors, idempotency, models, wire
from config import contracts, money

logger = logging.getLogger(__name__)

# --- Guards -----------------------------------------------------------------


def check_holder_open(holder: models.Holder) -> None:
    """Raises HolderClosedError if the user was deleted."""
    if holder.is_closed:
        raise errors.HolderClosedError()


def check_plan_active(plan: models.Plan) -> None:
    """Raises PlanNotFoundError if the plan is no longer offered."""
    if not plan.is_active:
        raise errors.PlanNotFoundError()


def check_amount_above_flat_amount(*, plan: models.Plan, amount: int) -> None:
    """Raises AmountNotAboveFlatAmountError unless ``amount > flat``."""
    if amount <= plan.flat_amount:
        raise errors.AmountNotAboveFlatAmountError(
            f"With the plan {plan.name!r} a credit must be above "
            f"{plan.value} {plan.currency}."
        )


def check_same_request(*, stored_hash: str, request_hash: str) -> None:
    """Raises IdempotencyKeyReusedError if a key names another request."""
    if stored_hash != request_hash:
        raise errors.IdempotencyKeyReusedError()


# --- Holders (user events) --------------------------------------------------


class EventOutcome(enum.StrEnum):
    """What applying a user event did."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"


@dataclasses.dataclass(frozen=True)
class UserEvent:
    """A user event as published by the users service.

    See ``config.contracts`` for the wire format; events carry the full
    user state, so any of them can create, update or close a holder.
    """

    event_id: uuid.UUID
    type: str
    user_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    is_active: bool
    version: int

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "UserEvent":
        """Parses the ``event`` argument of the user-event task.

        Args:
            payload: The event as received.

        Returns:
            The parsed event.

        Raises:
            ValueError: The payload does not follow the contract.
        """
        try:
            user = payload["user"]
            event = cls(
                event_id=uuid.UUID(str(payload["event_id"])),
                type=str(payload["type"]),
                user_id=uuid.UUID(str(user["id"])),
                email=str(user["email"]),
                first_name=str(user.get("first_name") or ""),
                last_name=str(user.get("last_name") or ""),
                is_active=bool(user["is_active"]),
                version=int(user["version"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"Malformed user event: {error!r}") from error
        if event.type not in contracts.USER_EVENT_TYPES:
            raise ValueError(f"Unknown user event type {event.type!r}.")
        return event


def _event_record(event_id: uuid.UUID) -> bool:
    """Records an event id; returns False if it was processed before.

    A concurrent delivery of the same event waits on the primary key until
    the first commits, then fails here: an event applies once.
    """
    try:
        with transaction.atomic():
            models.ProcessedEvent.objects.create(event_id=event_id)
    except IntegrityError:
        return False
    return True


def _holder_create(event: UserEvent) -> models.Holder | None:
    """Creates a holder and its default wallet; None if one appeared."""
    try:
        with transaction.atomic():
            holder = models.Holder.objects.create(
                user_id=event.user_id,
                email=event.email,
                first_name=event.first_name,
                last_name=event.last_name,
                version=event.version,
            )
            account_open(holder=holder, currency=settings.DEFAULT_CURRENCY)
    except IntegrityError:
        return None
    return holder


def _holder_set_open(holder: models.Holder, *, is_open: bool) -> None:
    """Closes (or reopens) a holder and its accounts to match the user.

    Closing stamps the accounts still open with the holder's instant;
    reopening reopens just those, so a wallet staff closed on its own
    (:func:`account_close`) stays closed.
    """
    if is_open == (not holder.is_closed):
        return
    accounts = models.Account.objects.filter(holder=holder)
    if is_open:
        accounts.filter(closed_at=holder.closed_at).update(closed_at=None)
        holder.closed_at = None
    else:
        holder.closed_at = timezone.now()
        accounts.filter(closed_at__isnull=True).update(
            closed_at=holder.closed_at
        )
    holder.save(update_fields=["closed_at", "updated_at"])


@transaction.atomic
def holder_apply_user_event(*, event: UserEvent) -> EventOutcome:
    """Applies a user event: create, update or close the holder.

    Idempotent (event ids are recorded) and order-proof (only a newer user
    version changes anything). The first event seen for a user, whatever
    its type, creates the holder with main and savings accounts in the
    default currency.

    Args:
        event: The parsed event.

    Returns:
        Whether it was applied, a duplicate or older than what is held.
    """
    if not _event_record(event.event_id):
        return EventOutcome.DUPLICATE
    holders = models.Holder.objects.select_for_update()
    holder = holders.filter(pk=event.user_id).first()
    if holder is None:
        holder = _holder_create(event)
        if holder is not None:
            _holder_set_open(holder, is_open=event.is_active)
            return EventOutcome.APPLIED
        holder = holders.get(pk=event.user_id)
    if event.version <= holder.version:
        return EventOutcome.STALE
    holder.email = event.email
    holder.first_name = event.first_name
    holder.last_name = event.last_name
    holder.version = event.version
    holder.save(
        update_fields=[
            "email",
            "first_name",
            "last_name",
            "version",
            "updated_at",
        ]
    )
    _holder_set_open(holder, is_open=event.is_active)
    return EventOutcome.APPLIED


# --- Accounts and plans -----------------------------------------------------


@transaction.atomic
def account_open(
    *, holder: models.Holder, currency: str
) -> list[models.Account]:
    """Opens a holder's main and savings accounts in a currency.

    Idempotent per currency. Also makes sure the currency's system
    accounts exist (``world``, ``fx``, ``clearing``), so that money can
    enter, leave, be converted and be transferred in that currency.

    Args:
        holder: An open holder.
        currency: A supported currency code.

    Returns:
        The holder's accounts in that currency, main first.

    Raises:
        HolderClosedError: The holder is closed.
    """
    check_holder_open(holder)
    kind = models.Account.Kind
    models.Account.objects.bulk_create(
        [
            *(
                models.Account(
                    id=models.Account.system_id(k, currency),
                    kind=k,
                    currency=currency,
                )
                for k in models.Account.SYSTEM_KINDS
            ),
            *(
                models.Account(holder=holder, kind=k, currency=currency)
                for k in models.Account.CUSTOMER_KINDS
            ),
        ],
        ignore_conflicts=True,
    )
    return sorted(
        models.Account.objects.filter(holder=holder, currency=currency),
        key=lambda account: account.kind != kind.MAIN,
    )


@transaction.atomic
def plan_assign(
    *, holder: models.Holder, plan: models.Plan | None
) -> models.Holder:
    """Selects a holder's savings plan, or clears it with None.

    Args:
        holder: An open holder.
        plan: An active plan, or None for no plan.

    Returns:
        The holder, saved.

    Raises:
        HolderClosedError: The holder is closed.
        PlanNotFoundError: The plan is not active.
    """
    check_holder_open(holder)
    if plan is not None:
        check_plan_active(plan)
    holder.plan = plan
    holder.plan_selected_at = timezone.now() if plan else None
    holder.save(update_fields=["plan", "plan_selected_at", "updated_at"])
    return holder


@transaction.atomic
def plan_set_active(*, plan: models.Plan, is_active: bool) -> models.Plan:
    """Offers a plan again, or stops offering it (plans are never deleted).

    Holders who chose a plan keep it when it is deactivated; new holders
    can no longer choose it.

    Args:
        plan: The plan.
        is_active: Whether it is offered.

    Returns:
        The plan, saved.
    """
    plan.is_active = is_active
    plan.save(update_fields=["is_active", "updated_at"])
    return plan


# --- Money movements: shared machinery --------------------------------------


@dataclasses.dataclass(frozen=True)
class MovementResult:
    """The outcome of a money movement: the response, and whether a replay.

    Attributes:
        status: The HTTP status of the original response (201).
        body: The response document as first returned.
        replayed: True when an earlier request with the key answered.
        transaction: The caller's journal header written now (None on a
            replay).
    """

    status: int
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

_KEY_LOOKUP_SQL = """
    SELECT "request_hash", "response_status", "response_body"
    FROM "accounting_idempotencykey"
    WHERE "holder_id" = %s AND "key" = %s
"""

# The caller's main and savings accounts in some currencies (and possibly
# one more customer account, a transfer's recipient), each with its
# holder's state and plan, in id order. On PostgreSQL only the account rows
# are locked (like the ORM's ``select_for_update(of=("self",))``); SQLite
# has no row locks and serialises writers instead (BEGIN IMMEDIATE).
_LOCK_SQL = """
    SELECT a."id", a."holder_id", a."kind", a."currency", a."balance",
        a."last_sequence", a."closed_at", h."closed_at",
        p."id", p."name", p."kind", p."currency", p."percentage",
        p."flat_amount", p."description", p."savings_hold_days"
    FROM "accounting_account" a
    JOIN "accounting_holder" h ON h."user_id" = a."holder_id"
    LEFT JOIN "accounting_plan" p ON p."id" = h."plan_id"
    WHERE (a."holder_id" = %s AND a."currency" IN ({currencies})){extra}
    ORDER BY a."id"
"""

_ACCOUNT_COLUMNS = (
    "id",
    "holder_id",
    "kind",
    "currency",
    "balance",
    "last_sequence",
    "closed_at",
)

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
    "description",
    "source",
    "category",
    "plan_snapshot",
    "counterparty_account_id",
    "related_id",
    "to_amount",
    "to_currency",
    "rate_id",
    "fx_rate",
    "created_at",
)

_ENTRY_COLUMNS = (
    "transaction_id",
    "currency",
    "occurred_at",
    "account_id",
    "amount",
    "sequence",
    "balance_after",
)

_IDEMPOTENCY_KEY_COLUMNS = (
    "holder_id",
    "key",
    "request_hash",
    "response_status",
    "response_body",
    "transaction_id",
    "created_at",
)

# An entry row before its transaction and instant are known:
# (account id, currency, signed amount, sequence, balance_after).
Posting = tuple[uuid.UUID, str, int, int | None, int | None]


def _prep(model: type[models.models.Model], field: str, value: Any) -> Any:
    """Returns a value as the database driver expects it for a column."""
    return model._meta.get_field(field).get_db_prep_value(value, connection)


def _insert(
    model: type[models.models.Model],
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """Inserts rows of plain values into a model's table in one statement.

    What ``bulk_create`` sends, without building model instances or an
    insert query per call. Values are given for every column written: no
    field defaults or ``auto_now_add`` are applied here.
    """
    fields = [model._meta.get_field(name) for name in columns]
    names = ", ".join(f'"{field.column}"' for field in fields)
    row_marks = f"({', '.join(['%s'] * len(fields))})"
    # Only names from the model and placeholders are formatted in.
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({names})'  # noqa: S608
        f" VALUES {', '.join([row_marks] * len(rows))}"
    )
    params = [
        field.get_db_prep_save(value, connection)
        for row in rows
        for field, value in zip(fields, row, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _idempotency_lookup(
    *, holder_id: uuid.UUID, key: str
) -> tuple[str, int, dict[str, Any]] | None:
    """Claims a key for this transaction and returns its stored request.

    On PostgreSQL a transaction-scoped advisory lock on ``(holder, key)``
    tells a retry (the first request committed) from a duplicate still
    running (the lock is held). The lock and the lookup stay two
    statements: a READ COMMITTED statement reads from the snapshot taken
    when it starts, so a lookup folded into the locking statement could
    miss a key committed while the lock was being taken.

    Returns:
        ``(request_hash, response_status, response_body)`` of the request
        stored with the key, or None for a new key.

    Raises:
        IdempotencyKeyInFlightError: Another request holds the key.
    """
    with connection.cursor() as cursor:
        # SQLite (the embedded default) runs one writer at a time (BEGIN
        # IMMEDIATE), so no request is ever in flight beside another there;
        # the tests run on PostgreSQL only.
        if connection.vendor == "postgresql":  # pragma: no branch
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s)",
                [idempotency.lock_id(holder_id, key)],
            )
            if not cursor.fetchone()[0]:
                raise errors.IdempotencyKeyInFlightError()
        cursor.execute(
            _KEY_LOOKUP_SQL,
            [_prep(models.IdempotencyKey, "holder", holder_id), key],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    request_hash, status, body = row
    field = models.IdempotencyKey._meta.get_field("response_body")
    return request_hash, status, field.from_db_value(body, None, connection)


def _replay(
    *, holder_id: uuid.UUID, key: str | None, request_hash: str
) -> MovementResult | None:
    """Returns the stored response of a retried request, else None.

    Raises:
        IdempotencyKeyInFlightError: Same key, first request running.
        IdempotencyKeyReusedError: Same key, different request.
    """
    if key is None:
        return None
    stored = _idempotency_lookup(holder_id=holder_id, key=key)
    if stored is None:
        return None
    stored_hash, stored_status, stored_body = stored
    check_same_request(stored_hash=stored_hash, request_hash=request_hash)
    return MovementResult(
        status=stored_status, body=stored_body, replayed=True, transaction=None
    )


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
    """The customer accounts a movement locked, and the caller's plan.

    Attributes:
        holder_id: The caller.
        accounts: Every locked account by ``(holder_id, kind, currency)``.
        by_id: The same accounts by id.
        closed_holders: The holders among them that are closed.
        plan: The caller's plan (None without one).
    """

    holder_id: uuid.UUID
    accounts: dict[tuple[uuid.UUID, str, str], models.Account]
    by_id: dict[uuid.UUID, models.Account]
    closed_holders: set[uuid.UUID]
    plan: models.Plan | None

    def own(self, kind: str, currency: str) -> models.Account:
        """Returns one of the caller's locked accounts."""
        return self.accounts[(self.holder_id, kind, currency)]

    def wallet(self, currency: str) -> tuple[models.Account, models.Account]:
        """Returns the caller's main and savings accounts in a currency."""
        kind = models.Account.Kind
        return self.own(kind.MAIN, currency), self.own(kind.SAVINGS, currency)


def _accounts_lock(
    *,
    holder_id: uuid.UUID,
    currencies: tuple[str, ...],
    also: uuid.UUID | None = None,
) -> Locked:
    """Locks a holder's wallets (and maybe one more account) in id order.

    One query: the caller's main and savings accounts in the currencies,
    plus the customer account ``also`` if given, with their holders' state
    and the caller's plan. Locking in id order, a fixed order, means two
    movements touching the same accounts never deadlock.

    Args:
        holder_id: The caller.
        currencies: The caller's wallets to lock; each must be open.
        also: Another customer account to lock (a transfer's recipient);
            absent from the result if it is not a customer account.

    Returns:
        The locked accounts.

    Raises:
        HolderNotReadyError: The holder is unknown.
        HolderClosedError: The holder is closed.
        AccountNotOpenError: No wallet in one of the currencies.
        AccountClosedError: One of the caller's wallets is closed.
    """
    marks = ", ".join(["%s"] * len(currencies))
    extra = ' OR a."id" = %s' if also is not None else ""
    sql = _LOCK_SQL.format(currencies=marks, extra=extra)
    # SQLite (the embedded default) has no row locks: it serialises
    # writers instead; the tests run on PostgreSQL only.
    if connection.vendor == "postgresql":  # pragma: no branch
        sql += ' FOR UPDATE OF "a"'
    params = [_prep(models.Account, "holder", holder_id), *currencies]
    if also is not None:
        params.append(_prep(models.Account, "id", also))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    meta = models.Account._meta
    locked = Locked(holder_id, {}, {}, set(), None)
    for row in rows:
        account = models.Account.from_db(
            connection.alias,
            _ACCOUNT_COLUMNS,
            [
                meta.get_field(name).to_python(value)
                for name, value in zip(_ACCOUNT_COLUMNS, row, strict=False)
            ],
        )
        locked.accounts[account.holder_id, account.kind, account.currency] = (
            account
        )
        locked.by_id[account.id] = account
        if row[7] is not None:
            locked.closed_holders.add(account.holder_id)
        if account.holder_id == holder_id:
            locked.plan = _plan_from_row(row[8:])
    _check_own_wallets(locked, currencies)
    return locked


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


def check_funds(*, account: models.Account, amount: int) -> None:
    """Raises InsufficientFundsError if ``account`` holds less than amount."""
    if account.balance < amount:
        available = money.format_amount(account.balance, account.currency)
        raise errors.InsufficientFundsError(
            f"The {account.kind} account holds {available} {account.currency}."
        )


def _post(account: models.Account, amount: int) -> Posting:
    """Moves a locked customer account by a signed amount.

    The database refuses a negative customer balance too (a CHECK); the
    callers check funds first so that the client gets a clear error.

    Returns:
        The entry row, with the account's next sequence and new balance.
    """
    account.balance += amount
    account.last_sequence += 1
    return (
        account.id,
        account.currency,
        amount,
        account.last_sequence,
        account.balance,
    )


def _system(kind: str, currency: str, amount: int) -> Posting:
    """Returns an entry row on a system account (no running balance)."""
    account_id = models.Account.system_id(kind, currency)
    return (account_id, currency, amount, None, None)


def _balances_save(accounts: list[models.Account]) -> None:
    """Writes the new balance and last sequence of locked accounts.

    One ``UPDATE`` with a ``CASE`` per column, as ``bulk_update`` would
    write it, without building the expressions for a few rows.
    """
    ids = [_prep(models.Account, "id", a.id) for a in accounts]
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


def _journal_write(
    journal: list[tuple[models.Transaction, list[Posting]]],
    moved: list[models.Account],
) -> None:
    """Writes headers with their entries, and saves the moved accounts.

    One insert per table and one update, whatever the movement; entries
    take their header's instant.

    Args:
        journal: Each header with its postings.
        moved: The customer accounts the postings changed.
    """
    _insert(
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
    _insert(
        models.Entry,
        _ENTRY_COLUMNS,
        [
            (header.id, currency, header.occurred_at, account_id, *rest)
            for header, postings in journal
            for account_id, currency, *rest in postings
        ],
    )
    _balances_save(moved)


def _header(
    *, holder_id: uuid.UUID, kind: str, amount: int, currency: str, **fields
) -> models.Transaction:
    """Returns an unsaved journal header stamped now (after the locks)."""
    now = timezone.now()
    return models.Transaction(
        holder_id=holder_id,
        kind=kind,
        amount=amount,
        currency=currency,
        occurred_at=fields.pop("occurred_at", now),
        created_at=now,
        **fields,
    )


def _splits(postings: list[Posting], locked: "Locked") -> list[tuple]:
    """Returns ``(account_kind, currency, amount)`` of customer postings."""
    return [
        (locked.by_id[account_id].kind, currency, amount)
        for account_id, currency, amount, sequence, _ in postings
        if sequence is not None
    ]


def _key_store(
    *,
    holder_id: uuid.UUID,
    key: str,
    request_hash: str,
    body: dict[str, Any],
    header: models.Transaction,
) -> None:
    """Stores an idempotency key with the ledger write it answered."""
    _insert(
        models.IdempotencyKey,
        _IDEMPOTENCY_KEY_COLUMNS,
        [
            (
                holder_id,
                key,
                request_hash,
                201,
                body,
                header.id,
                header.created_at,
            )
        ],
    )


Movement = Callable[..., tuple[dict[str, Any], models.Transaction]]


def _idempotent(apply: Movement) -> Callable[..., MovementResult]:
    """Makes a money movement one transaction with its Idempotency-Key.

    The wrapped service takes two more keyword arguments, the caller's
    ``idempotency_key`` (already validated, or None) and the
    ``request_hash`` fingerprint of the request. A retry with the same key
    and request answers the stored response without moving money; a new
    key is stored with the ledger write, in the same database transaction,
    so a movement can never apply twice (decision 6).

    Args:
        apply: The movement; returns its response body and the caller's
            journal header.

    Returns:
        The service, answering a :class:`MovementResult`.

    Raises:
        IdempotencyKeyInFlightError: Same key, first request running.
        IdempotencyKeyReusedError: Same key, different request.
    """

    @functools.wraps(apply)
    def run(
        *,
        holder_id: uuid.UUID,
        idempotency_key: str | None = None,
        request_hash: str = "",
        **kwargs: Any,
    ) -> MovementResult:
        replay = _replay(
            holder_id=holder_id, key=idempotency_key, request_hash=request_hash
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
        return MovementResult(
            status=201, body=body, replayed=False, transaction=header
        )

    return transaction.atomic(run)


def _balances(locked: "Locked", currency: str) -> dict[str, str]:
    """Returns the caller's ``{main, savings}`` in a currency, as now."""
    main, savings = locked.wallet(currency)
    return wire.balances_data(
        main=main.balance, savings=savings.balance, currency=currency
    )


def _answer(
    header: models.Transaction, postings: list[Posting], locked: "Locked"
) -> dict[str, Any]:
    """Returns ``{transaction, balances}``: the caller's view of a movement.

    ``balances`` are the caller's main and savings in the header's
    currency, right after the movement.
    """
    return {
        "transaction": wire.transaction_data(header, _splits(postings, locked)),
        "balances": _balances(locked, header.currency),
    }


# --- Credits ----------------------------------------------------------------


def credit_plan(
    *, plan: models.Plan | None, currency: str
) -> models.Plan | None:
    """Returns the plan that splits a credit, if any.

    A plan splits credits in its own currency only; others go to main.

    Args:
        plan: The holder's plan, or None.
        currency: The credit's currency.

    Returns:
        The plan if it applies to this credit, else None.
    """
    return plan if plan is not None and plan.currency == currency else None


def credit_savings(*, plan: models.Plan | None, amount: int) -> int:
    """Returns the part of a credit that goes to savings (API.md rules).

    Args:
        plan: The plan that applies (see :func:`credit_plan`), or None.
        amount: The credit in minor units.

    Returns:
        The savings part in minor units; the rest goes to main.

    Raises:
        AmountNotAboveFlatAmountError: A flat plan and a credit not above
            its amount.
    """
    if plan is None:
        return 0
    if plan.kind == models.Plan.Kind.PERCENTAGE:
        share = decimal.Decimal(amount) * plan.percentage / 100
        return int(share.quantize(1, rounding=decimal.ROUND_HALF_EVEN))
    check_amount_above_flat_amount(plan=plan, amount=amount)
    return plan.flat_amount


@_idempotent
def credit_apply(
    *,
    holder_id: uuid.UUID,
    amount: int,
    currency: str,
    source: str = "",
    description: str = "",
) -> tuple[dict[str, Any], models.Transaction]:
    """Credits a holder, splitting between main and savings by plan.

    Money enters from the currency's ``world`` account.

    Args:
        holder_id: The holder (the user's id).
        amount: The credit in minor units, > 0.
        currency: A supported currency code.
        source: Where the money came from (free text).
        description: A note shown with the transaction.
        idempotency_key: The caller's key, already validated, or None.
        request_hash: The fingerprint of the request (with a key).

    Returns:
        ``{transaction, balances}``, new or replayed.

    Raises:
        IdempotencyKeyInFlightError: Same key, first request running.
        IdempotencyKeyReusedError: Same key, different request.
        HolderNotReadyError: The holder is unknown (not created yet).
        HolderClosedError: The holder is closed.
        AccountNotOpenError: No wallet in that currency.
        AccountClosedError: Staff closed the wallet.
        AmountNotAboveFlatAmountError: See :func:`credit_savings`.
    """
    locked = _accounts_lock(holder_id=holder_id, currencies=(currency,))
    main, savings = locked.wallet(currency)
    plan = credit_plan(plan=locked.plan, currency=currency)
    saved = credit_savings(plan=plan, amount=amount)
    header = _header(
        holder_id=holder_id,
        kind=models.Transaction.Kind.CREDIT,
        amount=amount,
        currency=currency,
        description=description,
        source=source,
        plan_snapshot=wire.plan_data(plan) if plan else None,
    )
    postings = [_system(models.Account.Kind.WORLD, currency, -amount)]
    moved = []
    for account, part in ((main, amount - saved), (savings, saved)):
        if part:
            postings.append(_post(account, part))
            moved.append(account)
    _journal_write([(header, postings)], moved)
    return _answer(header, postings, locked), header


# --- Withdrawals ------------------------------------------------------------


@_idempotent
def withdrawal_apply(
    *,
    holder_id: uuid.UUID,
    amount: int,
    currency: str,
    category: str | None = None,
    description: str = "",
) -> tuple[dict[str, Any], models.Transaction]:
    """Takes money out of a holder's main account (an expense).

    Money leaves to the currency's ``world`` account.

    Args:
        holder_id: The holder.
        amount: Minor units, > 0.
        currency: A supported currency code.
        category: What the money was spent on, or None.
        description: A note shown with the transaction.
        idempotency_key: The caller's key, already validated, or None.
        request_hash: The fingerprint of the request (with a key).

    Returns:
        ``{transaction, balances}``, new or replayed.

    Raises:
        InsufficientFundsError: Main holds less than the amount.
        (and the holder, wallet and idempotency errors of credits)
    """
    locked = _accounts_lock(holder_id=holder_id, currencies=(currency,))
    main, _ = locked.wallet(currency)
    check_funds(account=main, amount=amount)
    header = _header(
        holder_id=holder_id,
        kind=models.Transaction.Kind.WITHDRAWAL,
        amount=amount,
        currency=currency,
        description=description,
        category=category,
    )
    postings = [
        _post(main, -amount),
        _system(models.Account.Kind.WORLD, currency, amount),
    ]
    _journal_write([(header, postings)], [main])
    return _answer(header, postings, locked), header


# --- Transfers --------------------------------------------------------------


def _recipient(
    *, locked: Locked, to_account: uuid.UUID, currency: str
) -> models.Account:
    """Returns the locked recipient of a transfer after checking it.

    Raises:
        SameAccountError: The sender's own main account.
        AccountNotFoundError: Not an open main account of an open holder.
        CurrencyMismatchError: In another currency than the transfer.
    """
    sender, _ = locked.wallet(currency)
    if to_account == sender.id:
        raise errors.SameAccountError()
    recipient = locked.by_id.get(to_account)
    if (
        recipient is None
        or recipient.kind != models.Account.Kind.MAIN
        or recipient.is_closed
        or recipient.holder_id in locked.closed_holders
    ):
        raise errors.AccountNotFoundError()
    if recipient.currency != currency:
        raise errors.CurrencyMismatchError(
            f"The recipient's account is in {recipient.currency}, "
            f"not {currency}."
        )
    return recipient


@_idempotent
def transfer_apply(
    *,
    holder_id: uuid.UUID,
    to_account: uuid.UUID,
    amount: int,
    currency: str,
    description: str = "",
) -> tuple[dict[str, Any], models.Transaction]:
    """Moves money from a holder's main account to another holder's main.

    Two journal headers, one per holder (``transfer_out`` and
    ``transfer_in``), each balanced through the currency's ``clearing``
    account and pointing at the other, so both holders see the transfer in
    their own history. Both accounts are locked in id order.

    Args:
        holder_id: The sender.
        to_account: The recipient's main account id.
        amount: Minor units, > 0.
        currency: The transfer's currency (the recipient's too).
        description: A note shown to both holders.
        idempotency_key: The sender's key, already validated, or None.
        request_hash: The fingerprint of the request (with a key).

    Returns:
        The sender's ``{transaction, balances}``, new or replayed.

    Raises:
        SameAccountError, AccountNotFoundError, CurrencyMismatchError: See
            :func:`_recipient`.
        InsufficientFundsError: The sender's main holds less.
        (and the holder, wallet and idempotency errors of credits)
    """
    locked = _accounts_lock(
        holder_id=holder_id, currencies=(currency,), also=to_account
    )
    recipient = _recipient(
        locked=locked, to_account=to_account, currency=currency
    )
    sender, _ = locked.wallet(currency)
    check_funds(account=sender, amount=amount)
    kind = models.Transaction.Kind
    outgoing = _header(
        holder_id=holder_id,
        kind=kind.TRANSFER_OUT,
        amount=amount,
        currency=currency,
        description=description,
        counterparty_account_id=recipient.id,
    )
    incoming = _header(
        holder_id=recipient.holder_id,
        kind=kind.TRANSFER_IN,
        amount=amount,
        currency=currency,
        description=description,
        counterparty_account_id=sender.id,
        related_id=outgoing.id,
        occurred_at=outgoing.occurred_at,
    )
    outgoing.related_id = incoming.id
    clearing = models.Account.Kind.CLEARING
    out_postings = [
        _post(sender, -amount),
        _system(clearing, currency, amount),
    ]
    _journal_write(
        [
            (outgoing, out_postings),
            (
                incoming,
                [
                    _system(clearing, currency, -amount),
                    _post(recipient, amount),
                ],
            ),
        ],
        [sender, recipient],
    )
    return _answer(outgoing, out_postings, locked), outgoing


# --- Savings release --------------------------------------------------------

_HELD_SAVINGS_SQL = """
    SELECT COALESCE(SUM("amount"), 0) FROM "accounting_entry"
    WHERE "account_id" = %s AND "amount" > 0 AND "occurred_at" > %s
"""


def savings_held(
    *, savings: models.Account, plan: models.Plan | None, at: dt.datetime
) -> int:
    """Returns how much of a savings balance the plan still holds at ``at``.

    The rule: money that came into savings less than the plan's
    ``savings_hold_days`` days ago is held; what left savings is counted
    against the oldest money first, so the held part is the recent inflow,
    never more than the balance. No plan, or a holding period of 0 days,
    holds nothing.

    Args:
        savings: The holder's savings account (locked).
        plan: The holder's current plan, or None.
        at: The instant of the release.

    Returns:
        The held amount in minor units.
    """
    if plan is None or not plan.savings_hold_days:
        return 0
    since = at - dt.timedelta(days=plan.savings_hold_days)
    with connection.cursor() as cursor:
        cursor.execute(
            _HELD_SAVINGS_SQL,
            [
                _prep(models.Entry, "account", savings.id),
                _prep(models.Entry, "occurred_at", since),
            ],
        )
        inflow = cursor.fetchone()[0]
    return min(int(inflow), savings.balance)


@_idempotent
def savings_release_apply(
    *,
    holder_id: uuid.UUID,
    amount: int,
    currency: str,
    description: str = "",
) -> tuple[dict[str, Any], models.Transaction]:
    """Moves money from a holder's savings back to their main account.

    Allowed for what the plan no longer holds (:func:`savings_held`).

    Args:
        holder_id: The holder.
        amount: Minor units, > 0.
        currency: The wallet's currency.
        description: A note shown with the transaction.
        idempotency_key: The caller's key, already validated, or None.
        request_hash: The fingerprint of the request (with a key).

    Returns:
        ``{transaction, balances}``, new or replayed.

    Raises:
        InsufficientFundsError: Savings hold less than the amount.
        SavingsLockedError: Enough savings, but part of it still held.
        (and the holder, wallet and idempotency errors of credits)
    """
    locked = _accounts_lock(holder_id=holder_id, currencies=(currency,))
    main, savings = locked.wallet(currency)
    check_funds(account=savings, amount=amount)
    header = _header(
        holder_id=holder_id,
        kind=models.Transaction.Kind.SAVINGS_RELEASE,
        amount=amount,
        currency=currency,
        description=description,
    )
    held = savings_held(
        savings=savings, plan=locked.plan, at=header.occurred_at
    )
    if amount > savings.balance - held:
        free = money.format_amount(savings.balance - held, currency)
        raise errors.SavingsLockedError(
            f"The plan holds savings for {locked.plan.savings_hold_days} "
            f"days; {free} {currency} can be released now."
        )
    postings = [_post(savings, -amount), _post(main, amount)]
    _journal_write([(header, postings)], [main, savings])
    return _answer(header, postings, locked), header


# --- Conversions ------------------------------------------------------------


def check_distinct_currencies(*, from_currency: str, to_currency: str) -> None:
    """Raises SameCurrencyError for a conversion into its own currency."""
    if from_currency == to_currency:
        raise errors.SameCurrencyError()


_CONVERSION_PRECISION = 64


def converted_amount(
    *, amount: int, rate: decimal.Decimal, from_currency: str, to_currency: str
) -> int:
    """Returns ``amount x rate`` in the target's minor units.

    Rounded half to even to the target currency's minor unit: the only
    rounding of a conversion, done once, on the exact product (amounts are
    integers and the rate a decimal, never a float).

    Args:
        amount: Minor units of ``from_currency``.
        rate: Units of ``to_currency`` per unit of ``from_currency``.
        from_currency: The source currency.
        to_currency: The target currency.

    Returns:
        Minor units of ``to_currency`` (may be 0 for tiny amounts).
    """
    shift = money.exponent(to_currency) - money.exponent(from_currency)
    # Enough digits for the largest amount times the widest rate, so the
    # product is exact and half-even is the one rounding.
    with decimal.localcontext(prec=_CONVERSION_PRECISION):
        exact = decimal.Decimal(amount) * rate * decimal.Decimal(10) ** shift
        return int(exact.quantize(1, rounding=decimal.ROUND_HALF_EVEN))


@_idempotent
def conversion_apply(
    *,
    holder_id: uuid.UUID,
    from_currency: str,
    to_currency: str,
    amount: int,
    description: str = "",
) -> tuple[dict[str, Any], models.Transaction]:
    """Converts money between two of a holder's main accounts.

    Uses the newest rate valid at the conversion's instant. Four entries:
    main in the source currency pays the source's ``fx`` account, the
    target's ``fx`` account pays main in the target currency; each
    currency sums to zero.

    Args:
        holder_id: The holder.
        from_currency: The currency sold.
        to_currency: The currency bought.
        amount: Minor units of ``from_currency``, > 0.
        description: A note shown with the transaction.
        idempotency_key: The caller's key, already validated, or None.
        request_hash: The fingerprint of the request (with a key).

    Returns:
        ``{transaction, rate, balances, to_balances}``, new or replayed.

    Raises:
        SameCurrencyError: Both currencies are the same.
        RateUnavailableError: No rate for the pair at this instant.
        AmountTooSmallError: The result rounds to zero.
        InsufficientFundsError: Main holds less than the amount.
        (and the holder, wallet and idempotency errors of credits)
    """
    check_distinct_currencies(
        from_currency=from_currency, to_currency=to_currency
    )
    locked = _accounts_lock(
        holder_id=holder_id, currencies=(from_currency, to_currency)
    )
    source, _ = locked.wallet(from_currency)
    target, _ = locked.wallet(to_currency)
    check_funds(account=source, amount=amount)
    now = timezone.now()
    rate = rate_at(base=from_currency, quote=to_currency, at=now)
    bought = converted_amount(
        amount=amount,
        rate=rate.rate,
        from_currency=from_currency,
        to_currency=to_currency,
    )
    if bought <= 0:
        raise errors.AmountTooSmallError(
            f"{money.format_amount(amount, from_currency)} {from_currency} "
            f"is less than the smallest {to_currency} amount at this rate."
        )
    header = _header(
        holder_id=holder_id,
        kind=models.Transaction.Kind.CONVERSION,
        amount=amount,
        currency=from_currency,
        description=description,
        to_amount=bought,
        to_currency=to_currency,
        rate_id=rate.id,
        fx_rate=rate.rate,
        occurred_at=now,
    )
    fx = models.Account.Kind.FX
    postings = [
        _post(source, -amount),
        _system(fx, from_currency, amount),
        _system(fx, to_currency, -bought),
        _post(target, bought),
    ]
    _journal_write([(header, postings)], [source, target])
    body = {
        **_answer(header, postings, locked),
        "rate": wire.rate_data(rate),
        "to_balances": _balances(locked, to_currency),
    }
    return body, header


def rate_at(*, base: str, quote: str, at: dt.datetime) -> models.Rate:
    """Returns the pair's rate valid at an instant (newest ``valid_from``).

    Raises:
        RateUnavailableError: No rate for the pair starts at or before it.
    """
    rate = (
        models.Rate.objects.filter(base=base, quote=quote, valid_from__lte=at)
        .order_by("-valid_from")
        .first()
    )
    if rate is None:
        raise errors.RateUnavailableError(
            f"No {base}/{quote} rate is available."
        )
    return rate


# --- Rates and account closing (staff) --------------------------------------


@transaction.atomic
def rate_create(
    *,
    base: str,
    quote: str,
    rate: decimal.Decimal,
    valid_from: dt.datetime,
    created_by: str = "",
) -> models.Rate:
    """Publishes a rate for a pair from an instant on.

    Rates are never edited: a correction is a newer rate, so conversions
    keep pointing at the rate they used.

    Args:
        base: The currency sold.
        quote: The currency bought.
        rate: Units of ``quote`` per unit of ``base``, > 0.
        valid_from: From when conversions use it.
        created_by: Who published it (staff email).

    Returns:
        The rate, saved.

    Raises:
        SameCurrencyError: ``base`` equals ``quote``.
    """
    check_distinct_currencies(from_currency=base, to_currency=quote)
    return models.Rate.objects.create(
        base=base,
        quote=quote,
        rate=rate,
        valid_from=valid_from,
        created_by=created_by,
    )


@transaction.atomic
def account_close(*, account: models.Account) -> list[models.Account]:
    """Closes a customer wallet: its main and savings accounts together.

    A closed account accepts no movement (the holder gets
    ``account_closed``; a sender gets ``account_not_found``). Its balance
    and history stay as they are, readable to staff and to the holder.
    Idempotent. Deleting a user closes every wallet the same way.

    Args:
        account: Either account of the wallet.

    Returns:
        The wallet's accounts.

    Raises:
        AccountNotFoundError: A system account (those never close).
    """
    if account.holder_id is None:
        raise errors.AccountNotFoundError()
    wallet = models.Account.objects.select_for_update().filter(
        holder_id=account.holder_id, currency=account.currency
    )
    now = timezone.now()
    wallet.filter(closed_at__isnull=True).update(closed_at=now)
    return list(wallet.order_by("kind"))
