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
import decimal
import enum
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounting import errors, idempotency, models, wire
from config import contracts

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
    """Closes (or reopens) a holder and its accounts to match the user."""
    if is_open == (not holder.is_closed):
        return
    closed_at = None if is_open else timezone.now()
    holder.closed_at = closed_at
    holder.save(update_fields=["closed_at", "updated_at"])
    models.Account.objects.filter(holder=holder).update(closed_at=closed_at)


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

    Idempotent per currency. Also makes sure the currency's ``world``
    system account exists, so that money can enter in that currency.

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
            models.Account(
                id=models.Account.system_id(kind.WORLD, currency),
                kind=kind.WORLD,
                currency=currency,
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


# --- Credits ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CreditResult:
    """The outcome of a credit: the response to give, and whether a replay.

    Attributes:
        status: The HTTP status of the original response (201).
        body: ``{transaction, balances}`` as first returned.
        replayed: True when an earlier request with the key answered.
        transaction: The journal header written now (None on a replay).
    """

    status: int
    body: dict[str, Any]
    replayed: bool
    transaction: models.Transaction | None


# The statements of a credit (key lookup, wallet lock, journal inserts,
# balance update) are small raw SQL on purpose: building the same
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

# The holder's main and savings accounts with the holder's state and plan,
# in id order. On PostgreSQL only the account rows are locked (like the
# ORM's ``select_for_update(of=("self",))``); SQLite has no row locks and
# serialises writers instead (BEGIN IMMEDIATE).
_WALLET_SQL = """
    SELECT a."id", a."kind", a."balance", a."last_sequence", h."closed_at",
        p."id", p."name", p."kind", p."currency", p."percentage",
        p."flat_amount", p."description"
    FROM "accounting_account" a
    JOIN "accounting_holder" h ON h."user_id" = a."holder_id"
    LEFT JOIN "accounting_plan" p ON p."id" = h."plan_id"
    WHERE a."holder_id" = %s AND a."currency" = %s AND a."kind" IN (%s, %s)
    ORDER BY a."id"
"""

_ACCOUNT_COLUMNS = (
    "id",
    "holder_id",
    "kind",
    "currency",
    "balance",
    "last_sequence",
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

_PLAN_COLUMNS = (
    "id",
    "name",
    "kind",
    "currency",
    "percentage",
    "flat_amount",
    "description",
)


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


def _plan_from_row(values: tuple[Any, ...]) -> models.Plan | None:
    """Builds the holder's plan from the wallet query; None if no plan."""
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


def _wallet_lock(
    *, holder_id: uuid.UUID, currency: str
) -> tuple[models.Account, models.Account, models.Plan | None]:
    """Locks a holder's main and savings accounts in a currency.

    One query: the accounts with their holder's state and plan, locked in
    id order (a fixed order, so concurrent movements never deadlock).

    Returns:
        The main and the savings account, and the holder's plan.

    Raises:
        HolderNotReadyError: The holder is unknown.
        HolderClosedError: The holder is closed.
        AccountNotOpenError: No wallet in that currency.
    """
    lock = ' FOR UPDATE OF "a"' if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            _WALLET_SQL + lock,
            [
                _prep(models.Account, "holder", holder_id),
                currency,
                *models.Account.CUSTOMER_KINDS,
            ],
        )
        rows = cursor.fetchall()
    if len(rows) != len(models.Account.CUSTOMER_KINDS):
        holder = models.Holder.objects.filter(pk=holder_id).first()
        if holder is None:
            raise errors.HolderNotReadyError()
        check_holder_open(holder)
        raise errors.AccountNotOpenError(f"No {currency} account is open.")
    if rows[0][4] is not None:  # the holder's closed_at
        raise errors.HolderClosedError()
    id_field = models.Account._meta.pk
    main, savings = sorted(
        (
            models.Account.from_db(
                connection.alias,
                _ACCOUNT_COLUMNS,
                (id_field.to_python(id_), holder_id, kind, currency, *rest),
            )
            for id_, kind, *rest in (row[:4] for row in rows)
        ),
        key=lambda account: account.kind != models.Account.Kind.MAIN,
    )
    return main, savings, _plan_from_row(rows[0][5:])


def _balances_save(accounts: list[models.Account]) -> None:
    """Writes the new balance and last sequence of locked accounts.

    One ``UPDATE`` with a ``CASE`` per column, as ``bulk_update`` would
    write it, without building the expressions for one or two rows.
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


@transaction.atomic
def credit_apply(
    *,
    holder_id: uuid.UUID,
    amount: int,
    currency: str,
    source: str = "",
    description: str = "",
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> CreditResult:
    """Credits a holder, splitting between main and savings by plan.

    Args:
        holder_id: The holder (the user's id).
        amount: The credit in minor units, > 0.
        currency: A supported currency code.
        source: Where the money came from (free text).
        description: A note shown with the transaction.
        idempotency_key: The caller's key, already validated, or None.
        request_hash: The fingerprint of the request (with a key).

    Returns:
        The response to give, new or replayed.

    Raises:
        IdempotencyKeyInFlightError: Same key, first request running.
        IdempotencyKeyReusedError: Same key, different request.
        HolderNotReadyError: The holder is unknown (not created yet).
        HolderClosedError: The holder is closed.
        AccountNotOpenError: No wallet in that currency.
        AmountNotAboveFlatAmountError: See :func:`credit_savings`.
    """
    if idempotency_key is not None:
        stored = _idempotency_lookup(holder_id=holder_id, key=idempotency_key)
        if stored is not None:
            stored_hash, stored_status, stored_body = stored
            check_same_request(
                stored_hash=stored_hash, request_hash=request_hash
            )
            return CreditResult(
                status=stored_status,
                body=stored_body,
                replayed=True,
                transaction=None,
            )
    main, savings, holder_plan = _wallet_lock(
        holder_id=holder_id, currency=currency
    )
    occurred_at = timezone.now()  # after the locks: decision 2
    plan = credit_plan(plan=holder_plan, currency=currency)
    saved = credit_savings(plan=plan, amount=amount)
    journal = models.Transaction(
        holder_id=holder_id,
        kind=models.Transaction.Kind.CREDIT,
        amount=amount,
        currency=currency,
        occurred_at=occurred_at,
        description=description,
        source=source,
        plan_snapshot=wire.plan_data(plan) if plan else None,
        created_at=timezone.now(),
    )
    # Entry rows as (account, amount, sequence, balance_after), written in
    # this order: world first, then each customer account given a part.
    postings: list[tuple[uuid.UUID, int, int | None, int | None]] = [
        (
            models.Account.system_id(models.Account.Kind.WORLD, currency),
            -amount,
            None,
            None,
        )
    ]
    posted = []
    splits = []
    for account, part in ((main, amount - saved), (savings, saved)):
        if not part:
            continue
        account.balance += part
        account.last_sequence += 1
        posted.append(account)
        splits.append((account.kind, part))
        postings.append(
            (account.id, part, account.last_sequence, account.balance)
        )
    _insert(
        models.Transaction,
        _TRANSACTION_COLUMNS,
        [tuple(getattr(journal, name) for name in _TRANSACTION_COLUMNS)],
    )
    journal._state.adding = False  # saved: append-only from now on
    journal._state.db = connection.alias
    _insert(
        models.Entry,
        _ENTRY_COLUMNS,
        [(journal.id, currency, occurred_at, *p) for p in postings],
    )
    _balances_save(posted)
    body = {
        "transaction": wire.transaction_data(journal, splits),
        "balances": wire.balances_data(
            main=main.balance, savings=savings.balance, currency=currency
        ),
    }
    if idempotency_key is not None:
        _insert(
            models.IdempotencyKey,
            _IDEMPOTENCY_KEY_COLUMNS,
            [
                (
                    holder_id,
                    idempotency_key,
                    request_hash,
                    201,
                    body,
                    journal.id,
                    journal.created_at,
                )
            ],
        )
    return CreditResult(
        status=201, body=body, replayed=False, transaction=journal
    )
