"""The folder where a server's worker processes leave their metrics.

gunicorn (users, accounting) and uvicorn with ``GATEWAY_WORKERS`` > 1 run
several processes behind one port; Prometheus scrapes one of them. In
prometheus_client's multiprocess mode each process writes its values to
files in ``PROMETHEUS_MULTIPROC_DIR`` and the one that serves reads them
all. The variable must be set before prometheus_client is first imported
(it picks its value store then), so this module never imports it.

Each run gets a folder of its own, empty at start: values a previous run
left would be summed with this one's.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_PREFIX = "savings-metrics-"


def wanted() -> bool:
    """Whether this process serves metrics at all (``METRICS_PORT`` set)."""
    return bool(os.environ.get("METRICS_PORT"))


def directory_prepare() -> Path:
    """Sets up the folder of a server whose master runs no request (gunicorn).

    ``PROMETHEUS_MULTIPROC_DIR`` when set (a mounted volume), emptied;
    otherwise a new temporary folder. The workers it forks inherit the
    variable.

    Returns:
        The folder.
    """
    given = os.environ.get(VARIABLE)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix=_PREFIX))
    os.environ[VARIABLE] = str(path)
    return path


def directory_remove(path: Path) -> None:
    """Removes a run's folder once its server stopped (nothing reads it)."""
    shutil.rmtree(path, ignore_errors=True)


def _started(pid: int) -> str:
    """Returns when a process started (clock ticks since boot), or ``0``.

    With the pid it names one run of a process: pids are reused, start
    times of one pid are not. Read from ``/proc`` (Linux); elsewhere the
    pid alone names the run.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "0"
    # The command may hold spaces and parentheses: fields follow the last.
    return stat.rsplit(")", 1)[1].split()[19]


def _gone_remove(parent: Path) -> None:
    """Removes the folders of uvicorn runs that are over.

    A supervisor runs none of the project's code, so none removes its own.
    """
    for path in parent.glob(f"{_PREFIX}*-*"):
        pid, _, started = path.name.removeprefix(_PREFIX).partition("-")
        if pid.isdigit() and _started(int(pid)) != started:
            directory_remove(path)


def worker_directory() -> Path | None:
    """Sets up the folder of a uvicorn worker, shared with its siblings.

    uvicorn's supervisor runs none of the project's code, so its workers
    (spawned by :mod:`multiprocessing`) agree on a folder named after it:
    its pid and start time, new for each run of the server. A process
    that is not such a worker (one uvicorn process) needs none.

    Returns:
        The folder (``PROMETHEUS_MULTIPROC_DIR`` if set), or None outside
        a multi-process server.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return None
    given = os.environ.get(VARIABLE)
    if given:
        return Path(given)
    run = f"{parent.pid}-{_started(parent.pid)}"
    path = Path(tempfile.gettempdir()) / f"{_PREFIX}{run}"
    _gone_remove(path.parent)
    path.mkdir(exist_ok=True)
    os.environ[VARIABLE] = str(path)
    return path


def uvicorn_serve() -> None:
    """Serves the gateway's metrics from a uvicorn process, if wanted.

    One process serves its own; workers of one supervisor share their
    folder and take turns at the port
    (:func:`config.metrics.exposition.serve_eventually`). Called before
    Django is set up, which defines the metrics.
    """
    if not wanted():
        return
    siblings = worker_directory() is not None
    # Only once the folder is named (see the module's docstring).
    from config.metrics import exposition  # noqa: PLC0415

    if siblings:
        exposition.serve_eventually()
    else:
        exposition.start()
