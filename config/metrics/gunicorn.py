"""gunicorn's hooks for users and accounting: one metrics server per run.

Named by gunicorn's settings module, ``config/gunicorn_conf.py`` (``-c
python:config.gunicorn_conf`` in the Procfile and docker/entrypoint-
web.sh). With
``METRICS_PORT`` set, the master (which serves no request) prepares a
folder for its workers' values before it forks them
(:mod:`config.metrics.multiprocess`), serves their sum with the outboxes'
backlog, drops the live gauges of each worker that exits, and removes the
folder it made when it stops. Without it, the hooks do nothing.

prometheus_client and Django are imported inside the hooks: the
folder must be named before prometheus_client is first imported.
"""

import os
from pathlib import Path
from typing import Any

from config.metrics import multiprocess

# The folder this master made (None: none made, or one it was given).
_made: list[Path] = []


def on_starting(server: Any) -> None:
    """Prepares the workers' folder before anything imports the client."""
    del server
    if multiprocess.wanted():
        given = multiprocess.VARIABLE in os.environ
        path = multiprocess.directory_prepare()
        if not given:
            _made.append(path)


def when_ready(server: Any) -> None:
    """Starts the master's metrics server, before the workers fork."""
    del server
    if not multiprocess.wanted():
        return
    import django  # noqa: PLC0415 (after on_starting, see the docstring)

    django.setup()
    from config.metrics import exposition, outbox  # noqa: PLC0415

    exposition.start(outbox.collectors())


def child_exit(server: Any, worker: Any) -> None:
    """Drops the live gauges of a worker that exited."""
    del server
    if not multiprocess.wanted():
        return
    from prometheus_client import multiprocess as files  # noqa: PLC0415

    files.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """Removes the folder this master made."""
    del server
    while _made:
        multiprocess.directory_remove(_made.pop())
