"""Celery entry points of the users service (worker ``-Q users``, beat).

Thin: each task calls one service. Beat runs them on the schedule in
``config/users/settings.py``.
"""

import logging

from celery import shared_task
from django.conf import settings

from config import contracts
from users import services

logger = logging.getLogger(__name__)


@shared_task(name=contracts.OUTBOX_SWEEP_TASK)
def outbox_sweep() -> int:
    """Republishes pending user events; returns how many were sent."""
    published = services.outbox_sweep()
    if published:
        logger.info("Outbox sweep published %d user event(s).", published)
    return published


@shared_task(name=settings.IDEMPOTENCY_PURGE_TASK)
def idempotency_keys_purge() -> int:
    """Deletes expired sign-up idempotency keys; returns how many."""
    return services.idempotency_keys_purge(
        older_than=settings.IDEMPOTENCY_KEY_TTL
    )
