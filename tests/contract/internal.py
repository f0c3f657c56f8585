"""An internal API under Schemathesis: in process, on the test database.

The schema an internal API serves is loaded from the service's own WSGI
application, with the service credential; each stateful scenario runs in a
transaction rolled back at its end, after the checks PostgreSQL defers to
a commit, so that every scenario starts from the same data: Hypothesis
chooses each step from the answers before it, and must meet the same
answers when it replays a scenario. Run under the service's settings.
"""

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction

from config.service_auth import service_headers
from tests.contract import support

SCHEMA_PATH = "/internal/v1/schema/"


def default_currency() -> str:
    """The deployment's default currency, from the service's settings."""
    return settings.DEFAULT_CURRENCY


@contextlib.contextmanager
def _connection_kept() -> Iterator[None]:
    """Keeps the database connection open across requests, as in tests.

    Django closes a connection that is not in autocommit mode when a
    request starts or ends; a scenario's transaction must outlive its
    requests. Django's own test client disconnects the same handler.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@contextlib.contextmanager
def _rolled_back() -> Iterator[None]:
    """One scenario's transaction: checked as a commit would, rolled back."""
    with transaction.atomic():
        try:
            yield
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        finally:
            transaction.set_rollback(True)


def run_stateful(schema: Any) -> None:
    """Runs the linked scenarios, each in a transaction rolled back."""
    support.run_stateful(schema, _rolled_back, around=_connection_kept)


def load(
    application: Callable[..., Any],
    *,
    dictionaries: Mapping[str, list[str]] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Any:
    """Loads an internal API's schema from its WSGI application.

    Args:
        application: The service's WSGI application.
        dictionaries: Named lists of real values (ids) for parameters.
        parameters: Schemathesis parameter bindings (``path.user_id``...).

    Returns:
        The schema, configured (``support.config``): the service credential
        on every request. The schema itself is read with it too.
    """
    headers = service_headers(settings.INTERNAL_API_TOKEN)
    config = support.config(
        auth={"serviceToken": {"api_key": headers["Authorization"]}},
        dictionaries=dictionaries,
        parameters=parameters,
    )
    return schemathesis.openapi.from_wsgi(
        SCHEMA_PATH, application, config=config, headers=headers
    )
