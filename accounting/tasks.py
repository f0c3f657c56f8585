"""Celery entry points of the accounting worker (thin: parse, call).

The user-event task is acknowledged late (a message lost with its worker is
redelivered) and idempotent (the service records event ids), so at-least-
once delivery applies each event exactly once. A transient database error
is retried after a short pause; a malformed event is logged and dropped,
since no retry can fix it.

An import's task is acknowledged late too, and may run again from the
start at any time (the service never applies a row twice): after a
killed worker, and when beat wakes an import nobody moved for a while.
A partner's credit batch, alike (an item is never applied twice).

Beat sends ``ledger_verify`` daily, staff from the admin's dashboard:
``verify_ledger``'s checks, run one at a time with their progress on a
``LedgerCheckRun``, whose outcome becomes metrics (an alert fires when one
fails).
"""

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from accounting import services
from config import contracts

logger = logging.getLogger(__name__)

RETRY_COUNTDOWN_SECONDS = 1
MAX_RETRIES = 5


@shared_task(
    bind=True,
    name=contracts.USER_EVENT_TASK,
    acks_late=True,
    max_retries=MAX_RETRIES,
)
def apply_user_event(self: Task, event: Mapping[str, Any]) -> str | None:
    """Applies one user event from the users service.

    Args:
        self: The bound task (for retries).
        event: The payload described in ``config.contracts``.

    Returns:
        The outcome (``applied``, ``duplicate``, ``stale``), or None for a
        malformed event that was dropped.
    """
    try:
        parsed = services.UserEvent.from_payload(event)
    except ValueError:
        logger.exception("Dropping a malformed user event: %r", event)
        return None
    try:
        outcome = services.holder_apply_user_event(event=parsed)
    except (OperationalError, InterfaceError) as error:
        logger.warning("User event %s: %s; retrying", parsed.event_id, error)
        raise self.retry(
            exc=error, countdown=RETRY_COUNTDOWN_SECONDS
        ) from error
    return str(outcome)


# The worker's threads pool enforces no time limit: an import runs as long
# as its file takes (README, Performance), one runner at a time, and stops
# for good after services.runners.MAX_ATTEMPTS runs that did not finish.
@shared_task(
    bind=True,
    name=contracts.IMPORT_APPLY_TASK,
    acks_late=True,
    max_retries=MAX_RETRIES,
)
def import_apply(self: Task, import_id: str) -> str | None:
    """Applies a statement import (see ``services.imports``).

    Returns:
        The import's status when the task ends, or None if there is no
        such import (or the id is not one).
    """
    try:
        pk = uuid.UUID(import_id)
    except (ValueError, TypeError, AttributeError):
        logger.exception("Dropping an import task for %r", import_id)
        return None
    try:
        job = services.import_run(import_id=pk)
    except (OperationalError, InterfaceError) as error:
        logger.warning("Import %s: %s; retrying", pk, error)
        raise self.retry(
            exc=error, countdown=RETRY_COUNTDOWN_SECONDS
        ) from error
    return None if job is None else str(job.status)


@shared_task(name=contracts.IMPORTS_RESUME_TASK)
def imports_resume() -> int:
    """Queues every import that stalled; returns how many."""
    stalled = services.imports_stalled()
    for import_id in stalled:
        logger.warning("Import %s stalled; resuming it", import_id)
        import_apply.delay(str(import_id))
    return len(stalled)


@shared_task(
    bind=True,
    name=contracts.CREDIT_BATCH_APPLY_TASK,
    acks_late=True,
    max_retries=MAX_RETRIES,
)
def credit_batch_apply(self: Task, batch_id: str) -> str | None:
    """Applies a partner's credit batch (see ``services.batches``).

    Returns:
        The batch's status when the task ends, or None if there is no
        such batch (or the id is not one).
    """
    try:
        pk = uuid.UUID(batch_id)
    except (ValueError, TypeError, AttributeError):
        logger.exception("Dropping a batch task for %r", batch_id)
        return None
    try:
        batch = services.credit_batch_run(batch_id=pk)
    except (OperationalError, InterfaceError) as error:
        logger.warning("Batch %s: %s; retrying", pk, error)
        raise self.retry(
            exc=error, countdown=RETRY_COUNTDOWN_SECONDS
        ) from error
    return None if batch is None else str(batch.status)


@shared_task(name=contracts.CREDIT_BATCHES_RESUME_TASK)
def credit_batches_resume() -> int:
    """Queues every credit batch that stalled; returns how many."""
    stalled = services.credit_batches_stalled()
    for batch_id in stalled:
        logger.warning("Batch %s stalled; resuming it", batch_id)
        credit_batch_apply.delay(str(batch_id))
    return len(stalled)


@shared_task(name=contracts.WEBHOOKS_SEND_TASK)
def webhooks_send() -> int:
    """Sends the webhook deliveries that are due; returns how many.

    Queued when events commit, and by beat for the retries; workers that
    run it at once share the work (each delivery is taken by one).
    """
    return services.deliveries_send()


# Seconds verify_ledger's walk may take: a journal of millions of entries,
# far beyond the minute a task otherwise gets.
LEDGER_VERIFY_TIME_LIMIT = 3600


@shared_task(
    name=contracts.LEDGER_VERIFY_TASK,
    time_limit=LEDGER_VERIFY_TIME_LIMIT,
    soft_time_limit=LEDGER_VERIFY_TIME_LIMIT - 60,
)
def ledger_verify(run_id: str | None = None) -> int | None:
    """Runs ``verify_ledger``'s checks; returns how many failed.

    Beat sends it daily without a run (one is made), the admin's dashboard
    with the run staff asked for. Progress and outcome are on the run's
    row (``services.ledger_checks``) and become metrics; a failed check is
    logged by name, as the command prints it.

    Returns:
        How many checks failed; None when this task had nothing to run
        (another run under way, a malformed or unknown run id).
    """
    try:
        pk = None if run_id is None else uuid.UUID(run_id)
    except (ValueError, TypeError, AttributeError):
        logger.exception("Dropping a verify_ledger task for %r", run_id)
        return None
    run = services.ledger_check_run(run_id=pk)
    if run is None:
        return None
    if run.failed_checks:
        logger.error(
            "verify_ledger: checks failed: %s", ", ".join(run.failed_checks)
        )
    return len(run.failed_checks)
