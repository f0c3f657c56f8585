"""Accounting's metrics: money once committed, verify_ledger, webhooks due."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.utils import ConnectionHandler
from django.utils import timezone

from accounting import metrics, models, services, tasks
from accounting.tests.conftest import corrupt
from config.celery import app
from config.metrics import outbox
from config.tests.metrics.support import value


def _moved(kind="credit", currency="USD"):
    return (
        value("savings_money_movements_total", kind=kind, currency=currency),
        value(
            "savings_money_moved_minor_units_total",
            kind=kind,
            currency=currency,
        ),
    )


@pytest.fixture
def no_broker(monkeypatch):
    """Webhook sends are queued after commit: recorded, not sent."""
    queued = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args: queued.append((name, args))
    )
    return queued


@pytest.mark.django_db(transaction=True)
def test_a_movement_is_counted_once_committed(holder):
    count, amount = _moved()
    services.credit_apply(holder_id=holder.pk, amount=12_50, currency="USD")
    assert _moved() == (count + 1, amount + 12_50)
    # A transfer out is counted by its own kind, with its positive amount.
    out, _ = _moved("withdrawal")
    services.withdrawal_apply(holder_id=holder.pk, amount=2_00, currency="USD")
    assert _moved("withdrawal")[0] == out + 1


@pytest.mark.django_db(transaction=True)
def test_a_reversal_is_counted_as_its_own_kind(holder):
    credit = services.credit_apply(
        holder_id=holder.pk, amount=7_00, currency="USD"
    ).transaction
    count, amount = _moved("reversal")

    services.transaction_reverse(
        original=credit, reason="Twice", staff="staff@example.com"
    )

    assert _moved("reversal") == (count + 1, amount + 7_00)


@pytest.mark.django_db(transaction=True)
def test_a_movement_that_rolls_back_is_not_counted(holder):
    count, amount = _moved()

    def credit_then_fail():
        with transaction.atomic():
            services.credit_apply(
                holder_id=holder.pk, amount=5_00, currency="USD"
            )
            # Written, not committed: not counted yet.
            assert _moved() == (count, amount)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        credit_then_fail()
    assert _moved() == (count, amount)


@pytest.mark.django_db
def test_verify_ledger_that_holds(holder):
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    failed = value("savings_ledger_verify_failed_runs_total")
    before = timezone.now().timestamp()
    assert tasks.ledger_verify.apply().get() == 0
    assert value("savings_ledger_verify_ok") == 1
    assert value("savings_ledger_verify_last_run_timestamp_seconds") >= before
    assert value("savings_ledger_verify_failed_runs_total") == failed


@pytest.mark.django_db
def test_verify_ledger_that_fails(holder, caplog):
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    corrupt(
        'UPDATE "accounting_account" SET "balance" = "balance" + 1 '
        'WHERE "holder_id" = %s',
        [holder.pk],
    )
    failed = value("savings_ledger_verify_failed_runs_total")
    assert tasks.ledger_verify.apply().get() > 0
    assert value("savings_ledger_verify_ok") == 0
    assert value("savings_ledger_verify_failed_runs_total") == failed + 1
    assert "verify_ledger: checks failed:" in caplog.text


def test_verify_ledger_runs_on_accountings_queue(settings):
    assert (
        app.tasks["accounting.ledger_verify"].name == tasks.ledger_verify.name
    )
    assert settings.CELERY_TASK_ROUTES["accounting.ledger_verify"] == {
        "queue": "accounting"
    }


def _own_connection(settings_dict):
    """A second, real connection: a scrape's thread has its own."""
    return ConnectionHandler({"default": settings_dict})["default"]


def _samples(db):
    collector = outbox.OutboxCollector([metrics.OUTBOX], db)
    return {
        sample.name: sample.value
        for family in collector.collect()
        for sample in family.samples
        if sample.labels.get("outbox") == "webhook_deliveries"
    }


def test_the_app_names_its_outbox():
    assert metrics.OUTBOX in outbox.OUTBOXES


@pytest.mark.django_db(transaction=True)
def test_deliveries_pending_and_the_most_overdue(holder, settings, no_broker):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    services.endpoint_create(
        holder=holder, url="http://127.0.0.1:9/hooks", events=[]
    )
    for _ in range(3):
        services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    first, second, third = models.WebhookDelivery.objects.order_by(
        "created_at", "id"
    )
    now = timezone.now()
    # Due 90 s ago; waiting for a retry in an hour (not late); delivered.
    first.next_attempt_at = now - dt.timedelta(seconds=90)
    second.next_attempt_at = now + dt.timedelta(hours=1)
    third.status = models.WebhookDelivery.Status.DELIVERED
    for delivery in (first, second, third):
        delivery.save()
    samples = _samples(_own_connection(connection.settings_dict))
    assert samples["savings_outbox_pending_events"] == 2
    assert 89 < samples["savings_outbox_lag_seconds"] < 150
    # Nothing due: no lag, however many wait for their retry.
    first.next_attempt_at = now + dt.timedelta(hours=1)
    first.save()
    samples = _samples(_own_connection(connection.settings_dict))
    assert samples["savings_outbox_pending_events"] == 2
    assert samples["savings_outbox_lag_seconds"] == 0


@pytest.mark.django_db
def test_the_embedded_default_reads_sqlite(tmp_path):
    db = _own_connection(
        {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "a.db"}
    )
    old = (timezone.now() - dt.timedelta(seconds=300)).replace(tzinfo=None)
    later = (timezone.now() + dt.timedelta(hours=1)).replace(tzinfo=None)
    with db.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE "accounting_webhookdelivery" '
            '("status" text, "next_attempt_at" datetime)'
        )
        cursor.execute(
            'INSERT INTO "accounting_webhookdelivery" VALUES '
            "('pending', %s), ('pending', %s), ('delivered', %s)",
            [old, later, old],
        )
    samples = _samples(db)
    assert samples["savings_outbox_pending_events"] == 2
    assert 299 < samples["savings_outbox_lag_seconds"] < 360
