"""Two of every web service behind HAProxy, on PostgreSQL and RabbitMQ.

One session starts, on ports the kernel picks (so it can run beside any
other suite):

- fresh PostgreSQL databases ``scaleout_users`` and
  ``scaleout_accounting``, the RabbitMQ vhost ``savings_test_scaleout``
  (deleted and created again) and Redis database 14 (emptied; the shared
  cache of every process and the gateways' channel layer), on the servers
  of ``PG_URL``, ``AMQP_URL`` and ``REDIS_URL`` (the e2e suite's
  defaults); migrations and demo data;
- HAProxy (:mod:`tests.scaleout.haproxy`) with a frontend per web tier;
- each instance as a process of its own, with the Procfile's command
  (:mod:`tests.scaleout.instances`): gateways ``gateway-a``/``-b``
  (uvicorn, one process each), ``users-a``/``-b`` and
  ``accounting-a``/``-b`` (gunicorn), the accounting workers
  ``worker-a``/``-b`` (``-n accounting-a@%h``...), one ``users_worker``
  and one ``beat``.

The gateways reach users and accounting through HAProxy
(``USERS_SERVICE_URL``, ``ACCOUNTING_SERVICE_URL``); the tests reach the
gateways through HAProxy too (:attr:`Cluster.gateway`), or one gateway
directly when they must know which (:meth:`Cluster.origin_of`). At the end
every instance gets SIGTERM, then HAProxy stops. Logs go to
``$VAR_DIR/scaleout/``, one per instance, with ``haproxy.cfg`` and the
money test's ``report.txt``; a failing test shows the logs' ends.

Budget: the suite is part of ``make test``, so it must stay under three
minutes on two cores. Measured there, with other suites running beside
it: 95-110 s of pytest (30-45 s of migrations and start, 60 s of money
under kills, 10 s of sockets, 5 s of stop), two minutes for ``make
scaleout``.
That is why the instances run one web worker each, static files are not
collected, and the instances stop together.
"""

import contextlib
import dataclasses
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    AMQP_URL,
    PG_URL,
    REDIS_URL,
    REPO_DIR,
    free_port,
    gateway_ready,
    kill_marked,
    platform_env,
    platform_prepare,
    port_open,
    reset_database,
    reset_redis,
    reset_vhost,
    wait_until,
)
from tests.scaleout.haproxy import HAProxy, Tier
from tests.scaleout.instances import Instance

USERS_DB = "scaleout_users"
ACCOUNTING_DB = "scaleout_accounting"
VHOST = "savings_test_scaleout"
REDIS_DB_URL = f"{REDIS_URL}/14"
RUN_DIR = (
    Path(os.environ.get("VAR_DIR", REPO_DIR / "var")).resolve() / "scaleout"
)
START_TIMEOUT = 90
STOP_TIMEOUT = 20
SIDES = ("a", "b")
WEB_TIERS = ("gateway", "users", "accounting")
CELERY_READY = " ready."  # a Celery worker's log line when it consumes
CELERY_DONE = "succeeded in"  # and one per task it ran


@dataclasses.dataclass
class Cluster:
    """The running instances and the load balancer in front of them.

    Attributes:
        haproxy: The load balancer.
        instances: Every instance by name (``gateway-a``, ``worker-b``...).
        env: The environment the instances share (without their ports).
        accounting_db: URL of the accounting database.
        users_db: URL of the users database.
    """

    haproxy: HAProxy
    instances: dict[str, Instance]
    env: dict[str, str]
    accounting_db: str
    users_db: str

    @property
    def origin(self) -> str:
        """Scheme, host and port of the public frontend (HAProxy)."""
        return f"http://127.0.0.1:{self.haproxy.tiers[0].port}"

    @property
    def gateway(self) -> str:
        """The public API through HAProxy (``.../api/v1``)."""
        return f"{self.origin}/api/v1"

    def origin_of(self, name: str) -> str:
        """Scheme, host and port of one gateway instance, bypassing HAProxy."""
        return f"http://127.0.0.1:{self.instances[name].port}"

    def kill(self, name: str) -> None:
        """SIGKILLs an instance; for a web one, waits until HAProxy sees it."""
        self.instances[name].kill()
        tier, _, _ = name.rpartition("-")
        if tier in WEB_TIERS:
            self.haproxy.wait_state(tier, name, "DOWN", timeout=15)

    def restart(self, name: str) -> None:
        """Starts a killed instance again; waits until it serves.

        A web instance serves once HAProxy sends it requests again; a
        Celery worker, once it logs that it is ready.
        """
        instance = self.instances[name]
        assert not instance.running(), f"{name} is still running"
        readies = instance.log_count(CELERY_READY)
        instance.start()
        tier, _, _ = name.rpartition("-")
        if tier in WEB_TIERS:
            self.haproxy.wait_state(tier, name, "UP", timeout=START_TIMEOUT)
        else:
            wait_until(
                lambda: instance.log_count(CELERY_READY) > readies,
                timeout=START_TIMEOUT,
                what=f"{name} to be ready",
            )

    def logs(self) -> str:
        """The end of every instance's log and HAProxy's."""
        parts = [
            f"--- {name} ---\n{instance.log_tail(15)}"
            for name, instance in self.instances.items()
        ]
        lines = self.haproxy.log_path.read_text(errors="replace").splitlines()
        parts.append("--- haproxy ---\n" + "\n".join(lines[-30:]))
        return "\n".join(parts)


