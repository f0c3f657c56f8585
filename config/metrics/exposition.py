"""The metrics server: ``/metrics`` on ``METRICS_BIND:METRICS_PORT``.

Never the service's own port: the gateway's is public, and a metric may
tell what the public must not see (volumes, error rates). ``METRICS_PORT``
unset means no server (tests, one-off commands); ``METRICS_BIND`` is
127.0.0.1 unless a container says 0.0.0.0.

One process per server answers. A single process (a Celery worker, beat,
one uvicorn process) serves its own registry. Worker processes of one
server (:mod:`config.metrics.multiprocess`) serve the sum of their files:
gunicorn's master serves it; uvicorn's workers race for the port and the
others try again every few seconds, so that one takes over when the one
that serves dies.
"""

import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    multiprocess,
    start_http_server,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from config.metrics.multiprocess import VARIABLE

logger = logging.getLogger(__name__)

# Seconds between a uvicorn worker's tries to take the port.
RETRY_SECONDS = 5.0


def address() -> tuple[str, int] | None:
    """Returns ``(METRICS_BIND, METRICS_PORT)``, or None without a port."""
    port = os.environ.get("METRICS_PORT")
    if not port:
        return None
    return os.environ.get("METRICS_BIND", "127.0.0.1"), int(port)


class _LiveProcesses(multiprocess.MultiProcessCollector):
    """The sum of a folder's files, without the gauges of dead processes.

    A process that died (a worker killed, recycled) leaves its live
    gauges behind; they are dropped before each collection. Counters and
    histograms of the dead stay: a counter never goes back.
    """

    def collect(self) -> Iterable[Metric]:
        """Drops dead processes' live gauges, then reads every file."""
        for pid in _pids(Path(self._path)):
            if not _alive(pid):
                multiprocess.mark_process_dead(pid, self._path)
        return super().collect()


def _pids(path: Path) -> set[int]:
    """Returns the pids that wrote live gauges to the folder."""
    return {
        int(name.stem.rsplit("_", 1)[1])
        for name in path.glob("gauge_live*_*.db")
    }


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover (another user's pid)
        return True
    return True


def registry(collectors: Iterable[Collector] = ()) -> CollectorRegistry:
    """Returns what this process serves: its own, or its workers' sum.

    Args:
        collectors: More to serve (the outboxes' backlog).
    """
    chosen = CollectorRegistry()
    path = os.environ.get(VARIABLE)
    if path:
        _LiveProcesses(chosen, path=path)
    else:
        chosen.register(REGISTRY)
    for collector in collectors:
        chosen.register(collector)
    return chosen


def serve(collectors: Iterable[Collector] = ()) -> WSGIServer | None:
    """Serves metrics if ``METRICS_PORT`` says so.

    Args:
        collectors: More to serve than the metrics of
            :mod:`config.metrics.definitions`.

    Returns:
        The server now serving them, or None without a port.

    Raises:
        OSError: The port is taken (or the address is wrong).
    """
    where = address()
    if where is None:
        return None
    bind, port = where
    server, _ = start_http_server(
        port, addr=bind, registry=registry(collectors)
    )
    logger.info("Metrics on http://%s:%d/metrics", bind, port)
    return server


def start(collectors: Iterable[Collector] = ()) -> WSGIServer | None:
    """Serves metrics if asked, or logs why it cannot.

    A taken metrics port must not stop the service itself (two stacks on
    one machine, a port already in use): it serves without metrics, and
    the scrape's ``up`` says so.

    Args:
        collectors: As for :func:`serve`.

    Returns:
        The server, or None.
    """
    try:
        return serve(collectors)
    except OSError:
        logger.exception("Cannot serve metrics on %s:%s", *address())
        return None


def serve_eventually(stop: threading.Event | None = None) -> threading.Thread:
    """Serves metrics from one of several sibling processes (uvicorn's).

    Tries the port now, then every :data:`RETRY_SECONDS` while a sibling
    holds it, in a daemon thread.

    Args:
        stop: Ends the tries when set (tests).

    Returns:
        The thread trying.
    """
    stop = stop or threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                serve()
            except OSError:
                stop.wait(RETRY_SECONDS)
            else:
                return

    thread = threading.Thread(target=run, name="metrics-server", daemon=True)
    thread.start()
    return thread
