"""The users outbox's backlog, read at scrape time; database connections."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.utils import ConnectionHandler
from django.utils import timezone

from config.metrics import outbox, pools
from config.tests.metrics.support import value
from users import metrics
from users.models import OutboxEvent


def _own_connection(settings_dict):
    """A second, real connection: a scrape's thread has its own."""
    return ConnectionHandler({"default": settings_dict})["default"]


def _samples(collector):
    return {
        (sample.name, sample.labels.get("outbox")): sample.value
        for family in collector.collect()
        for sample in family.samples
    }


def _event(age, published=False):
    now = timezone.now()
    return OutboxEvent.objects.create(
        type="user.created",
        payload={},
        created_at=now - dt.timedelta(seconds=age),
        published_at=now if published else None,
    )


def test_the_app_names_its_outbox():
    assert metrics.OUTBOX in outbox.OUTBOXES
    # Named again (ready() runs again in a test): still once.
    metrics.register()
    assert outbox.OUTBOXES.count(metrics.OUTBOX) == 1
    assert [c.outboxes for c in outbox.collectors()] == [tuple(outbox.OUTBOXES)]


def test_nothing_pending_no_lag(transactional_db):
    _event(600, published=True)
    collector = outbox.OutboxCollector(
        [metrics.OUTBOX], _own_connection(connection.settings_dict)
    )
    samples = _samples(collector)
    assert samples["savings_outbox_pending_events", "users_events"] == 0
    assert samples["savings_outbox_lag_seconds", "users_events"] == 0


def test_pending_events_and_the_oldest_ones_wait(transactional_db):
    _event(600, published=True)
    _event(120)
    _event(30)
    db = _own_connection(connection.settings_dict)
    samples = _samples(outbox.OutboxCollector([metrics.OUTBOX], db))
    assert samples["savings_outbox_pending_events", "users_events"] == 2
    assert 119 < samples["savings_outbox_lag_seconds", "users_events"] < 180
    assert samples["savings_outbox_collect_errors_total", "users_events"] == 0
    # The scrape's connection is closed after it (its thread is gone).
    assert db.connection is None


def test_a_slow_query_is_cut_short_and_counted(transactional_db, caplog):
    slow = outbox.Outbox(
        name="slow",
        sql="SELECT count(*), 0 FROM pg_sleep(5)",
        sqlite_sql="",
    )
    db = _own_connection(connection.settings_dict)
    collector = outbox.OutboxCollector([slow, metrics.OUTBOX], db)
    samples = _samples(collector)
    # The other outbox is still read; the scrape does not fail.
    assert ("savings_outbox_pending_events", "slow") not in samples
    assert samples["savings_outbox_pending_events", "users_events"] == 0
    assert samples["savings_outbox_collect_errors_total", "slow"] == 1
    assert "Could not read outbox slow" in caplog.text
    assert "statement timeout" in caplog.text
    described = {family.name for family in collector.describe()}
    assert described == {
        "savings_outbox_pending_events",
        "savings_outbox_lag_seconds",
        "savings_outbox_collect_errors",
    }


@pytest.mark.django_db
def test_the_embedded_default_reads_sqlite(tmp_path):
    db = _own_connection(
        {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "u.db"}
    )
    with db.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE "users_outboxevent" '
            '("created_at" datetime, "published_at" datetime NULL)'
        )
        old = timezone.now() - dt.timedelta(seconds=300)
        cursor.execute(
            'INSERT INTO "users_outboxevent" VALUES (%s, NULL), (%s, %s)',
            [old.replace(tzinfo=None), old.replace(tzinfo=None), "x"],
        )
    samples = _samples(outbox.OutboxCollector([metrics.OUTBOX], db))
    assert samples["savings_outbox_pending_events", "users_events"] == 1
    assert 299 < samples["savings_outbox_lag_seconds", "users_events"] < 360


@pytest.mark.django_db
def test_sqlite_knows_a_transaction_by_atomic_only(tmp_path):
    db = _own_connection(
        {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "p.db"}
    )
    db.ensure_connection()
    try:
        assert not pools.in_transaction(db, db.connection)
        db.in_atomic_block = True
        assert pools.in_transaction(db, db.connection)
    finally:
        db.in_atomic_block = False
        db.close()


@pytest.mark.django_db(transaction=True)
def test_connections_open_and_in_a_transaction():
    def count(state):
        return value(
            "savings_db_connections",
            service="users",
            database="default",
            state=state,
        )

    connection.ensure_connection()
    pools.observe("users")
    assert count("open") >= 1
    assert count("in_transaction") == 0
    # A transaction opened by plain statements, as a pipelined one is.
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("SELECT 1")
        pools.observe("users")
        assert count("in_transaction") == 1
        cursor.execute("ROLLBACK")
    with transaction.atomic():
        pools.observe("users")
        assert count("in_transaction") == 1
    connection.close()
    pools.observe("users")
    assert count("open") == 0


def test_beat_asks_accounting_to_verify_the_ledger_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["ledger-verify"]
    assert entry["task"] == "accounting.ledger_verify"
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute) == ({3}, {30})
    assert settings.CELERY_TASK_ROUTES["accounting.ledger_verify"] == {
        "queue": "accounting"
    }
