"""The folder a server's processes share: one per run, empty at start."""

import multiprocessing
import os
from pathlib import Path

import httpx

from config.metrics import multiprocess
from config.tests.metrics.support import free_port, scrape, wait_until


def test_wanted_follows_the_port(monkeypatch):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    assert not multiprocess.wanted()
    monkeypatch.setenv("METRICS_PORT", "9100")
    assert multiprocess.wanted()


def test_a_new_folder_for_each_run(no_folder):
    first = multiprocess.directory_prepare()
    assert os.environ[multiprocess.VARIABLE] == str(first)
    os.environ.pop(multiprocess.VARIABLE)
    second = multiprocess.directory_prepare()
    try:
        assert first != second
        assert first.is_dir()
        assert not list(second.iterdir())
    finally:
        multiprocess.directory_remove(first)
        multiprocess.directory_remove(second)
    assert not first.exists()


def test_a_given_folder_is_emptied_of_values(tmp_path, monkeypatch, no_folder):
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old")
    (given / "README").write_text("kept")
    monkeypatch.setenv(multiprocess.VARIABLE, str(given))
    assert multiprocess.directory_prepare() == given
    assert sorted(p.name for p in given.iterdir()) == ["README"]


def test_a_process_start_time_names_its_run():
    mine = multiprocess._started(os.getpid())
    assert mine.isdigit()
    assert mine != "0"
    # No such process: no start time.
    assert multiprocess._started(2**22 + 1) == "0"


class _Parent:
    """The supervisor a uvicorn worker has (multiprocessing's handle)."""

    def __init__(self, pid):
        self.pid = pid


def test_one_process_needs_no_folder(no_folder):
    assert multiprocessing.parent_process() is None
    assert multiprocess.worker_directory() is None
    assert multiprocess.VARIABLE not in os.environ


def test_workers_of_one_supervisor_share_a_folder(no_folder, monkeypatch):
    # This test's process stands for the supervisor: alive, with a start.
    parent = _Parent(os.getpid())
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: parent)
    folder = multiprocess.worker_directory()
    try:
        started = multiprocess._started(os.getpid())
        assert folder.name == f"savings-metrics-{os.getpid()}-{started}"
        assert os.environ[multiprocess.VARIABLE] == str(folder)
        # A sibling finds the variable already set (inherited or not).
        assert multiprocess.worker_directory() == folder
    finally:
        multiprocess.directory_remove(folder)


def test_folders_of_finished_runs_are_removed(no_folder, monkeypatch):
    base = Path(multiprocess.tempfile.gettempdir())
    gone = base / "savings-metrics-4194305-77"  # no such pid
    restarted = base / f"savings-metrics-{os.getpid()}-1"  # pid reused
    gunicorns = base / "savings-metrics-abcdefgh"  # not a uvicorn run's
    # A run still going (this process's pid and start: alive).
    going = base / (
        f"savings-metrics-{os.getpid()}-{multiprocess._started(os.getpid())}"
    )
    for path in (gone, restarted, gunicorns, going):
        path.mkdir(exist_ok=True)
    parent = _Parent(os.getpid())
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: parent)
    folder = multiprocess.worker_directory()
    try:
        assert not gone.exists()
        assert not restarted.exists()
        assert gunicorns.exists()
        assert going.exists()
        assert folder == going
    finally:
        for path in (gunicorns, folder):
            multiprocess.directory_remove(path)


def test_uvicorn_serve_does_nothing_without_a_port(no_folder, monkeypatch):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    multiprocess.uvicorn_serve()
    assert multiprocess.VARIABLE not in os.environ


def test_one_uvicorn_process_serves_its_own(no_folder, monkeypatch):
    port = free_port()
    monkeypatch.setenv("METRICS_PORT", str(port))
    multiprocess.uvicorn_serve()
    # Its own registry: the process's own metrics are there.
    assert any(name == "python_info" for name, _ in scrape(port))
    assert multiprocess.VARIABLE not in os.environ


def test_uvicorn_workers_serve_their_folder(no_folder, monkeypatch):
    parent = _Parent(os.getpid())
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: parent)
    port = free_port()
    monkeypatch.setenv("METRICS_PORT", str(port))
    multiprocess.uvicorn_serve()
    folder = Path(os.environ[multiprocess.VARIABLE])
    try:
        # The sum of the folder's files (none yet): not this process's.
        wait_until(lambda: _scraped(port) is not None, timeout=5)
        assert not any(name == "python_info" for name, _ in scrape(port))
    finally:
        multiprocess.directory_remove(folder)


def _scraped(port):
    """Returns a scrape, or None while nothing listens yet."""
    try:
        return scrape(port)
    except httpx.ConnectError:
        return None
