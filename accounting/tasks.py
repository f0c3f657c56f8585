"""Celery entry points of the accounting worker (thin: parse, call).

The user-event task is acknowledged late (a message lost with its worker is
redelivered) and idempotent (the service records event ids), so at-least-
once delivery applies each event exactly once. A transient database error
is retried after a short pause; a malformed event is logged and dropped,
since no retry can fix it.
"""

import logging
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
