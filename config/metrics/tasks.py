"""Celery's side: task times, failures and retries; the worker's server.

A worker runs the threads pool in one process, so it serves its own
registry: the server starts when the worker does (``worker_init``), and
beat's when beat does (``beat_init``). Connected by ``config/celery.py``.
"""

import threading
import time
from typing import Any

from celery import signals
from django.conf import settings

from config.metrics import definitions, exposition, pools

# When each running task started, by task id (the pool's threads share it).
_started: dict[str, float] = {}
_lock = threading.Lock()


def _serve(**kwargs: Any) -> None:
    """Starts the process's metrics server (if ``METRICS_PORT`` is set)."""
    del kwargs
    exposition.start()


def _task_started(*, task_id: str, **kwargs: Any) -> None:
    """Notes when a task starts."""
    del kwargs
    with _lock:
        _started[task_id] = time.perf_counter()


def _task_ended(*, task_id: str, task: Any, **kwargs: Any) -> None:
    """Times a task that ended, whatever its outcome."""
    del kwargs
    with _lock:
        began = _started.pop(task_id, None)
    if began is not None:
        definitions.TASK_DURATION.labels(task.name).observe(
            time.perf_counter() - began
        )
    pools.observe(settings.SERVICE_NAME)


def _task_failed(*, sender: Any, **kwargs: Any) -> None:
    """Counts a task that raised."""
    del kwargs
    definitions.TASK_FAILURES.labels(sender.name).inc()


def _task_retried(*, sender: Any, **kwargs: Any) -> None:
    """Counts a task that asked to run again."""
    del kwargs
    definitions.TASK_RETRIES.labels(sender.name).inc()


_HANDLERS = (
    (signals.worker_init, _serve),
    (signals.beat_init, _serve),
    (signals.task_prerun, _task_started),
    (signals.task_postrun, _task_ended),
    (signals.task_failure, _task_failed),
    (signals.task_retry, _task_retried),
)


def connect() -> None:
    """Connects the handlers to Celery's signals (once, whoever asks)."""
    for signal, handler in _HANDLERS:
        signal.connect(handler, weak=False, dispatch_uid=handler.__qualname__)
