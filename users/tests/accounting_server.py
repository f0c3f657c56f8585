"""A real accounting service for the users admin's tests, and fake ones.

The admin reads a user's money through accounting's internal API, so its
tests talk to the real thing: accounting's own code under gunicorn, as the
Procfile runs it, on a port the kernel picks and a fresh database of its
own (the name of ``ACCOUNTING_DATABASE_URL`` with ``_users_admin``), whose
customers are written by accounting's own services in its own shell. The
users process imports nothing of accounting's (import-linter): it only
names the commands. Then the failures a real server does not show on
demand: a closed port, and a server that accepts connections and never
answers.
"""

import dataclasses
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from psycopg import sql

REPO_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60
STAFF_PASSWORD = secrets.token_urlsafe(12)

# Written in accounting's shell by its own services (accounting.services):
# an open customer on a 10% plan with a USD and a EUR wallet and twelve
# movements; a customer whose user was deleted (a closed holder); a staff
# account of the accounting admin, to follow the panel's links.
SEED = """
import datetime as dt, uuid
from django.contrib.auth.models import User
from accounting import services
from accounting.tests import factories
open_id, closed_id = uuid.UUID("{open_id}"), uuid.UUID("{closed_id}")
holder = factories.HolderFactory(user_id=open_id, email="ada@example.com")
services.plan_assign(
    holder=holder, plan=factories.PlanFactory(name="Save 10%")
)
services.account_open(holder=holder, currency="EUR")
services.credit_apply(
    holder_id=open_id, amount=10_000, currency="USD", source="Salary"
)
for cents in range(1, 12):
    services.withdrawal_apply(
        holder_id=open_id, amount=cents, currency="USD",
        category="coffee",
    )
closed = factories.HolderFactory(user_id=closed_id, email="gone@example.com")
closed.closed_at = dt.datetime.now(dt.UTC)
closed.save()
User.objects.create_superuser("staff", "staff@example.com", "{password}")
"""


@dataclasses.dataclass(frozen=True)
class AccountingServer:
    """The running accounting service and the customers it holds.

    Attributes:
        url: Its root URL.
        users_token: The users service's credential it accepts.
        open_id: A customer with wallets and history.
        closed_id: A customer whose user was deleted.
        staff: Username and password of its admin's staff account.
    """

    url: str
    users_token: str
    open_id: uuid.UUID
    closed_id: uuid.UUID
    staff: tuple[str, str]


def free_port() -> int:
    """Returns a port of 127.0.0.1 nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_reset(url: str) -> None:
    """Drops and creates the database a PostgreSQL URL names."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = parts._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _manage(env: dict[str, str], *args: str) -> None:
    """Runs accounting's ``manage.py``, which must succeed."""
    done = subprocess.run(  # noqa: S603 (this interpreter, our files)
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _wait_ready(process: subprocess.Popen, url: str, log: Path) -> None:
    """Waits for ``/readyz``; fails with the log if the server exits."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"accounting exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"accounting did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def accounting_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AccountingServer]:
    """Accounting, migrated and seeded, served by gunicorn for the session."""
    run_dir = tmp_path_factory.mktemp("accounting-server")
    database = f"{os.environ['ACCOUNTING_DATABASE_URL']}_users_admin"
    port = free_port()
    server = AccountingServer(
        url=f"http://127.0.0.1:{port}",
        users_token=secrets.token_urlsafe(24),
        open_id=uuid.uuid4(),
        closed_id=uuid.uuid4(),
        staff=("staff", STAFF_PASSWORD),
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(run_dir)),
        # Its own folder: no var/local.env, no .env of the checkout.
        "VAR_DIR": str(run_dir),
        "ENV_FILE": str(run_dir / ".env"),
        "DJANGO_SETTINGS_MODULE": "config.accounting.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(32),
        "ACCOUNTING_SERVICE_TOKEN": secrets.token_urlsafe(24),
        "ACCOUNTING_USERS_TOKEN": server.users_token,
        "ACCOUNTING_DATABASE_URL": database,
        "CACHE_URL": "locmemcache://",
    }
    _database_reset(database)
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(
        env,
        "shell",
        "-c",
        SEED.format(
            open_id=server.open_id,
            closed_id=server.closed_id,
            password=STAFF_PASSWORD,
        ),
    )
    log = run_dir / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own server)
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "config.accounting.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
            ],
            cwd=REPO_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(process, server.url, log)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def closed_port() -> str:
    """The URL of a port nothing listens on: connections are refused."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """The URL of a server that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
