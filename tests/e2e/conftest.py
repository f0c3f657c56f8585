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
  vhost is reset with ``rabbitmqctl``;
- ``E2E_INSTANCE``: 0 unless a second run must go on beside the first (a
  long soak while the suite runs): instance N uses ports 18000 + 100 N,
  databases and vhost suffixed ``_N`` and Redis databases 6 + 2 N, 7 + 2 N.

The suite never stops or restarts these shared servers: what outages do to
the platform is the fault suite's (``tests/faults``), on servers of its own.

Process output goes to ``$VAR_DIR/e2e/procs.log``; a failing test shows its
tail.
"""

import dataclasses
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
import redis

from tests.conftest import (
    REPO_DIR,
    log_tail,
    manage,
    platform_env,
    platform_prepare,
    platform_start,
    platform_stop,
    platform_wait_ready,
    port_open,
    reset_database,
)

PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
RABBITMQ_API_URL = os.environ.get("RABBITMQ_API_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
INSTANCE = int(os.environ.get("E2E_INSTANCE", "0"))
_SUFFIX = f"_{INSTANCE}" if INSTANCE else ""
REDIS_CACHE_URL = f"{REDIS_URL}/{6 + 2 * INSTANCE}"
REDIS_CHANNELS_URL = f"{REDIS_URL}/{7 + 2 * INSTANCE}"

USERS_DB = f"e2e_users{_SUFFIX}"
ACCOUNTING_DB = f"e2e_accounting{_SUFFIX}"
VHOST = f"savings_e2e{_SUFFIX}"
PORT_BASE = 18000 + 100 * INSTANCE
GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT = (PORT_BASE + n for n in range(3))

RUN_DIR = (
    Path(os.environ.get("VAR_DIR", REPO_DIR / "var")).resolve()
    / f"e2e{_SUFFIX}"
)
PROCS_LOG = RUN_DIR / "procs.log"
SETUP_LOG = RUN_DIR / "setup.log"

START_TIMEOUT = 90
STOP_TIMEOUT = 30
# How long test_85 keeps its sockets open (make test-long: 11 minutes).
SOAK_SECONDS = float(os.environ.get("E2E_SOAK_SECONDS", "90"))


def reset_vhost(vhost: str) -> None:
    """Deletes the vhost with its queues and creates it again, empty.

    Locally through ``rabbitmqctl``; against a broker in another container
    through its management API (``RABBITMQ_API_URL``).
    """
    user = urlsplit(AMQP_URL).username or "guest"
    permissions = {"configure": ".*", "write": ".*", "read": ".*"}
    if not RABBITMQ_API_URL:
        for args, check in (
            (("delete_vhost", vhost), False),
            (("add_vhost", vhost), True),
            (
                ("set_permissions", "-p", vhost, user, *permissions.values()),
                True,
            ),
        ):
            subprocess.run(
                ["rabbitmqctl", "-q", *args],
                check=check,
                capture_output=True,
                timeout=120,
            )
        return
    parts = urlsplit(RABBITMQ_API_URL)
    with httpx.Client(
        base_url=f"{parts.scheme}://{parts.hostname}:{parts.port}/api",
        auth=(parts.username or "guest", parts.password or "guest"),
        timeout=30,
    ) as api:
        name = quote(vhost, safe="")
        api.delete(f"/vhosts/{name}")
        api.put(f"/vhosts/{name}").raise_for_status()
        api.put(
            f"/permissions/{name}/{user}", json=permissions
        ).raise_for_status()


def reset_redis(*urls: str) -> None:
    """Empties the Redis databases of the stack (cache, channel layer)."""
    for url in urls:
        with redis.Redis.from_url(url) as client:
            client.flushdb()


@dataclasses.dataclass(frozen=True)
class Stack:
    """The running platform, as the tests see it.

    Attributes:
        gateway: Base URL of the public API (``.../api/v1``).
        origin: Scheme, host and port of the gateway.
        env: The environment every process of the stack runs with.
        accounting_db: URL of the accounting database, for the checks
            no public endpoint can make.
    """

    gateway: str
    origin: str
    env: dict[str, str]
    accounting_db: str

    def manage(self, settings: str, *args: str) -> subprocess.CompletedProcess:
        """Runs ``manage.py`` for one service against the e2e stores."""
        return manage(self.env, settings, *args)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Starts the whole platform once per session and stops it at the end."""
    ports = (GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT)
    busy = [port for port in ports if port_open(port)]
    if busy:
        pytest.fail(f"ports {busy} are in use: is an earlier run still up?")
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    marker = f"SAVINGS_E2E_RUN={uuid.uuid4().hex}"
    origin = f"http://127.0.0.1:{GATEWAY_PORT}"
    env = platform_env(
        marker,
        run_dir=RUN_DIR,
        ports=ports,
        USERS_DATABASE_URL=f"{PG_URL}/{USERS_DB}",
        ACCOUNTING_DATABASE_URL=f"{PG_URL}/{ACCOUNTING_DB}",
        CELERY_BROKER_URL=f"{AMQP_URL}/{VHOST}",
        # The real stack's shared stores: a staff change in one process
        # is seen by all, and sockets of every gateway worker get events.
        CACHE_URL=REDIS_CACHE_URL,
        CHANNEL_LAYER_URL=REDIS_CHANNELS_URL,
        GATEWAY_WORKERS="2",
        # Sockets are closed when their access token expires: the tokens
        # must outlive the soak.
        JWT_ACCESS_TOKEN_LIFETIME=str(max(300, int(SOAK_SECONDS) + 120)),
        # The suite's webhook receivers listen on 127.0.0.1, over HTTP.
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES="1",
        WEBHOOK_REQUIRE_HTTPS="0",
    )
    stack = Stack(
        gateway=f"{origin}/api/v1",
        origin=origin,
        env=env,
        accounting_db=f"{PG_URL}/{ACCOUNTING_DB}",
    )
    reset_database(PG_URL, USERS_DB)
    reset_database(PG_URL, ACCOUNTING_DB)
    reset_vhost(VHOST)
    reset_redis(REDIS_CACHE_URL, REDIS_CHANNELS_URL)
    platform_prepare(env, SETUP_LOG)
    process = platform_start(env, PROCS_LOG)
    try:
        platform_wait_ready(process, origin, PROCS_LOG, timeout=START_TIMEOUT)
        yield stack
    finally:
        platform_stop(process, marker, PROCS_LOG, timeout=STOP_TIMEOUT)


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
