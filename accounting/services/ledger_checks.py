"""Runs of ``verify_ledger``'s checks by the worker, one at a time.

Staff ask for a run from the admin's dashboard (:func:`ledger_check_request`)
and beat asks daily; the worker runs it (:func:`ledger_check_run`) and
writes its progress on the run's row after each check and each chunk of
the replay walk, each write committed at once, so the dashboard can show
how far it is. A run not finished holds the only slot (a unique index):
asking again while one is under way answers that one. A run whose row has
not moved for :data:`STALE_SECONDS` lost its worker; the next request
marks it failed and starts a new one.
"""

import datetime as dt
import logging
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounting import metrics, models
from accounting.selectors import ledger_checks
from accounting.services import runners
from config import contracts

logger = logging.getLogger(__name__)

# Seconds without progress after which a run is taken for dead. A chunk of
# the walk takes well under a second; the slowest single check on a
# journal of millions of entries, a few seconds.
STALE_SECONDS = 600

_Status = models.LedgerCheckRun.Status


def _unfinished() -> models.LedgerCheckRun | None:
    """Returns the run under way, if any, failing it if it is stale."""
    run = models.LedgerCheckRun.objects.filter(finished_at__isnull=True).first()
    if run is None:
        return None
    stale_before = timezone.now() - dt.timedelta(seconds=STALE_SECONDS)
    if run.updated_at >= stale_before:
        return run
    logger.warning("verify_ledger run %s stalled; failing it", run.pk)
    models.LedgerCheckRun.objects.filter(pk=run.pk).update(
        status=_Status.FAILED,
        finished_at=timezone.now(),
        error=f"No progress for {STALE_SECONDS} s: its worker was lost.",
    )
    return None


def _run_create(requested_by: str) -> tuple[models.LedgerCheckRun, bool]:
    """Creates a queued run, or returns the one under way (and False)."""
    with transaction.atomic():
        running = _unfinished()
        if running is not None:
            return running, False
        try:
            with transaction.atomic():
                run = models.LedgerCheckRun.objects.create(
                    requested_by=requested_by,
                    checks_total=len(ledger_checks.LEDGER_CHECKS),
                )
        except IntegrityError:
            # Another request took the slot since we looked.
            running = models.LedgerCheckRun.objects.get(
                finished_at__isnull=True
            )
            return running, False
    return run, True


def ledger_check_request(
    *, requested_by: str
) -> tuple[models.LedgerCheckRun, bool]:
    """Asks the worker for a run of the checks, unless one is under way.

    The task is queued once the run has committed; a broker out of reach
    leaves it queued, and the next request after :data:`STALE_SECONDS`
    replaces it.

    Args:
        requested_by: The staff member's email.

    Returns:
        The run, and whether it is a new one (False: the run under way).
    """
    run, created = _run_create(requested_by)
    if created:
        transaction.on_commit(
            lambda: runners.job_queue(contracts.LEDGER_VERIFY_TASK, run.pk)
        )
    return run, created


def _progress(run_id: uuid.UUID) -> ledger_checks.Progress:
    """Returns the walk's callback, which records the entries walked."""

    def record(done: int, total: int) -> None:
        models.LedgerCheckRun.objects.filter(pk=run_id).update(
            entries_walked=done, entries_total=total, updated_at=timezone.now()
        )

    return record


def ledger_check_run(
    *, run_id: uuid.UUID | None = None
) -> models.LedgerCheckRun | None:
    """Runs the checks of a queued run, recording progress as it goes.

    Each write commits at once (no transaction is held around the run), so
    the dashboard sees it. The outcome becomes metrics too.

    Args:
        run_id: The run staff asked for; None (beat) asks for one first.

    Returns:
        The finished run; None when there is nothing for this worker to
        do: no such run, or it was taken by another (beat while another
        run is under way, a task delivered twice).
    """
    if run_id is None:
        run, created = _run_create("")
        if not created:
            return None
        run_id = run.pk
    runs = models.LedgerCheckRun.objects.filter(pk=run_id)
    if not runs.filter(status=_Status.QUEUED).update(
        status=_Status.RUNNING,
        started_at=timezone.now(),
        updated_at=timezone.now(),
    ):
        return None
    failed: list[str] = []
    try:
        for finding in ledger_checks.ledger_findings(
            progress=_progress(run_id)
        ):
            if finding.count:
                failed.append(finding.check.name)
            runs.update(
                checks_done=F("checks_done") + 1,
                failed_checks=failed,
                updated_at=timezone.now(),
            )
    except Exception as error:
        runs.update(
            status=_Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:500],
        )
        raise
    # Unless a request took it for dead meanwhile (it stays failed).
    runs.filter(status=_Status.RUNNING).update(
        status=_Status.COMPLETED, finished_at=timezone.now()
    )
    metrics.ledger_verify_record(failed_checks=len(failed))
    return runs.get()
