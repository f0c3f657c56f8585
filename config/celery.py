"""The Celery app shared by every service's workers and beat.

Configured from the Django settings of the service it runs for (namespace
``CELERY_``), so start it with ``DJANGO_SETTINGS_MODULE`` set::

    DJANGO_SETTINGS_MODULE=config.accounting.settings \
        celery -A config.celery worker -Q accounting

JSON only, late acknowledgement (a task lost with its worker is redelivered),
publisher confirms on RabbitMQ, durable quorum queues, time limits. Tasks
are found in the installed apps' ``tasks.py``. Every task is timed and
its failures and retries counted, and each worker and beat serve their
metrics when ``METRICS_PORT`` says so (:mod:`config.metrics.tasks`).

Logging stays the service's (``settings.LOGGING``, ``config.logs``):
answering Celery's ``setup_logging`` signal keeps Celery from adding
handlers and formats of its own, so a worker's lines, JSON or text, look
like the web processes' and carry the request id of the task
(``config.task_request_ids``). ``--loglevel`` still sets the level.
"""

import logging
from typing import Any

import django
from celery import Celery, signals
from django.conf import settings

from config import task_request_ids, tracing
from config.metrics import tasks as task_metrics

django.setup()


def keep_service_logging(*, loglevel: int | None = None, **kwargs: Any) -> None:
    """Leaves logging as Django configured it; sets the level asked for.

    Args:
        loglevel: The worker's or beat's ``--loglevel``, if given.
        **kwargs: The rest of ``setup_logging``.
    """
    del kwargs
    if loglevel:
        logging.getLogger().setLevel(loglevel)


signals.setup_logging.connect(
    keep_service_logging, weak=False, dispatch_uid="service_logging"
)
task_request_ids.connect()
tracing.setup(service=settings.SERVICE_NAME)

app = Celery("savings")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
task_metrics.connect()
