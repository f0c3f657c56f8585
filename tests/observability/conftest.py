"""Real processes with ``LOG_FORMAT=json``: what their output looks like.

Each test starts one server or worker the way the Procfile does, with its
output in a file, talks to it, stops it with SIGTERM (as the supervisor
and Kubernetes do) and reads every line it wrote. The stores are the
environment's (``USERS_DATABASE_URL``, ``ACCOUNTING_DATABASE_URL``,
``CELERY_BROKER_URL``: the Makefile's ``observability`` target names a
vhost of its own); the servers listen on free ports of 127.0.0.1.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_DIR, log_tail, port_open, wait_until


def free_port() -> int:
    """Returns a TCP port of 127.0.0.1 nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def json_lines(path: Path, *, unlogged: tuple[str, ...] = ()) -> list[dict]:
    """Parses every line of a process's output; fails on one not JSON.

    Args:
        path: The output.
        unlogged: Lines a library prints itself, bypassing logging (they
            are checked to be there, then left out).
    """
    text = path.read_text()
    for notice in unlogged:
        assert notice in text, notice
        text = text.replace(notice, "")
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            lines.append(json.loads(line))
        except ValueError:
            pytest.fail(f"line {number} of {path} is not JSON: {line!r}")
    return lines


class Process:
    """One process of the platform, its output in a file."""

    def __init__(self, log: Path, args: list[str], env: dict[str, str]):
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                args,
                cwd=REPO_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_for(self, probe, *, what: str, timeout: float = 60):
        """Waits for a probe, showing the output if the process died."""

        def alive_probe():
            if self.popen.poll() is not None:
                pytest.fail(f"{what}: it exited\n{log_tail(self.log)}")
            return probe()

        return wait_until(alive_probe, timeout=timeout, what=what)

    def stop(self) -> None:
        """SIGTERM to its group; killed if still there after 30 s."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a process: this one's, JSON logs, no tracing."""
    venv_bin = str(Path(sys.executable).parent)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    """Starts processes; stops every one at the end of the test."""
    started: list[Process] = []

    def run(name: str, args: list[str], env: dict[str, str]) -> Process:
        process = Process(tmp_path / f"{name}.log", args, env)
        started.append(process)
        return process

    yield run
    for process in started:
        process.stop()


def listening(port: int):
    """Returns a probe: is something accepting on the port?"""
    return lambda: port_open(port)
