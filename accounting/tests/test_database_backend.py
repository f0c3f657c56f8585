"""The kept connection's health check (``config.postgresql``), for real.

A request must not fail on a connection the server dropped, and a healthy
one must not pay a round trip to prove it.
"""

import time

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as postgresql_base

pytestmark = pytest.mark.django_db(transaction=True)


def _server_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_an_idle_connection_is_usable_without_asking_the_server(
    monkeypatch,
):
    connection.ensure_connection()

    def select_one(self):
        raise AssertionError("SELECT 1 was sent")

    monkeypatch.setattr(
        postgresql_base.DatabaseWrapper, "is_usable", select_one
    )

    assert connection.is_usable()


def test_a_connection_the_server_dropped_is_not_usable():
    pid = _server_pid()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)

    assert not connection.is_usable()
    connection.close()


def test_a_failed_transaction_is_judged_by_the_server():
    connection.ensure_connection()
    raw = connection.connection
    raw.autocommit = False
    try:
        with pytest.raises(Exception, match="division by zero"):
            raw.execute("SELECT 1 / 0")
        assert not connection.is_usable()
    finally:
        raw.rollback()
        raw.autocommit = True
    assert connection.is_usable()


def test_no_connection_or_a_closed_one_is_not_usable():
    connection.close()
    assert not connection.is_usable()
    connection.ensure_connection()
    connection.connection.close()
    assert not connection.is_usable()
    connection.close()
