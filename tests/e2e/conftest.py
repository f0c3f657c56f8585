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

Where the servers are comes from the environment the Makefile and CI use
(``PG_URL``, ``AMQP_URL``, ``REDIS_URL``, ``RABBITMQ_API_URL``: see
``tests/conftest.py``). Redis databases 6 (the cache) and 7 (the gateway's
channel layer) are emptied first. ``E2E_INSTANCE``: 0 unless a second run
must go on beside the first (a long soak while the suite runs): instance N
uses ports 18000 + 100 N, databases and vhost suffixed ``_N`` and Redis
databases 6 + 2 N, 7 + 2 N.

The suite never stops or restarts these shared servers: what outages do to
the platform is the fault suite's (``tests/faults``), on servers of its own.

Process output goes to ``$VAR_DIR/e2e/procs.log``; a failing test shows its
tail.
"""

import dataclasses
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import (
    PG_URL,
    REPO_DIR,
    Stores,
    log_tail,
    manage,
    platform_up,
)

INSTANCE = int(os.environ.get("E2E_INSTANCE", "0"))
_SUFFIX = f"_{INSTANCE}" if INSTANCE else ""
STORES = Stores(
    users_db=f"e2e_users{_SUFFIX}",
    accounting_db=f"e2e_accounting{_SUFFIX}",
    vhost=f"savings_e2e{_SUFFIX}",
    cache_db=6 + 2 * INSTANCE,
    channels_db=7 + 2 * INSTANCE,
)
PORT_BASE = 18000 + 100 * INSTANCE
GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT = (PORT_BASE + n for n in range(3))

RUN_DIR = (
    Path(os.environ.get("VAR_DIR", REPO_DIR / "var")).resolve()
    / f"e2e{_SUFFIX}"
)
PROCS_LOG = RUN_DIR / "procs.log"

START_TIMEOUT = 90
STOP_TIMEOUT = 30
# How long test_85 keeps its sockets open (make test-long: 11 minutes).
SOAK_SECONDS = float(os.environ.get("E2E_SOAK_SECONDS", "90"))


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
    origin = f"http://127.0.0.1:{GATEWAY_PORT}"
    with platform_up(
        "e2e",
        stores=STORES,
        run_dir=RUN_DIR,
        ports=(GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT),
        start_timeout=START_TIMEOUT,
        stop_timeout=STOP_TIMEOUT,
        # Two gateway processes on the real stack's shared stores (Redis):
        # a staff change in one process is seen by all, and sockets of
        # every gateway worker get events.
        GATEWAY_WORKERS="2",
        # Sockets are closed when their access token expires: the tokens
        # must outlive the soak.
        JWT_ACCESS_TOKEN_LIFETIME=str(max(300, int(SOAK_SECONDS) + 120)),
        # The suite's webhook receivers listen on 127.0.0.1, over HTTP.
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES="1",
        WEBHOOK_REQUIRE_HTTPS="0",
    ) as env:
        yield Stack(
            gateway=f"{origin}/api/v1",
            origin=origin,
            env=env,
            accounting_db=f"{PG_URL}/{STORES.accounting_db}",
        )


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