def _instances(
    base_env: dict[str, str], ports: dict[str, int]
) -> dict[str, Instance]:
    """Every instance of the run, not started."""
    instances = {}
    for side in SIDES:
        for tier, port_name in (
            ("gateway", "GATEWAY_PORT"),
            ("users", "USERS_PORT"),
            ("accounting", "ACCOUNTING_PORT"),
        ):
            name = f"{tier}-{side}"
            instances[name] = Instance(
                name,
                tier,
                {**base_env, port_name: str(ports[name])},
                RUN_DIR,
                port=ports[name],
            )
        instances[f"worker-{side}"] = Instance(
            f"worker-{side}",
            "worker",
            base_env,
            RUN_DIR,
            node=("accounting@%h", f"accounting-{side}@%h"),
        )
    for process in ("users_worker", "beat"):
        instances[process] = Instance(process, process, base_env, RUN_DIR)
    return instances


def _stop(instances: dict[str, Instance]) -> None:
    """SIGTERM to every instance at once, then waits for each."""
    for instance in instances.values():
        instance.terminate()
    for instance in instances.values():
        instance.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """Starts the load balancer and every instance; stops all at the end."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    for old in RUN_DIR.glob("*.log"):
        old.unlink()
    ports = {
        f"{tier}-{side}": free_port() for tier in WEB_TIERS for side in SIDES
    }
    fronts = {tier: free_port() for tier in WEB_TIERS}
    marker = f"SAVINGS_SCALEOUT_RUN={uuid.uuid4().hex}"
    env = platform_env(
        marker,
        run_dir=RUN_DIR,
        ports=(fronts["gateway"], fronts["users"], fronts["accounting"]),
        USERS_DATABASE_URL=f"{PG_URL}/{USERS_DB}",
        ACCOUNTING_DATABASE_URL=f"{PG_URL}/{ACCOUNTING_DB}",
        CELERY_BROKER_URL=f"{AMQP_URL}/{VHOST}",
        # Shared by every process: rate limits, socket counts and staff
        # changes hold across instances, events cross gateways.
        CACHE_URL=REDIS_DB_URL,
        CHANNEL_LAYER_URL=REDIS_DB_URL,
        GATEWAY_WORKERS="1",
        WEB_WORKERS="1",
        WEB_THREADS="4",
        NUM_PROXIES="1",
        JWT_ACCESS_TOKEN_LIFETIME="3600",
    )
    reset_database(PG_URL, USERS_DB)
    reset_database(PG_URL, ACCOUNTING_DB)
    reset_vhost(VHOST)
    reset_redis(REDIS_DB_URL)
    platform_prepare(env, RUN_DIR / "setup.log", static=False)
    tiers = [
        Tier(
            tier,
            fronts[tier],
            {f"{tier}-{side}": ports[f"{tier}-{side}"] for side in SIDES},
        )
        for tier in WEB_TIERS
    ]
    haproxy = HAProxy(RUN_DIR, tiers)
    instances = _instances(env, ports)
    cluster = Cluster(
        haproxy=haproxy,
        instances=instances,
        env=env,
        accounting_db=f"{PG_URL}/{ACCOUNTING_DB}",
        users_db=f"{PG_URL}/{USERS_DB}",
    )
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(kill_marked, marker)
        cleanup.callback(haproxy.stop)
        haproxy.start()
        cleanup.callback(_stop, instances)
        for instance in instances.values():
            instance.start()
        # HAProxy counts a server up until its checks fail: wait for the
        # ports first, then for the checks.
        for tier in tiers:
            for name, port in tier.servers.items():
                wait_until(
                    lambda port=port: port_open(port),
                    timeout=START_TIMEOUT,
                    what=f"{name} to listen",
                )
                haproxy.wait_state(tier.name, name, "UP", timeout=START_TIMEOUT)
        wait_until(
            lambda: gateway_ready(cluster.origin),
            timeout=START_TIMEOUT,
            what="the gateway's /readyz through HAProxy",
        )
        yield cluster


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Adds the ends of the instances' logs to a failing test's report."""
    report = yield
    if report.failed and "cluster" in item.fixturenames:
        cluster = item.funcargs.get("cluster")
        if cluster is not None:
            report.sections.append(("instances' logs (tails)", cluster.logs()))
    return report
