"""Real processes of the Procfile, each with its metrics port.

Each test runs one Procfile line (the same command ``make run`` runs) on
ports the kernel picks, on fresh databases and a vhost of this suite's
(``METRICS_TEST_USERS_DB``, ``METRICS_TEST_ACCOUNTING_DB``,
``METRICS_TEST_VHOST`` name others), then scrapes it as Prometheus would.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from honcho.environ import parse_procfile
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import (
    REPO_DIR,
    interrupt,
    kill_marked,
    log_tail,
    manage,
    platform_env,
    reset_database,
    reset_vhost,
    wait_until,
)

PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
USERS_DB = os.environ.get("METRICS_TEST_USERS_DB", "metrics_users")
ACCOUNTING_DB = os.environ.get(
    "METRICS_TEST_ACCOUNTING_DB", "metrics_accounting"
)
VHOST = os.environ.get("METRICS_TEST_VHOST", "savings_metrics")
PROCFILE = parse_procfile((REPO_DIR / "Procfile").read_text()).processes


def free_port() -> int:
    """Returns a port nothing listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrape(port: int) -> dict[tuple[str, frozenset], float] | None:
    """Every sample served on the port, or None while nothing listens."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.TransportError:
        return None
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(samples: dict, name: str, **labels: str) -> float:
    """One sample's value, 0 when the series does not exist (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="session")
def run_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Fresh databases, migrated; the vhost; secrets in a run folder."""
    run_dir = tmp_path_factory.mktemp("metrics-run")
    for name in (USERS_DB, ACCOUNTING_DB):
        reset_database(PG_URL, name)
    # rabbitmqctl here, the management API when the broker is elsewhere (CI).
    reset_vhost(VHOST)
    env = platform_env(
        f"METRICS_TEST_RUN={uuid.uuid4().hex}",
        run_dir=run_dir,
        ports=(free_port(), free_port(), free_port()),
        USERS_DATABASE_URL=f"{PG_URL}/{USERS_DB}",
        ACCOUNTING_DATABASE_URL=f"{PG_URL}/{ACCOUNTING_DB}",
        CELERY_BROKER_URL=f"{AMQP_URL}/{VHOST}",
    )
    subprocess.run(
        [sys.executable, "-m", "config.bootstrap", str(run_dir)],
        cwd=REPO_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    for settings in ("users", "accounting"):
        done = manage(env, settings, "migrate", "--no-input")
        assert done.returncode == 0, done.stdout + done.stderr
    return env


class Process:
    """One Procfile line running, its log, and its metrics port."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self.env = env
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                ["/bin/sh", "-c", PROCFILE[name]],
                cwd=REPO_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def scrape(self, port: int, *, until=bool, timeout: float = 60) -> dict:
        """Scrapes until ``until(samples)`` holds; fails if the process dies."""

        def probe():
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited:\n{log_tail(self.log)}")
            samples = scrape(port)
            return samples if samples is not None and until(samples) else None

        return wait_until(probe, timeout=timeout, what=f"{self.name} metrics")

    def stop(self) -> None:
        """Ctrl-C, then SIGKILL for anything left of the run."""
        if interrupt(self.popen, timeout=30) is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


@pytest.fixture
def start(run_env, tmp_path) -> Iterator:
    """Starts Procfile lines with the test's settings; stops them all."""
    started: list[Process] = []
    marker = f"METRICS_TEST_PROCESS={uuid.uuid4().hex}"

    def run(name: str, **settings: str) -> Process:
        key, value = marker.split("=", 1)
        env = {**run_env, key: value, **settings}
        process = Process(name, env, tmp_path / f"{name}.log")
        started.append(process)
        return process

    yield run
    for process in started:
        process.stop()
    kill_marked(marker)
