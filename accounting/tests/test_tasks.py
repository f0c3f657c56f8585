"""The user-event task: eager for its branches, then on a real worker."""

import time
import uuid

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections

from accounting import models, tasks
from accounting.tests import factories
from config import contracts
from config.celery import app


@pytest.mark.django_db
def test_the_task_applies_an_event():
    user_id = uuid.uuid4()
    event = factories.user_event(user_id=user_id)

    assert tasks.apply_user_event.apply(kwargs={"event": event}).get() == (
        "applied"
    )
    assert tasks.apply_user_event.apply(kwargs={"event": event}).get() == (
        "duplicate"
    )
    assert models.Holder.objects.filter(pk=user_id).exists()


def test_the_task_is_registered_as_the_contract_says():
    task = app.tasks[contracts.USER_EVENT_TASK]
    assert task.name == "accounting.apply_user_event"
    assert task.acks_late
    assert task.max_retries == tasks.MAX_RETRIES


@pytest.mark.django_db
def test_a_malformed_event_is_dropped(caplog):
    result = tasks.apply_user_event.apply(kwargs={"event": {"type": "x"}})

    assert result.successful()
    assert result.get() is None
    assert "Dropping a malformed user event" in caplog.text
    assert not models.Holder.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_transient_database_error_is_retried(monkeypatch):
    """The database is unreachable on the first try and back for the retry."""
    user_id = uuid.uuid4()
    retries = []

    def database_is_back(**kwargs):
        retries.append(kwargs["reason"])
        monkeypatch.undo()

    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    signals.task_retry.connect(database_is_back, weak=False)
    try:
        result = tasks.apply_user_event.apply(
            kwargs={"event": factories.user_event(user_id=user_id)}
        )
    finally:
        signals.task_retry.disconnect(database_is_back)

    assert len(retries) == 1
    assert result.get() == "applied"
    assert models.Holder.objects.filter(pk=user_id).exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_consumes_published_events():
    """Users to RabbitMQ to a worker to a holder, on the real broker."""
    app.control.purge()
    user_id = uuid.uuid4()

    def close_connections(**kwargs):
        del kwargs
        connections.close_all()  # in the worker thread

    signals.task_postrun.connect(close_connections, weak=False)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=30
        ):
            app.send_task(
                contracts.USER_EVENT_TASK,
                kwargs={"event": factories.user_event(user_id=user_id)},
            )
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if models.Holder.objects.filter(pk=user_id).exists():
                    break
                time.sleep(0.05)
    finally:
        signals.task_postrun.disconnect(close_connections)

    holder = models.Holder.objects.get(pk=user_id)
    assert (holder.version, holder.email) == (1, "ada@example.com")
    assert holder.accounts.count() == 2
    assert models.ProcessedEvent.objects.count() == 1
