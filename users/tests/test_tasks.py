"""Celery entry points: thin wrappers over the services."""

import datetime as dt
from collections.abc import Callable

import pytest
from django.conf import settings
from django.utils import timezone

from config import contracts
from config.celery import app as celery_app
from users import services, tasks
from users.models import IdempotencyKey, OutboxEvent
from users.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_tasks_are_registered_under_their_contract_names() -> None:
    assert contracts.OUTBOX_SWEEP_TASK in celery_app.tasks
    assert settings.IDEMPOTENCY_PURGE_TASK in celery_app.tasks
    assert (
        celery_app.amqp.router.route({}, contracts.OUTBOX_SWEEP_TASK)[
            "queue"
        ].name
        == contracts.USERS_QUEUE
    )


def test_outbox_sweep_publishes_old_pending_events(
    accounting_queue: Callable,
) -> None:
    services.user_create(email="ada@example.com", password=PASSWORD)
    OutboxEvent.objects.update(
        created_at=timezone.now() - dt.timedelta(minutes=1)
    )

    assert tasks.outbox_sweep() == 1
    assert tasks.outbox_sweep() == 0
    assert len(accounting_queue()) == 1


def test_idempotency_keys_purge_drops_expired_keys() -> None:
    IdempotencyKey.objects.create(
        key="old",
        request_hash="0" * 64,
        response_body={},
        created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL,
    )
    IdempotencyKey.objects.create(
        key="new", request_hash="0" * 64, response_body={}
    )

    assert tasks.idempotency_keys_purge() == 1
    assert IdempotencyKey.objects.get().key == "new"
