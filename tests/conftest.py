"""What the process-level tests share: starting, watching, stopping.

These tests start the platform's real processes (``make run``, the
supervisor ``scripts/procs.py``) rather than Django's test client, so they
need no Django settings. The helpers here wait with a deadline, find every
process a run started (by a marker in its environment, since the supervisor
puts each child in a session of its own) and stop them the way a developer
does: SIGINT first. The ``platform_*`` helpers start the whole Procfile on
stores and ports of the caller's (the e2e and fault suites): environment,
migrations and demo data, the supervisor, readiness, Ctrl-C;
``platform_up`` is all of it for a session (the e2e and browser suites),
on fresh stores of the caller's.

Where the shared servers are comes from the environment the Makefile and
CI use:

- ``PG_URL``: PostgreSQL server, default ``postgres://postgres@127.0.0.1:5432``;
- ``AMQP_URL``: RabbitMQ, default ``amqp://guest:guest@127.0.0.1:5672``;
- ``REDIS_URL``: Redis, default ``redis://127.0.0.1:6379``;
- ``RABBITMQ_API_URL``: the management HTTP API of a RabbitMQ this machine
  cannot run ``rabbitmqctl`` against (a CI service container). Unset, a
  vhost is reset with ``rabbitmqctl``.
"""

import contextlib
import dataclasses
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

import httpx
import psycopg
import pytest
import redis
from psycopg import sql

REPO_DIR = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
RABBITMQ_API_URL = os.environ.get("RABBITMQ_API_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")

T = TypeVar("T")


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.25,
    what: str = "condition",
) -> T:
    """Calls ``probe`` until it returns something truthy, or fails.

    Args:
        probe: Returns a truthy value when the wait is over.
        timeout: Seconds before the test fails.
        interval: Seconds between two calls.
        what: Named in the failure message.

    Returns:
        The probe's first truthy result.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    """Returns a TCP port of 127.0.0.1 that nothing listens on right now.

    The kernel picks it; another program could take it before the caller
    binds it, which on a test machine is rare enough.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_command(name: str) -> str:
    """The Procfile's command of process ``name``: what ``make run`` runs.

    Args:
        name: The process's name (``gateway``, ``worker``, ...).

    Returns:
        Its shell command line, for ``bash -c`` in the process's
        environment (it expands ``${GATEWAY_PORT:-8000}`` and the like).
    """
    lines = (REPO_DIR / "Procfile").read_text().splitlines()
    line = next(line for line in lines if line.startswith(f"{name}:"))
    return line.split(":", 1)[1].strip()


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Returns whether something accepts TCP connections on the port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def marked_pids(marker: str) -> list[int]:
    """Returns the processes whose environment contains ``marker``.

    Args:
        marker: A ``NAME=value`` pair unique to one run.

    Returns:
        Their process ids (zombies and unreadable processes are skipped).
    """
    needle = marker.encode() + b"\0"
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if (b"\0" + environ).find(b"\0" + needle) != -1:
            pids.append(int(proc.name))
    return pids


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (Linux ``/proc``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux ``/proc``)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(proc.name))
    return found


