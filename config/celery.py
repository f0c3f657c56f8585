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
"""

import django
from celery import Celery

from config.metrics import tasks as task_metrics

django.setup()

app = Celery("savings")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
task_metrics.connect()
