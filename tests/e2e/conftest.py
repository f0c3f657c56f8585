"""The end-to-end stack: fresh stores, then the same Procfile as `make run`.

One session starts the platform as it runs in production, minus Docker:
PostgreSQL databases ``e2e_users`` and ``e2e_accounting`` (dropped and
created again), two Redis databases (emptied), a RabbitMQ vhost
``savings_e2e`` (deleted and created again, so no message of an earlier run
is left), migrations and demo data, then the Procfile under the
supervisor ``scripts/procs.py`` (as ``make run``) in a process group of its
own on ports 18000-18002. Tests talk to the gateway only, as a client would;
at the end the stack gets SIGINT, as a developer's Ctrl-C, and must stop by
itself.

Where the servers are comes from the environment the Makefile and CI use:

- ``PG_URL``: PostgreSQL server, default ``postgres://postgres@127.0.0.1:5432``;
- ``AMQP_URL``: RabbitMQ, default ``amqp://guest:guest@127.0.0.1:5672``;
- ``REDIS_URL``: Redis, default ``redis://127.0.0.1:6379`` (databases 6, the
  cache, and 7, the gateway's channel layer, are emptied first);
- ``RABBITMQ_API_URL``: the management HTTP API of a RabbitMQ this machine
  cannot run ``rabbitmqctl`` against (a CI service container). Unset, the
  vhost is reset and the broker restarted with ``rabbitmqctl``.

Process output goes to ``$VAR_DIR/e2e/procs.log``; a failing test shows its
tail.
"""

import dataclasses
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import psycopg
import pytest
import redis
from psycopg import sql

from tests.conftest import (
    REPO_DIR,
    interrupt,
    kill_marked,
    log_tail,
    marked_pids,
    port_open,
    wait_until,
)

PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
RABBITMQ_API_URL = os.environ.get("RABBITMQ_API_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
REDIS_CACHE_URL = f"{REDIS_URL}/6"
REDIS_CHANNELS_URL = f"{REDIS_URL}/7"

USERS_DB = "e2e_users"
ACCOUNTING_DB = "e2e_accounting"
VHOST = "savings_e2e"
GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT = 18000, 18001, 18002

RUN_DIR = Path(os.environ.get("VAR_DIR", REPO_DIR / "var")).resolve() / "e2e"
PROCS_LOG = RUN_DIR / "procs.log"
SETUP_LOG = RUN_DIR / "setup.log"

START_TIMEOUT = 90
STOP_TIMEOUT = 30


class RabbitMQ:
    """Resets the e2e vhost and interrupts the broker.

    Locally through ``rabbitmqctl`` (a real ``stop_app``/``start_app``);
    against a broker in another container through its management API, where
    an outage is every client connection of the vhost being cut for a while.
    """

    def __init__(self, api_url: str, amqp_url: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.user = urlsplit(amqp_url).username or "guest"

    def _ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            ["rabbitmqctl", "-q", *args],
            check=check,
            capture_output=True,
            timeout=120,
        )

    def _api(self) -> httpx.Client:
        parts = urlsplit(self.api_url)
        return httpx.Client(
            base_url=f"{parts.scheme}://{parts.hostname}:{parts.port}/api",
            auth=(parts.username or "guest", parts.password or "guest"),
            timeout=30,
        )

    def reset_vhost(self, vhost: str) -> None:
        """Deletes the vhost with its queues and creates it again, empty."""
        permissions = {"configure": ".*", "write": ".*", "read": ".*"}
        if not self.api_url:
            self._ctl("delete_vhost", vhost, check=False)
            self._ctl("add_vhost", vhost)
            self._ctl(
                "set_permissions", "-p", vhost, self.user, *permissions.values()
            )
            return
        name = quote(vhost, safe="")
        with self._api() as api:
            api.delete(f"/vhosts/{name}")
            api.put(f"/vhosts/{name}").raise_for_status()
            api.put(
                f"/permissions/{name}/{self.user}",
                json=permissions,
            ).raise_for_status()

    def outage(self, seconds: float) -> None:
        """Takes the broker away for ``seconds``, then waits until it is back.

        Args:
            seconds: How long clients find no broker.
        """
        if not self.api_url:
            self._ctl("stop_app")
            try:
                time.sleep(seconds)
            finally:
                self._ctl("start_app")
                self._ctl("await_startup")
            return
        deadline = time.monotonic() + seconds
        with self._api() as api:
            while time.monotonic() < deadline:
                connections = api.get(
                    f"/vhosts/{quote(VHOST, safe='')}/connections"
                ).json()
                for connection in connections:
                    api.delete(
                        f"/connections/{quote(connection['name'], safe='')}"
                    )
                time.sleep(0.2)


def reset_redis(*urls: str) -> None:
    """Empties the Redis databases of the stack (cache, channel layer)."""
    for url in urls:
        with redis.Redis.from_url(url) as client:
            client.flushdb()


def reset_database(name: str) -> None:
    """Drops the database (closing its sessions) and creates it empty."""
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@dataclasses.dataclass(frozen=True)
class Stack:
    """The running platform, as the tests see it.

    Attributes:
        gateway: Base URL of the public API (``.../api/v1``).
        origin: Scheme, host and port of the gateway.
        env: The environment every process of the stack runs with.
        accounting_db: URL of the accounting database, for the checks
            no public endpoint can make.
        broker: Control over RabbitMQ.
    """

    gateway: str
    origin: str
    env: dict[str, str]
    accounting_db: str
    broker: RabbitMQ

    def manage(self, settings: str, *args: str) -> subprocess.CompletedProcess:
        """Runs ``manage.py`` for one service against the e2e stores.

        Args:
            settings: ``users``, ``accounting`` or ``integration``.
            *args: The command and its arguments.

        Returns:
            The finished process, with its output captured.
        """
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            check=False,
            cwd=REPO_DIR,
            env={
                **self.env,
                "DJANGO_SETTINGS_MODULE": f"config.{settings}.settings",
            },
            capture_output=True,
            text=True,
            timeout=300,
        )


