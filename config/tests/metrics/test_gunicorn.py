"""gunicorn's hooks: a folder per run, the master's server, dead workers."""

import os
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict, mmap_key

from config import gunicorn_conf
from config.metrics import gunicorn, multiprocess
from config.tests.metrics.support import free_port, scrape


class _Worker:
    """What gunicorn hands ``child_exit``: the worker, with its pid."""

    def __init__(self, pid):
        self.pid = pid


def test_nothing_without_a_port(monkeypatch, no_folder):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    gunicorn.on_starting(None)
    gunicorn.when_ready(None)
    gunicorn.child_exit(None, _Worker(1))
    gunicorn.on_exit(None)
    assert multiprocess.VARIABLE not in os.environ


def test_a_run_makes_serves_and_removes_its_folder(monkeypatch, no_folder):
    port = free_port()
    monkeypatch.setenv("METRICS_PORT", str(port))
    gunicorn.on_starting(None)
    folder = Path(os.environ[multiprocess.VARIABLE])
    assert folder.is_dir()
    # A worker's values, and its live gauge, in the folder (this process
    # stands for the worker: a live pid).
    worker = _Worker(os.getpid())
    for kind, name in (
        ("counter", "savings_w"),
        ("gauge_livesum", "savings_l"),
    ):
        values = MmapedDict(str(folder / f"{kind}_{worker.pid}.db"))
        values.write_value(mmap_key(name, name, [], [], "help"), 2.0, 0.0)
        values.close()
    gunicorn.when_ready(None)
    samples = scrape(port)
    assert samples["savings_w", frozenset()] == 2
    assert samples["savings_l", frozenset()] == 2
    # The worker exits: its live gauge goes, its counter stays.
    gunicorn.child_exit(None, worker)
    samples = scrape(port)
    assert ("savings_l", frozenset()) not in samples
    assert samples["savings_w", frozenset()] == 2
    gunicorn.on_exit(None)
    assert not folder.exists()


def test_a_given_folder_is_kept(tmp_path, monkeypatch, no_folder):
    monkeypatch.setenv("METRICS_PORT", str(free_port()))
    monkeypatch.setenv(multiprocess.VARIABLE, str(tmp_path))
    gunicorn.on_starting(None)
    gunicorn.on_exit(None)
    assert tmp_path.is_dir()


def test_gunicorn_reads_the_hooks_from_its_settings_module():
    assert gunicorn_conf.on_starting is gunicorn.on_starting
    assert gunicorn_conf.when_ready is gunicorn.when_ready
    assert gunicorn_conf.child_exit is gunicorn.child_exit
    assert gunicorn_conf.on_exit is gunicorn.on_exit
