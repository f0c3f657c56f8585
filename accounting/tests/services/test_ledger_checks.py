"""verify_ledger runs: asked once at a time, run with their progress."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounting import models, services
from accounting.selectors import ledger_checks
from accounting.services import ledger_checks as runs
from accounting.tests.conftest import corrupt
from config import contracts
from config.celery import app

pytestmark = pytest.mark.django_db

CHECKS = len(ledger_checks.LEDGER_CHECKS)


@pytest.fixture
def queued(monkeypatch):
    """Records the tasks queued instead of sending them."""
    sent = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args: sent.append((name, args))
    )
    return sent


@pytest.fixture
def funded(holder):
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    services.credit_apply(holder_id=holder.pk, amount=2_00, currency="USD")
    return holder


def test_a_request_makes_a_run_and_queues_it_once_committed(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run, created = services.ledger_check_request(
            requested_by="staff@example.com"
        )

    assert created
    assert (run.status, run.requested_by) == ("queued", "staff@example.com")
    assert (run.checks_done, run.checks_total) == (0, CHECKS)
    assert queued == [(contracts.LEDGER_VERIFY_TASK, [str(run.pk)])]


def test_a_second_request_gets_the_run_under_way(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = services.ledger_check_request(requested_by="a@example.com")
        again, created = services.ledger_check_request(
            requested_by="b@example.com"
        )

    assert (again, created) == (first, False)
    assert models.LedgerCheckRun.objects.count() == 1
    assert len(queued) == 1


def test_the_database_keeps_one_run_at_a_time(monkeypatch):
    """Two requests that both saw no run: the second gets the first's."""
    first, _ = services.ledger_check_request(requested_by="a@example.com")
    monkeypatch.setattr(runs, "_unfinished", lambda: None)

    again, created = services.ledger_check_request(requested_by="b@example.com")

    assert (again, created) == (first, False)
    with pytest.raises(IntegrityError), transaction.atomic():
        models.LedgerCheckRun.objects.create(status="running")


def test_a_stalled_run_is_failed_and_replaced():
    stalled, _ = services.ledger_check_request(requested_by="a@example.com")
    long_ago = timezone.now() - dt.timedelta(seconds=runs.STALE_SECONDS + 1)
    models.LedgerCheckRun.objects.filter(pk=stalled.pk).update(
        updated_at=long_ago
    )

    run, created = services.ledger_check_request(requested_by="b@example.com")

    assert created
    assert run != stalled
    stalled.refresh_from_db()
    assert stalled.status == "failed"
    assert stalled.finished_at is not None
    assert "worker was lost" in stalled.error


def test_a_run_records_its_progress_check_by_check(funded, monkeypatch):
    run, _ = services.ledger_check_request(requested_by="a@example.com")
    seen = []
    findings = ledger_checks.ledger_findings

    def watched(**options):
        for finding in findings(**options):
            yield finding
            seen.append(
                models.LedgerCheckRun.objects.values_list(
                    "status", "checks_done"
                ).get(pk=run.pk)
            )

    monkeypatch.setattr(ledger_checks, "ledger_findings", watched)

    done = services.ledger_check_run(run_id=run.pk)

    assert seen == [("running", n) for n in range(1, CHECKS + 1)]
    assert (done.status, done.checks_done, done.failed_checks) == (
        "completed",
        CHECKS,
        [],
    )
    # Main and savings of two credits, each a sequenced entry.
    walked = models.Entry.objects.filter(sequence__isnull=False).count()
    assert (done.entries_walked, done.entries_total) == (walked, walked)
    assert done.started_at <= done.finished_at


def test_a_run_names_the_checks_that_fail(funded):
    corrupt(
        'UPDATE "accounting_account" SET "balance" = "balance" + 1 '
        'WHERE "holder_id" = %s',
        [funded.pk],
    )
    run, _ = services.ledger_check_request(requested_by="a@example.com")

    done = services.ledger_check_run(run_id=run.pk)

    assert done.status == "completed"
    assert done.failed_checks == ["account-projection"]


def test_a_run_that_breaks_is_failed_and_frees_the_slot(monkeypatch):
    run, _ = services.ledger_check_request(requested_by="a@example.com")

    def broken(**options):
        del options
        raise RuntimeError("database gone")
        yield  # a generator, as the real one

    monkeypatch.setattr(ledger_checks, "ledger_findings", broken)

    with pytest.raises(RuntimeError):
        services.ledger_check_run(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "RuntimeError: database gone")
    assert services.ledger_check_request(requested_by="b@example.com")[1]


def test_a_run_taken_already_is_left_alone(queued):
    run, _ = services.ledger_check_request(requested_by="a@example.com")
    models.LedgerCheckRun.objects.filter(pk=run.pk).update(status="running")

    assert services.ledger_check_run(run_id=run.pk) is None
    assert models.LedgerCheckRun.objects.get(pk=run.pk).checks_done == 0


def test_beat_makes_its_own_run_unless_one_is_under_way(queued):
    done = services.ledger_check_run()

    assert (done.status, done.requested_by) == ("completed", "")
    assert queued == []  # beat's worker runs it itself

    services.ledger_check_request(requested_by="a@example.com")
    assert services.ledger_check_run() is None


def test_a_run_taken_for_dead_meanwhile_stays_failed(monkeypatch):
    run, _ = services.ledger_check_request(requested_by="a@example.com")
    findings = ledger_checks.ledger_findings

    def overtaken(**options):
        # A request finds the run silent for too long and fails it.
        models.LedgerCheckRun.objects.filter(pk=run.pk).update(
            status="failed", finished_at=timezone.now(), error="stalled"
        )
        yield from findings(**options)

    monkeypatch.setattr(ledger_checks, "ledger_findings", overtaken)

    done = services.ledger_check_run(run_id=run.pk)

    assert (done.status, done.error) == ("failed", "stalled")