def _stack_env(marker: str) -> dict[str, str]:
    """The environment of every process: nothing inherited but the basics."""
    venv_bin = str(Path(sys.executable).parent)
    name, value = marker.split("=", 1)
    return {
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        name: value,
        "VAR_DIR": str(RUN_DIR),
        "USERS_DATABASE_URL": f"{PG_URL}/{USERS_DB}",
        "ACCOUNTING_DATABASE_URL": f"{PG_URL}/{ACCOUNTING_DB}",
        "CELERY_BROKER_URL": f"{AMQP_URL}/{VHOST}",
        # The real stack's shared stores: a staff change in one process
        # is seen by all, and sockets of every gateway worker get events.
        "CACHE_URL": REDIS_CACHE_URL,
        "CHANNEL_LAYER_URL": REDIS_CHANNELS_URL,
        "GATEWAY_WORKERS": "2",
        "OUTBOX_SWEEP_INTERVAL": "2",
        "AUTH_THROTTLE_RATE": "1000/min",
        "GATEWAY_PORT": str(GATEWAY_PORT),
        "USERS_PORT": str(USERS_PORT),
        "ACCOUNTING_PORT": str(ACCOUNTING_PORT),
        "USERS_SERVICE_URL": f"http://127.0.0.1:{USERS_PORT}",
        "ACCOUNTING_SERVICE_URL": f"http://127.0.0.1:{ACCOUNTING_PORT}",
    }


def _prepare(stack: Stack) -> None:
    """Secrets, migrations, demo data and static files, logged to a file."""
    steps = [
        ("users", "migrate", "--no-input"),
        ("accounting", "migrate", "--no-input"),
        ("users", "seed_demo"),
        ("accounting", "seed_demo"),
        ("integration", "collectstatic", "--no-input", "-v", "0"),
        ("users", "collectstatic", "--no-input", "-v", "0"),
        ("accounting", "collectstatic", "--no-input", "-v", "0"),
    ]
    subprocess.run(
        [sys.executable, "-m", "config.bootstrap", str(RUN_DIR)],
        cwd=REPO_DIR,
        env=stack.env,
        check=True,
    )
    with SETUP_LOG.open("w") as log:
        for settings, *args in steps:
            done = stack.manage(settings, *args)
            log.write(f"$ {settings}: manage.py {' '.join(args)}\n")
            log.write(done.stdout + done.stderr)
            if done.returncode:
                pytest.fail(
                    f"{settings} manage.py {' '.join(args)} failed:\n"
                    f"{done.stdout}{done.stderr}"
                )


def _wait_ready(process: subprocess.Popen, origin: str) -> None:
    """Waits until the gateway says every service is ready."""

    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(
                f"the supervisor exited with {process.returncode} while "
                "starting:\n" + log_tail(PROCS_LOG)
            )
        try:
            return httpx.get(f"{origin}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, timeout=START_TIMEOUT, what="the gateway's /readyz")


def _stop(process: subprocess.Popen, marker: str) -> None:
    """Ctrl-C for the stack; fails the session if it does not stop alone."""
    status = interrupt(process, timeout=STOP_TIMEOUT)
    deadline = time.monotonic() + 15
    while marked_pids(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = kill_marked(marker)
    if status is None or leftovers:
        process.kill()
        process.wait()
        pytest.fail(
            f"the stack did not stop on SIGINT (supervisor status {status}, "
            f"killed {leftovers}):\n{log_tail(PROCS_LOG)}"
        )


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Starts the whole platform once per session and stops it at the end."""
    busy = [
        port
        for port in (GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT)
        if port_open(port)
    ]
    if busy:
        pytest.fail(f"ports {busy} are in use: is an earlier run still up?")
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    marker = f"SAVINGS_E2E_RUN={uuid.uuid4().hex}"
    origin = f"http://127.0.0.1:{GATEWAY_PORT}"
    stack = Stack(
        gateway=f"{origin}/api/v1",
        origin=origin,
        env=_stack_env(marker),
        accounting_db=f"{PG_URL}/{ACCOUNTING_DB}",
        broker=RabbitMQ(RABBITMQ_API_URL, AMQP_URL),
    )
    reset_database(USERS_DB)
    reset_database(ACCOUNTING_DB)
    stack.broker.reset_vhost(VHOST)
    reset_redis(REDIS_CACHE_URL, REDIS_CHANNELS_URL)
    _prepare(stack)

    with PROCS_LOG.open("wb") as log:
        # -e /dev/null: a developer's .env must not redirect the e2e run.
        process = subprocess.Popen(
            [
                sys.executable,
                "scripts/procs.py",
                "-f",
                "Procfile",
                "-e",
                "/dev/null",
                "start",
            ],
            cwd=REPO_DIR,
            env=stack.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(process, origin)
        yield stack
    finally:
        _stop(process, marker)


@pytest.fixture(scope="session")
def api(stack: Stack) -> Iterator[httpx.Client]:
    """An HTTP client for the public API (``/api/v1``)."""
    with httpx.Client(base_url=stack.gateway, timeout=30) as client:
        yield client


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Adds the tail of the processes' log to every failing test's report."""
    report = yield
    if report.failed and PROCS_LOG.exists():
        report.sections.append(("platform log (tail)", log_tail(PROCS_LOG)))
    return report
