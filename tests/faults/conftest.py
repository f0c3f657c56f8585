"""A platform of the fault suite's own: private servers, the real processes.

The fault tests kill, freeze and restart things, so nothing here touches
the shared servers. One session starts, all on 127.0.0.1:

- a PostgreSQL cluster (``initdb`` in a temporary directory, port 25432)
  with the databases ``users`` and ``accounting``;
- a second RabbitMQ node, ``faults@localhost``, AMQP on 25680 (the shared
  node's Erlang distribution already listens on 25672), distribution on
  25681, no plugins;
- a Redis on 26390 without persistence (the accounting cache, db 0, and the
  gateway's channel layer, db 1);

then migrations and demo data, and the Procfile under the supervisor
(``scripts/procs.py``, as ``make run``) on ports 28000-28002, with two
gateway workers as in the e2e suite. At the end the platform gets SIGINT
and must stop cleanly, then the servers stop and their directory goes.

Process output goes to ``$VAR_DIR/faults/procs.log``; a failing test that
used the platform shows its tail.
"""

import contextlib
import dataclasses
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    REPO_DIR,
    log_tail,
    platform_env,
    platform_prepare,
    platform_start,
    platform_stop,
    platform_wait_ready,
    port_open,
    reset_database,
)
from tests.faults import supervision
from tests.faults.servers import PostgreSQL, RabbitMQ, Redis

PG_PORT = 25432
AMQP_PORT, AMQP_DIST_PORT = 25680, 25681
REDIS_PORT = 26390
GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT = 28000, 28001, 28002
PLATFORM_PORTS = (GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT)
PORTS = (PG_PORT, AMQP_PORT, AMQP_DIST_PORT, REDIS_PORT, *PLATFORM_PORTS)

RUN_DIR = Path(os.environ.get("VAR_DIR", REPO_DIR / "var")).resolve() / "faults"
PROCS_LOG = RUN_DIR / "procs.log"
SETUP_LOG = RUN_DIR / "setup.log"

START_TIMEOUT = 120
STOP_TIMEOUT = 40  # the supervisor's 30 s grace, and some


@dataclasses.dataclass(frozen=True)
class FaultPlatform:
    """The running platform and the servers under it.

    Attributes:
        gateway: Base URL of the public API (``.../api/v1``).
        origin: Scheme, host and port of the gateway.
        env: The environment every process runs with.
        accounting_db: URL of the accounting database, for the checks no
            public endpoint can make.
        postgres: The private PostgreSQL.
        rabbitmq: The private RabbitMQ node.
        run_dir: Where the run's logs and reports go.
    """

    gateway: str
    origin: str
    env: dict[str, str]
    accounting_db: str
    postgres: PostgreSQL
    rabbitmq: RabbitMQ
    run_dir: Path = RUN_DIR

    @staticmethod
    def log() -> str:
        """Everything the supervisor and the processes printed so far."""
        return PROCS_LOG.read_text(errors="replace")

    def pid(self, name: str) -> int:
        """The current pid of Procfile process ``name``."""
        return supervision.pids(self.log(), name)[-1]


def _private_dir() -> Path:
    """A directory for the servers' data that ``postgres`` may enter."""
    base = Path(tempfile.mkdtemp(prefix="savings-faults-"))
    base.chmod(0o755)  # PostgreSQL runs as its own user under root
    return base


@pytest.fixture(scope="session")
def platform() -> Iterator[FaultPlatform]:
    """Starts the servers and the platform once; stops all at the end."""
    busy = [port for port in PORTS if port_open(port)]
    if busy:
        pytest.fail(f"ports {busy} are in use: is an earlier run still up?")
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as cleanup:
        base = _private_dir()
        cleanup.callback(shutil.rmtree, base, ignore_errors=True)
        postgres = PostgreSQL(base, PG_PORT)
        postgres.init()
        postgres.start()
        cleanup.callback(postgres.stop, "fast")
        rabbitmq = RabbitMQ(base, AMQP_PORT, AMQP_DIST_PORT)
        cleanup.callback(rabbitmq.close)
        rabbitmq.start()
        redis = Redis(base, REDIS_PORT)
        cleanup.callback(redis.close)
        redis.start()
        for name in ("users", "accounting"):
            reset_database(postgres.url, name)

        marker = f"SAVINGS_FAULTS_RUN={uuid.uuid4().hex}"
        origin = f"http://127.0.0.1:{GATEWAY_PORT}"
        env = platform_env(
            marker,
            run_dir=RUN_DIR,
            ports=PLATFORM_PORTS,
            USERS_DATABASE_URL=f"{postgres.url}/users",
            ACCOUNTING_DATABASE_URL=f"{postgres.url}/accounting",
            CELERY_BROKER_URL=rabbitmq.url,
            CACHE_URL=f"{redis.url}/0",
            CHANNEL_LAYER_URL=f"{redis.url}/1",
            GATEWAY_WORKERS="2",
            # Long enough for the longest run: clients keep their token.
            JWT_ACCESS_TOKEN_LIFETIME="3600",
        )
        platform_prepare(env, SETUP_LOG)
        process = platform_start(env, PROCS_LOG)
        cleanup.callback(
            platform_stop, process, marker, PROCS_LOG, timeout=STOP_TIMEOUT
        )
        platform_wait_ready(process, origin, PROCS_LOG, timeout=START_TIMEOUT)
        yield FaultPlatform(
            gateway=f"{origin}/api/v1",
            origin=origin,
            env=env,
            accounting_db=f"{postgres.url}/accounting",
            postgres=postgres,
            rabbitmq=rabbitmq,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Adds the tail of the platform's log to a failing test that used it."""
    report = yield
    if report.failed and "platform" in item.fixturenames:
        report.sections.append(("platform log (tail)", log_tail(PROCS_LOG)))
    return report
