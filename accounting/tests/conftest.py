"""Fixtures shared by the accounting tests (real PostgreSQL)."""

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounting import models, selectors, services
from accounting.tests import factories
from config.service_auth import service_headers


def pytest_configure(config: pytest.Config) -> None:
    """Refuses to run on anything but PostgreSQL.

    Without ACCOUNTING_DATABASE_URL the settings fall back to the embedded
    SQLite file, where the triggers, locks and constraints under test do not
    exist.
    """
    del config
    from django.conf import settings  # noqa: PLC0415

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "config.postgresql":
        pytest.exit(
            "The accounting tests run on PostgreSQL: set "
            "ACCOUNTING_DATABASE_URL (make unit does).",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def cache_isolated(settings) -> None:
    """Gives each test cache keys of its own (a fresh KEY_PREFIX).

    The cache outlives a test (Redis in ``make unit``), and a test's
    transaction never commits, so no invalidation runs: without this, an
    answer cached by one test would be served to the next. Keys left
    behind expire (accounting/cache.py).
    """
    default = settings.CACHES["default"]
    prefix = f"{default.get('KEY_PREFIX', '')}:test:{uuid.uuid4().hex}"
    settings.CACHES = {"default": {**default, "KEY_PREFIX": prefix}}


@pytest.fixture
def api_client() -> APIClient:
    """A client that calls the internal API with the service credential."""
    client = APIClient()
    client.credentials(
        **{
            "HTTP_AUTHORIZATION": service_headers(settings.INTERNAL_API_TOKEN)[
                "Authorization"
            ]
        }
    )
    return client


@pytest.fixture
def holder(db) -> models.Holder:
    """An open holder with main and savings accounts in USD."""
    del db
    return factories.HolderFactory()


def ledger_counts() -> tuple[int, int, int, int]:
    """Returns counts of transactions, entries, keys and the balance sum."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM accounting_transaction),"
            " (SELECT COUNT(*) FROM accounting_entry),"
            " (SELECT COUNT(*) FROM accounting_idempotencykey),"
            " (SELECT COALESCE(SUM(balance), 0) FROM accounting_account)"
        )
        return cursor.fetchone()


def ledger_state() -> dict[str, Any]:
    """Returns everything a refused request must leave as it was.

    Bad input "changes nothing": a test takes this before and after the
    request and compares. It holds each account's balance and last
    sequence, each holder's plan choice and state, and the number of
    transactions, entries and idempotency keys.
    """
    return {
        "accounts": list(
            models.Account.objects.order_by("pk").values_list(
                "pk", "balance", "last_sequence", "closed_at"
            )
        ),
        "holders": list(
            models.Holder.objects.order_by("pk").values_list(
                "pk", "plan_id", "plan_selected_at", "version", "closed_at"
            )
        ),
        "transactions": models.Transaction.objects.count(),
        "entries": models.Entry.objects.count(),
        "idempotency_keys": models.IdempotencyKey.objects.count(),
    }


@pytest.fixture
def funded_holder(holder: models.Holder) -> models.Holder:
    """The holder after a keyed credit of 100.00 USD under a 10% plan.

    Its balances, sequences and key count are not zero, so a refused
    request that moved anything shows in :func:`ledger_state`.
    """
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    services.credit_apply(
        holder_id=holder.pk,
        amount=10_000,
        currency="USD",
        idempotency_key="funded",
        request_hash="funded",
    )
    return holder


class Clock:
    """A frozen ``timezone.now`` that a test moves forward by hand.

    The services stamp every movement with ``timezone.now()`` after taking
    their locks, and the journal is append-only, so history "days ago" can
    only be written by running the real services at an earlier instant.
    Only ever move it forward past instants already written: per account,
    time must not go backwards against the sequence (``verify_ledger``).

    Attributes:
        now: The instant every ``timezone.now()`` call returns.
    """

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        """Moves the clock forward by a ``timedelta(**delta)``."""
        self.now += dt.timedelta(**delta)
        return self.now


@contextlib.contextmanager
def frozen_clock(start: dt.datetime) -> Iterator[Clock]:
    """Freezes ``django.utils.timezone.now`` at ``start`` for a block.

    A context manager rather than a fixture so that a hypothesis example
    can have its own clock (function-scoped fixtures last for all of them).
    """
    clock = Clock(start)
    real_now = timezone.now
    timezone.now = clock
    try:
        yield clock
    finally:
        timezone.now = real_now


@pytest.fixture
def clock() -> Iterator[Clock]:
    """A frozen clock, starting at the real now."""
    with frozen_clock(timezone.now()) as frozen:
        yield frozen


def constraints_check() -> None:
    """Fires the checks PostgreSQL defers to COMMIT, in the test's transaction.

    Tests run inside a transaction that is rolled back, so the deferred
    zero-sum trigger and the (deferred) foreign keys would never run:
    ``SET CONSTRAINTS ALL IMMEDIATE`` makes them run now, and raise.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.fixture
def deferred_constraints(db) -> Iterator[None]:
    """Checks after the test what a COMMIT would have checked."""
    del db
    yield
    constraints_check()


def wallet(holder: models.Holder, currency: str = "USD") -> dict[str, Any]:
    """Returns a holder's accounts in a currency by kind, fresh from the DB."""
    accounts = models.Account.objects.filter(holder=holder, currency=currency)
    return {account.kind: account for account in accounts}


def postings(transaction: models.Transaction) -> list[tuple]:
    """Returns a transaction's entries as comparable tuples, in id order.

    ``(account kind, currency, amount, sequence, balance_after)``; system
    accounts show their kind, so a test sees which one was used.
    """
    return [
        (e.account.kind, e.currency, e.amount, e.sequence, e.balance_after)
        for e in models.Entry.objects.filter(transaction=transaction)
        .select_related("account")
        .order_by("id")
    ]


def failed_checks() -> list[str]:
    """Returns the names of the ledger checks that do not hold."""
    return [f.check for f in selectors.ledger_verify() if f.count]
