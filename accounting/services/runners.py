"""One runner at a time for the work a worker may be handed twice.

An import or a credit batch is applied by a Celery task acknowledged late
and woken again by beat when it stalls: the same job can reach two workers
at once. Each run first takes the job for itself here; the second finds it
taken and leaves.
"""

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Iterator

from django.db import DatabaseError, connection
from django.utils import timezone

from accounting import models
from config.errors import Code
from config.idempotency import fingerprints

logger = logging.getLogger(__name__)

# Runs of one job that may end without finishing it (a killed worker, a
# database out): past them it fails, rather than run for ever.
MAX_ATTEMPTS = 10
# A job queued or running whose row has not moved for this long is woken
# again (its worker died, or its task was never queued).
STALL_SECONDS = 120


@contextlib.contextmanager
def sole_runner(kind: str, job_id: uuid.UUID) -> Iterator[bool]:
    """Holds a job for this runner alone, while it runs.

    A PostgreSQL advisory lock of the session: a second runner finds it
    taken and leaves; a runner that dies releases it with its connection.
    SQLite (the embedded default) runs one writer at a time: nothing to
    hold there.

    Args:
        kind: What the job is (``"import"``, ``"batch"``): ids of two kinds
            never share a lock.
        job_id: The job.

    Yields:
        Whether this runner holds the job.
    """
    if connection.vendor != "postgresql":  # pragma: no cover - SQLite only
        yield True
        return
    lock = fingerprints.lock_id(kind, str(job_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            # Gone with the connection if the database went away.
            with contextlib.suppress(DatabaseError), connection.cursor() as c:
                c.execute("SELECT pg_advisory_unlock(%s)", [lock])


def job_queue(task: str, job_id: uuid.UUID | None = None) -> None:
    """Queues a job's task; a broker out of reach is only logged.

    The task gets the job's id, if there is one. Beat wakes a queued job
    that nobody took (the ``*_stalled`` services), so a job whose task was
    never sent still runs.
    """
    # Imported here: ``config.celery`` sets Django up, which must not run
    # while the app registry loads (the admin imports the services).
    from config.celery import app  # noqa: PLC0415

    try:
        app.send_task(task, args=[] if job_id is None else [str(job_id)])
    except Exception:  # The job waits for the next wake-up.
        logger.warning(
            "%s %s not queued; it will be resumed", task, job_id, exc_info=True
        )


def attempt_start(job: models.Job) -> tuple[str, str] | None:
    """Counts a run of a job held by its sole runner; marks it running.

    Returns:
        None to go on; past :data:`MAX_ATTEMPTS`, the failure to end the
        job with (``code``, ``detail``): what it applied stays applied.
    """
    job.attempts += 1
    type(job).objects.filter(pk=job.pk).update(
        status=models.Job.Status.RUNNING,
        attempts=job.attempts,
        updated_at=timezone.now(),
    )
    if job.attempts <= MAX_ATTEMPTS:
        return None
    what = type(job)._meta.verbose_name
    return (
        Code.INTERNAL_ERROR,
        f"The {what} stopped {MAX_ATTEMPTS} times; what it applied stays "
        "applied.",
    )


def jobs_stalled(
    model: type[models.Job], *, now: dt.datetime | None = None
) -> list[uuid.UUID]:
    """Returns the jobs of a kind to wake, marked woken now.

    Queued or running, silent for :data:`STALL_SECONDS`. Marked, so that
    the next wake-up waits as long again before queueing them once more
    (a runner that still holds one makes the extra task leave at once).
    """
    now = now or timezone.now()
    since = now - dt.timedelta(seconds=STALL_SECONDS)
    status = models.Job.Status
    stalled = list(
        model.objects.filter(
            status__in=(status.QUEUED, status.RUNNING), updated_at__lt=since
        ).values_list("id", flat=True)
    )
    model.objects.filter(pk__in=stalled).update(updated_at=now)
    return stalled
