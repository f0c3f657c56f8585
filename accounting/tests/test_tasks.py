"""The worker's tasks: eager for their branches, then on a real worker."""

import datetime as dt
import time
import uuid

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections

from accounting import models, services, tasks
from accounting.services import runners
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


# --- Statement imports -------------------------------------------------------

STATEMENT = [b"date,amount\n2026-11-02,5.00\n2026-11-03,-1.00\n"]


@pytest.mark.django_db
def test_the_import_task_applies_an_import():
    holder = factories.HolderFactory()
    job, _ = services.import_create(
        holder_id=holder.pk, pieces=STATEMENT, currency="USD"
    )

    result = tasks.import_apply.apply(args=[str(job.id)]).get()

    assert result == "completed"
    job.refresh_from_db()
    assert (job.rows_applied, job.rows_refused) == (2, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("import_id", ["not-a-uuid", None, 7])
def test_an_import_task_without_an_id_is_dropped(caplog, import_id):
    result = tasks.import_apply.apply(args=[import_id]).get()

    assert result is None
    assert "Dropping an import task" in caplog.text


@pytest.mark.django_db
def test_an_import_task_for_no_import_ends_quietly():
    assert tasks.import_apply.apply(args=[str(uuid.uuid4())]).get() is None


@pytest.mark.django_db(transaction=True)
def test_an_import_task_is_retried_when_the_database_is_out(monkeypatch):
    holder = factories.HolderFactory()
    job, _ = services.import_create(
        holder_id=holder.pk, pieces=STATEMENT, currency="USD"
    )
    retries = []

    def database_is_back(**kwargs):
        retries.append(kwargs["reason"])
        monkeypatch.undo()

    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    signals.task_retry.connect(database_is_back, weak=False)
    try:
        result = tasks.import_apply.apply(args=[str(job.id)])
    finally:
        signals.task_retry.disconnect(database_is_back)

    assert len(retries) == 1
    assert result.get() == "completed"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_applies_an_import_and_resumes_a_stalled_one():
    """Upload commits, its task reaches a worker; beat's wake-up does too."""
    app.control.purge()
    holder = factories.HolderFactory()
    queued, _ = services.import_create(
        holder_id=holder.pk, pieces=STATEMENT, currency="USD"
    )
    # An import whose task was lost: queued long ago, never run.
    lost, _ = services.import_create(
        holder_id=holder.pk,
        pieces=[b"date,amount\n2026-11-04,2.00\n"],
        currency="USD",
    )
    models.Import.objects.filter(pk=lost.pk).update(
        updated_at=lost.created_at
        - dt.timedelta(seconds=runners.STALL_SECONDS + 1)
    )
    app.control.purge()  # both tasks lost: only the wake-up brings them

    def close_connections(**kwargs):
        del kwargs
        connections.close_all()  # in the worker thread

    signals.task_postrun.connect(close_connections, weak=False)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=30
        ):
            app.send_task(contracts.IMPORTS_RESUME_TASK)
            app.send_task(contracts.IMPORT_APPLY_TASK, args=[str(queued.id)])
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if not models.Import.objects.exclude(
                    status="completed"
                ).exists():
                    break
                time.sleep(0.05)
    finally:
        signals.task_postrun.disconnect(close_connections)

    assert set(models.Import.objects.values_list("status", flat=True)) == {
        "completed"
    }
    main = holder.accounts.get(kind="main", currency="USD")
    assert main.balance == 500 - 100 + 200


# --- Partners' credit batches ------------------------------------------------


def batch_of(holder, reference="PAY-1", idempotency_key="k"):
    partner, _ = models.Partner.objects.get_or_create(name="Acme Payroll")
    key, _ = services.key_issue(partner=partner, name="k", scopes=[])
    batch, _ = services.credit_batch_create(
        key=key,
        items=[services.BatchItemInput(str(holder.pk), 5_00, "USD", reference)],
        idempotency_key=idempotency_key,
    )
    return batch


@pytest.mark.django_db
def test_the_batch_task_applies_a_batch():
    holder = factories.HolderFactory()
    batch = batch_of(holder)

    assert tasks.credit_batch_apply.apply(args=[str(batch.id)]).get() == (
        "completed"
    )
    assert holder.accounts.get(kind="main").balance == 5_00
    assert tasks.credit_batch_apply.apply(args=[str(uuid.uuid4())]).get() is (
        None
    )


@pytest.mark.django_db
@pytest.mark.parametrize("batch_id", ["not-a-uuid", None, 7])
def test_a_batch_task_without_an_id_is_dropped(caplog, batch_id):
    result = tasks.credit_batch_apply.apply(args=[batch_id]).get()

    assert result is None
    assert "Dropping a batch task" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_batch_task_is_retried_when_the_database_is_out(monkeypatch):
    holder = factories.HolderFactory()
    batch = batch_of(holder)
    retries = []

    def database_is_back(**kwargs):
        retries.append(kwargs["reason"])
        monkeypatch.undo()

    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    signals.task_retry.connect(database_is_back, weak=False)
    try:
        result = tasks.credit_batch_apply.apply(args=[str(batch.id)])
    finally:
        signals.task_retry.disconnect(database_is_back)

    assert len(retries) == 1
    assert result.get() == "completed"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_applies_a_batch_and_resumes_a_stalled_one():
    """A batch's task reaches a worker; beat's wake-up brings a lost one."""
    app.control.purge()
    holder = factories.HolderFactory()
    queued = batch_of(holder, "PAY-1", "first")
    lost = batch_of(holder, "PAY-2", "second")
    models.CreditBatch.objects.filter(pk=lost.pk).update(
        updated_at=lost.created_at
        - dt.timedelta(seconds=runners.STALL_SECONDS + 1)
    )
    app.control.purge()  # both tasks lost: only the wake-up brings them

    def close_connections(**kwargs):
        del kwargs
        connections.close_all()  # in the worker thread

    signals.task_postrun.connect(close_connections, weak=False)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=30
        ):
            app.send_task(contracts.CREDIT_BATCHES_RESUME_TASK)
            app.send_task(
                contracts.CREDIT_BATCH_APPLY_TASK, args=[str(queued.id)]
            )
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if not models.CreditBatch.objects.exclude(
                    status="completed"
                ).exists():
                    break
                time.sleep(0.05)
    finally:
        signals.task_postrun.disconnect(close_connections)

    assert set(models.CreditBatch.objects.values_list("status", flat=True)) == {
        "completed"
    }
    assert holder.accounts.get(kind="main").balance == 10_00


@pytest.mark.django_db
def test_verify_ledger_runs_the_run_staff_asked_for(holder, monkeypatch):
    monkeypatch.setattr(app, "send_task", lambda name, args: None)
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    run, _ = services.ledger_check_request(requested_by="staff@example.com")

    assert tasks.ledger_verify.apply(args=[str(run.pk)]).get() == 0
    run.refresh_from_db()
    assert (run.status, run.checks_done) == ("completed", run.checks_total)
    # Delivered twice, or beat while it ran: nothing more is run.
    assert tasks.ledger_verify.apply(args=[str(run.pk)]).get() is None
    assert tasks.ledger_verify.apply(args=[str(uuid.uuid4())]).get() is None


@pytest.mark.django_db
def test_verify_ledger_drops_a_malformed_run_id(caplog):
    assert tasks.ledger_verify.apply(args=["not-a-run"]).get() is None
    assert "Dropping a verify_ledger task for 'not-a-run'" in caplog.text
    assert not models.LedgerCheckRun.objects.exists()
