"""Fixtures shared by the accounting tests (real PostgreSQL).

And, for the few tests that prove something on the embedded default too,
a SQLite file made as ``make run`` makes it (``sqlite_ledger``).
"""

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler
from django.utils import timezone
from rest_framework.test import APIClient

from accounting import models, selectors, services
from accounting.tests import factories
from config import bootstrap
from config.service_auth import service_headers

REPO_DIR = Path(__file__).resolve().parents[2]


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
    return [f.check.name for f in selectors.ledger_verify() if f.count]


APPEND_ONLY_TABLES = (
    "accounting_entry",
    "accounting_transaction",
    "accounting_rate",
    "accounting_reversal",
)


def corrupt(sql: str, params: Any = ()) -> None:
    """Runs SQL with the append-only triggers off (in the test only)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # none pending
        for table in APPEND_ONLY_TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        for table in APPEND_ONLY_TABLES:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


# --- The embedded default (SQLite) -----------------------------------------


def embedded_manage(
    var_dir: Path, *args: str, **options: Any
) -> subprocess.CompletedProcess:
    """Runs ``manage.py`` for accounting on the embedded default.

    No database, cache or broker settings reach the child (only ``PATH``,
    ``HOME`` and ``VAR_DIR``, see :func:`embedded_env`): it runs on
    ``VAR_DIR/accounting.sqlite3``, with the secrets ``config.bootstrap``
    wrote there, as ``make run`` does.

    Args:
        var_dir: The embedded default's folder.
        *args: The command and its arguments.
        **options: More arguments for ``subprocess.run``.

    Returns:
        The finished process, its output captured as text.
    """
    options = {"capture_output": True, "text": True, "timeout": 300, **options}
    return subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=embedded_env(var_dir),
        check=False,
        **options,
    )


def embedded_env(var_dir: Path) -> dict[str, str]:
    """The environment of accounting on the embedded default (see above).

    A developer's ``.env`` (the README's way to PostgreSQL) would still be
    read by the child: then the stores are named, as the embedded default
    would pick them, so that nothing reaches the developer's servers.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(var_dir)),
        "VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.accounting.settings",
    }
    if (REPO_DIR / ".env").exists():
        env.update(
            ACCOUNTING_DATABASE_URL=f"sqlite:///{var_dir}/accounting.sqlite3",
            CACHE_URL="locmemcache://",
            CELERY_BROKER_URL="filesystem://",
        )
    return env


def _embedded_run(var_dir: Path, *args: str) -> None:
    """Runs ``manage.py`` on the embedded default, which must succeed."""
    done = embedded_manage(var_dir, *args)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="session")
def sqlite_empty(tmp_path_factory) -> Path:
    """A fresh embedded default, migrated as ``make run`` does: a template.

    Returns:
        Its ``VAR_DIR`` (copy it with :func:`sqlite_copy` to write to it).
    """
    var_dir = tmp_path_factory.mktemp("embedded")
    bootstrap.ensure_local_env(var_dir)
    _embedded_run(var_dir, "migrate", "--no-input", "-v", "0")
    assert (var_dir / "accounting.sqlite3").exists()
    return var_dir


@pytest.fixture(scope="session")
def sqlite_ledger(sqlite_empty, tmp_path_factory) -> Path:
    """The embedded default with the sample ledger (``ledgers``): a template.

    Returns:
        Its ``VAR_DIR`` (copy it with :func:`sqlite_copy` to write to it).
    """
    var_dir = tmp_path_factory.mktemp("embedded-ledger")
    sqlite_copy(sqlite_empty, var_dir)
    _embedded_run(
        var_dir,
        "shell",
        "-c",
        "from accounting.tests import ledgers; ledgers.sample_in_the_past()",
    )
    return var_dir


def sqlite_copy(template: Path, var_dir: Path) -> Path:
    """Copies an embedded default's folder; returns the copy's database."""
    shutil.copytree(template, var_dir, dirs_exist_ok=True)
    return var_dir / "accounting.sqlite3"


@contextlib.contextmanager
def sqlite_connection(path: Path) -> Iterator[BaseDatabaseWrapper]:
    """Opens a SQLite file in this process, beside the test database."""
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": path}}
    )
    sqlite = handler["default"]
    try:
        yield sqlite
    finally:
        sqlite.close()
