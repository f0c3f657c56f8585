"""Fixtures of the users tests: API client, RabbitMQ queues, broker outage.

The tests publish to a real RabbitMQ vhost of their own
(``CELERY_BROKER_URL``); its queues are purged once per session and again
by each test that reads them, so leftovers never confuse a test.
"""

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from kombu import Connection, Message
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from config import contracts
from config.celery import app as celery_app
from config.service_auth import service_headers
from users import clients, services
from users.models import IdempotencyKey, OutboxEvent, User
from users.tests.accounting_server import (  # noqa: F401 (fixtures)
    accounting_server,
    closed_port,
    silent_server,
)


def pytest_configure(config: pytest.Config) -> None:
    """Refuses to run on anything but PostgreSQL.

    Without USERS_DATABASE_URL the settings fall back to the embedded SQLite
    file, where the triggers, locks and constraints under test do not exist.
    """
    del config
    from django.conf import settings  # noqa: PLC0415

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "config.postgresql":
        pytest.exit(
            "The users tests run on PostgreSQL: set USERS_DATABASE_URL "
            "(make unit does).",
            returncode=2,
        )


CLOSED_BROKER_URL = "amqp://guest:guest@127.0.0.1:1/"


@pytest.fixture(autouse=True)
def _accounting_elsewhere(settings) -> Iterator[None]:
    """Points the admin's accounting client at nothing, unless a test says.

    A user's admin page asks accounting for their money: no test reaches
    an accounting it did not start (a developer's ``make run``), and each
    starts with a fresh client.
    """
    settings.ACCOUNTING_SERVICE_URL = "http://127.0.0.1:1"
    yield
    clients.close_client()


def _queue_purge(name: str) -> None:
    """Declares a queue as the services do and empties it."""
    queue = next(q for q in celery_app.conf.task_queues if q.name == name)
    with Connection(settings.CELERY_BROKER_URL) as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        bound.purge()


def _queue_drain(name: str) -> list[Message]:
    """Takes every message waiting in a queue."""
    queue = next(q for q in celery_app.conf.task_queues if q.name == name)
    messages = []
    with Connection(settings.CELERY_BROKER_URL) as connection:
        bound = queue(connection.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            messages.append(message)
    return messages


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Hashes with a cheap Argon2 (see ``users.tests.hashers``)."""
    settings.PASSWORD_HASHERS = ["users.tests.hashers.FastArgon2PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _broker_queues_purged() -> None:
    """Starts the session with empty queues in the test vhost."""
    assert settings.CELERY_BROKER_URL.startswith("amqp://"), (
        "The users tests need RabbitMQ: set CELERY_BROKER_URL."
    )
    # WhiteNoise warns on every request while ``collectstatic`` never ran.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    for name in (contracts.ACCOUNTING_QUEUE, contracts.USERS_QUEUE):
        _queue_purge(name)


@pytest.fixture
def accounting_queue() -> Callable[[], list[dict[str, Any]]]:
    """Empties the accounting queue; returns a function that drains it.

    The function returns one dict per task message: ``task``, ``id``,
    ``queue`` routing key, the task's ``kwargs`` and the ``request_id``
    header (None without one).
    """
    _queue_purge(contracts.ACCOUNTING_QUEUE)

    def drain() -> list[dict[str, Any]]:
        tasks = []
        for message in _queue_drain(contracts.ACCOUNTING_QUEUE):
            _args, kwargs, _embed = message.decode()
            tasks.append(
                {
                    "task": message.headers["task"],
                    "id": message.headers["id"],
                    "routing_key": message.delivery_info["routing_key"],
                    "kwargs": kwargs,
                    "request_id": message.headers.get("request_id"),
                }
            )
        return tasks

    return drain


def _publisher_pools_reset() -> None:
    """Makes the next publish look up its pool for the current broker URL.

    kombu keeps one producer pool per broker URL; the app caches the one it
    used last. (``Celery.close`` would also unregister the app from
    ``shared_task``.)
    """
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def _broker_unreachable(url: str = CLOSED_BROKER_URL) -> Iterator[None]:
    """Points the Celery app at a dead broker URL, then back at RabbitMQ."""
    original = celery_app.conf.broker_write_url
    _publisher_pools_reset()
    celery_app.conf.broker_write_url = url
    try:
        yield
    finally:
        _publisher_pools_reset()
        celery_app.conf.broker_write_url = original


@pytest.fixture
def broker_unreachable() -> Callable[..., contextlib.AbstractContextManager]:
    """Returns a context manager during which RabbitMQ cannot be reached.

    By default the broker URL names a closed port (connection refused);
    pass another URL to simulate another failure.
    """
    return _broker_unreachable


@pytest.fixture
def silent_broker_url() -> Iterator[str]:
    """A broker that accepts TCP connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"amqp://guest:guest@127.0.0.1:{listener.getsockname()[1]}/"
    listener.close()


@contextlib.contextmanager
def _locked_elsewhere(sql: str, params: list[Any]) -> Iterator[None]:
    """Holds the lock ``sql`` takes, from another connection, until exit.

    The lock lives in an open transaction of a second thread's own
    connection, as a concurrent request or worker would hold it.

    Args:
        sql: A statement that takes a transaction-scoped lock.
        params: Its parameters.

    Yields:
        Once the other connection holds the lock.
    """
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(sql, params)
            held.set()
            release.wait(10)
            cursor.execute("ROLLBACK")
        connections["default"].close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(10)


@pytest.fixture
def locked_elsewhere() -> Callable[..., contextlib.AbstractContextManager]:
    """Returns a context manager holding a lock from another connection."""
    return _locked_elsewhere


@pytest.fixture
def key_in_flight() -> Iterator[str]:
    """Key ``busy`` locked by another connection, as a running request."""
    key = "busy"
    with _locked_elsewhere(
        "SELECT pg_advisory_xact_lock(%s)",
        [services.SIGNUP_KEYS.lock_id(key)],
    ):
        yield key


@pytest.fixture
def api_client() -> APIClient:
    """A client that calls the internal API as the gateway does."""
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=service_headers(settings.INTERNAL_API_TOKEN)[
            "Authorization"
        ]
    )
    return client


def users_state() -> dict[str, Any]:
    """Returns everything a refused request must leave as it was.

    Bad input "changes nothing": a test takes this before and after the
    request and compares. It holds every user row as stored (password hash
    and version included), the outbox, the idempotency keys and the
    issued and blacklisted refresh tokens.
    """
    return {
        "users": list(
            User.objects.order_by("pk").values_list(
                "pk",
                "email",
                "first_name",
                "last_name",
                "password",
                "version",
                "is_active",
                "deleted_at",
            )
        ),
        "outbox": list(
            OutboxEvent.objects.order_by("pk").values_list("pk", "type")
        ),
        "idempotency_keys": IdempotencyKey.objects.count(),
        "outstanding_tokens": OutstandingToken.objects.count(),
        "blacklisted_tokens": BlacklistedToken.objects.count(),
    }