def kill_marked(marker: str) -> list[int]:
    """SIGKILLs every process of a run that is still there.

    Args:
        marker: The run's ``NAME=value`` environment marker.

    Returns:
        The process ids that were killed.
    """
    pids = marked_pids(marker)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def interrupt(process: subprocess.Popen, *, timeout: float) -> int | None:
    """Sends SIGINT to a process group, as Ctrl-C does, and waits.

    Args:
        process: The group leader (started with ``start_new_session``).
        timeout: Seconds to wait for it to exit.

    Returns:
        Its exit status, or None if it was still running at the deadline.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def log_tail(path: Path, lines: int = 120) -> str:
    """Returns the last lines of a log file, or a note that it is empty."""
    if not path.exists():
        return f"(no log at {path})"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:]) or f"(empty log at {path})"


def reset_database(server_url: str, name: str) -> None:
    """Drops a database (closing its sessions) and creates it empty.

    Args:
        server_url: The PostgreSQL server, ``postgres://user@host:port``.
        name: The database.
    """
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


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
    """Empties Redis databases (a stack's cache, its channel layer)."""
    for url in urls:
        with redis.Redis.from_url(url) as client:
            client.flushdb()


def platform_env(
    marker: str, *, run_dir: Path, ports: tuple[int, int, int], **settings: str
) -> dict[str, str]:
    """The environment of every process: nothing inherited but the basics.

    Args:
        marker: The run's ``NAME=value`` environment marker.
        run_dir: ``VAR_DIR`` of the run (secrets, static files).
        ports: The gateway's, users' and accounting's ports.
        **settings: The stores and whatever else the run sets
            (``USERS_DATABASE_URL``, ``CELERY_BROKER_URL``, ...).

    Returns:
        The environment, with sign-ups unthrottled and the outbox swept
        every 2 seconds.
    """
    venv_bin = str(Path(sys.executable).parent)
    name, value = marker.split("=", 1)
    gateway, users, accounting = ports
    return {
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        name: value,
        "VAR_DIR": str(run_dir),
        "OUTBOX_SWEEP_INTERVAL": "2",
        "AUTH_THROTTLE_RATE": "1000/min",
        "GATEWAY_PORT": str(gateway),
        "USERS_PORT": str(users),
        "ACCOUNTING_PORT": str(accounting),
        "USERS_SERVICE_URL": f"http://127.0.0.1:{users}",
        "ACCOUNTING_SERVICE_URL": f"http://127.0.0.1:{accounting}",
        **settings,
    }


def manage(
    env: dict[str, str], settings: str, *args: str
) -> subprocess.CompletedProcess:
    """Runs ``manage.py`` for one service in a run's environment.

    Args:
        env: The run's environment (:func:`platform_env`).
        settings: ``users``, ``accounting`` or ``integration``.
        *args: The command and its arguments.

    Returns:
        The finished process, with its output captured.
    """
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        check=False,
        cwd=REPO_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": f"config.{settings}.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def platform_prepare(
    env: dict[str, str], log_path: Path, *, static: bool = True
) -> None:
    """Secrets, migrations, demo data and static files, logged to a file.

    Each service's migrations then demo data, and the static files, are
    three chains run side by side: each step is one single-threaded
    process, so on two cores the set-up takes half the time.

    Args:
        env: The run's environment; its ``VAR_DIR`` gets the secrets.
        log_path: Where the commands' output goes.
        static: Whether to collect the static files (the admin's, the API
            docs'); a suite that serves neither saves 10 s without them.
    """
    chains = [
        [("users", "migrate", "--no-input"), ("users", "seed_demo")],
        [("accounting", "migrate", "--no-input"), ("accounting", "seed_demo")],
    ]
    if static:
        # One after the other: the three write into one STATIC_ROOT.
        chains.append(
            [
                (settings, "collectstatic", "--no-input", "-v", "0")
                for settings in ("integration", "users", "accounting")
            ]
        )
    subprocess.run(
        [sys.executable, "-m", "config.bootstrap", env["VAR_DIR"]],
        cwd=REPO_DIR,
        env=env,
        check=True,
    )

    def run_chain(
        steps: list[tuple[str, ...]],
    ) -> list[tuple[str, subprocess.CompletedProcess]]:
        done = []
        for settings, *args in steps:
            done.append((settings, manage(env, settings, *args)))
            if done[-1][1].returncode:
                break
        return done

    with ThreadPoolExecutor(len(chains)) as pool:
        results = [
            step for chain in pool.map(run_chain, chains) for step in chain
        ]
    with log_path.open("w") as log:
        for settings, done in results:
            log.write(f"$ {settings}: {shlex.join(done.args[1:])}\n")
            log.write(done.stdout + done.stderr)
    for settings, done in results:
        if done.returncode:
            pytest.fail(
                f"{settings} {shlex.join(done.args[1:])} failed:\n"
                f"{done.stdout}{done.stderr}"
            )


def platform_start(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Starts the Procfile under the supervisor, as ``make run`` does.

    Args:
        env: The run's environment.
        log_path: Where every process's output goes.

    Returns:
        The supervisor, leader of a process group of its own.
    """
    with log_path.open("wb") as log:
        # -e /dev/null: a developer's .env must not redirect the run.
        return subprocess.Popen(
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
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def gateway_ready(origin: str) -> bool:
    """Whether the gateway says users and accounting are ready."""
    try:
        response = httpx.get(f"{origin}/readyz", timeout=2)
    except httpx.TransportError:
        return False
    return response.status_code == 200


def platform_wait_ready(
    process: subprocess.Popen, origin: str, log_path: Path, *, timeout: float
) -> None:
    """Waits until the gateway says every service is ready.

    Args:
        process: The supervisor; the test fails at once if it exits.
        origin: Scheme, host and port of the gateway.
        log_path: The processes' log, shown on failure.
        timeout: Seconds before the test fails.
    """

    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(
                f"the supervisor exited with {process.returncode} while "
                "starting:\n" + log_tail(log_path)
            )
        return gateway_ready(origin)

    wait_until(ready, timeout=timeout, what="the gateway's /readyz")


def platform_stop(
    process: subprocess.Popen, marker: str, log_path: Path, *, timeout: float
) -> None:
    """Ctrl-C for the platform; fails unless all stopped in the grace time.

    Args:
        process: The supervisor.
        marker: The run's environment marker.
        log_path: The processes' log, shown on failure.
        timeout: Seconds the supervisor has to exit.
    """
    status = interrupt(process, timeout=timeout)
    deadline = time.monotonic() + 15
    while marked_pids(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = kill_marked(marker)
    if status != 0 or leftovers:
        if status is None:
            process.kill()
            process.wait()
        pytest.fail(
            f"the platform did not stop cleanly on SIGINT (supervisor status "
            f"{status}, killed {leftovers}):\n{log_tail(log_path)}"
        )


@dataclasses.dataclass(frozen=True)
class Stores:
    """A platform's own stores on the shared servers, emptied at its start.

    Attributes:
        users_db: The users service's PostgreSQL database.
        accounting_db: Accounting's.
        vhost: The RabbitMQ vhost of the Celery queues.
        cache_db: The Redis database of the cache (``CACHE_URL``).
        channels_db: The gateway's channel layer's (WebSockets).
    """

    users_db: str
    accounting_db: str
    vhost: str
    cache_db: int
    channels_db: int

    def settings(self) -> dict[str, str]:
        """The variables that point every process at these stores."""
        return {
            "USERS_DATABASE_URL": f"{PG_URL}/{self.users_db}",
            "ACCOUNTING_DATABASE_URL": f"{PG_URL}/{self.accounting_db}",
            "CELERY_BROKER_URL": f"{AMQP_URL}/{self.vhost}",
            "CACHE_URL": f"{REDIS_URL}/{self.cache_db}",
            "CHANNEL_LAYER_URL": f"{REDIS_URL}/{self.channels_db}",
        }

    def reset(self) -> None:
        """Drops and creates the databases and the vhost; empties Redis's.

        All at once: each waits on its own server.
        """
        resets = [
            lambda: reset_database(PG_URL, self.users_db),
            lambda: reset_database(PG_URL, self.accounting_db),
            # rabbitmqctl starts an Erlang VM three times: the slow one.
            lambda: reset_vhost(self.vhost),
            lambda: reset_redis(
                f"{REDIS_URL}/{self.cache_db}",
                f"{REDIS_URL}/{self.channels_db}",
            ),
        ]
        with ThreadPoolExecutor(len(resets)) as pool:
            for future in [pool.submit(reset) for reset in resets]:
                future.result()


@contextlib.contextmanager
def platform_up(
    name: str,
    *,
    stores: Stores,
    run_dir: Path,
    ports: tuple[int, int, int],
    start_timeout: float = 90,
    stop_timeout: float = 30,
    **settings: str,
) -> Iterator[dict[str, str]]:
    """The whole platform on fresh stores, from the start to Ctrl-C.

    Resets the stores, migrates and seeds them, starts the Procfile under
    the supervisor and waits for the gateway's ``/readyz``; on exit, stops
    it as a developer's Ctrl-C does and fails unless it stopped cleanly.
    The processes' output is ``run_dir/procs.log``, the preparation's
    ``run_dir/setup.log``.

    Args:
        name: Names the run's environment marker (``SAVINGS_<NAME>_RUN``).
        stores: The run's databases, vhost and Redis databases.
        run_dir: The run's ``VAR_DIR`` (secrets, static files, logs).
        ports: The gateway's, users' and accounting's ports.
        start_timeout: Seconds the platform has to be ready.
        stop_timeout: Seconds it has to stop on SIGINT.
        **settings: More variables of every process (they win over the
            stores').

    Yields:
        The environment every process runs with.
    """
    busy = [port for port in ports if port_open(port)]
    if busy:
        pytest.fail(f"ports {busy} are in use: is an earlier run still up?")
    run_dir.mkdir(parents=True, exist_ok=True)
    marker = f"SAVINGS_{name.upper()}_RUN={uuid.uuid4().hex}"
    env = platform_env(
        marker,
        run_dir=run_dir,
        ports=ports,
        **{**stores.settings(), **settings},
    )
    procs_log = run_dir / "procs.log"
    stores.reset()
    platform_prepare(env, run_dir / "setup.log")
    process = platform_start(env, procs_log)
    try:
        platform_wait_ready(
            process,
            f"http://127.0.0.1:{ports[0]}",
            procs_log,
            timeout=start_timeout,
        )
        yield env
    finally:
        platform_stop(process, marker, procs_log, timeout=stop_timeout)
