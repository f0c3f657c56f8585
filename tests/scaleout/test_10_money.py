"""Money stays exact while one instance of each kind dies behind HAProxy.

``SCALEOUT_CLIENTS`` customers (6 by default; half on the "Save 10%" plan)
each run a thread of random credits, transfers to one another and
withdrawals through HAProxy, every one with its own Idempotency-Key,
retried with the same key and body on a broken connection, a 5xx, 429 or
409 ``idempotency_key_in_flight`` until the answer is definitive, as a
real client would (:mod:`tests.faults.bank`); a sign-up thread keeps
adding users. Meanwhile one instance at a time is SIGKILLed with its
whole process group, after a few seconds of calm: ``gateway-a``,
``users-a``, ``accounting-a``, then the Celery worker ``worker-a``. Each
time the test waits until HAProxy takes the dead one out, proves the
platform still serves on the survivor (money moves, users sign up, the
other worker runs tasks), then starts the instance again and waits until
it serves (HAProxy uses it, the worker says it is ready).

Then, quiet, the platform must agree with the clients exactly: every
operation a client saw applied is in the ledger once, under its key, as
it was answered; none that was refused is; no transaction is there that
no client was told about; every balance through the API is what the
answers add up to; ``verify_ledger`` holds; the users' outbox is empty
and every user signed up has its accounts (the sign-up reached
accounting through RabbitMQ, whichever worker took it). And the load was
really shared: both servers of every tier answered requests, both workers
ran tasks.
"""

import collections
import os
import random
import time

import psycopg

from tests.conftest import wait_until
from tests.faults.bank import (
    Books,
    assert_books_kept,
    open_customers,
    traffic,
)
from tests.faults.signups import SignUps
from tests.scaleout.conftest import (
    CELERY_DONE,
    RUN_DIR,
    SIDES,
    WEB_TIERS,
    Cluster,
)

CLIENTS = int(os.environ.get("SCALEOUT_CLIENTS", "6"))
# The clients' random choices; the report names it (timing still varies).
SEED = int(os.environ.get("SCALEOUT_SEED") or random.randrange(2**32))  # noqa: S311
CALM = 3.0  # seconds of traffic before each kill, and at the end
KILLS = ("gateway-a", "users-a", "accounting-a", "worker-a")
PROGRESS_TIMEOUT = 60
PROPAGATION_TIMEOUT = 60
SIGNUP_PAUSE = 0.5


def _survives(
    cluster: Cluster, name: str, books: Books, signups: SignUps
) -> None:
    """Waits until the platform did useful work with ``name`` dead.

    Money with a gateway or accounting dead; sign-ups with users dead (the
    money path never calls users: tokens are checked at the gateway);
    tasks run by the other worker (the accounts of new users) with a
    worker dead.
    """
    if name.startswith("worker-"):
        other = next(
            instance
            for other_name, instance in cluster.instances.items()
            if other_name.startswith("worker-") and other_name != name
        )
        done = other.log_count(CELERY_DONE)
        wait_until(
            lambda: other.log_count(CELERY_DONE) > done,
            timeout=PROGRESS_TIMEOUT,
            what=f"the other worker to run a task with {name} dead",
        )
        return
    if name.startswith("users-"):
        created = len(signups.created)
        wait_until(
            lambda: len(signups.created) > created,
            timeout=PROGRESS_TIMEOUT,
            what=f"a sign-up with {name} dead",
        )
        return
    applied = books.applied_count()
    wait_until(
        lambda: books.applied_count() > applied + len(SIDES),
        timeout=PROGRESS_TIMEOUT,
        what=f"money to move with {name} dead",
    )


def _pending_outbox(users_db: str) -> int:
    with psycopg.connect(users_db) as conn:
        return conn.execute(
            "SELECT count(*) FROM users_outboxevent WHERE published_at IS NULL"
        ).fetchone()[0]


def _report(books: Books, signups: SignUps, kills: list) -> str:
    applied = [o for o in books.outcomes if o.applied]
    by_kind = collections.Counter(
        f"{o.kind} {'applied' if o.applied else o.status}"
        for o in books.outcomes
    )
    return "\n".join(
        [
            f"seed {SEED}, {CLIENTS} clients",
            ", ".join(f"{n} {what}" for what, n in sorted(by_kind.items())),
            f"operations: {len(books.outcomes)} answered, {len(applied)} "
            f"applied, {sum(o.replayed for o in applied)} applied answers "
            f"were replays, {sum(o.attempts > 1 for o in books.outcomes)} "
            "needed retries",
            f"sign-ups: {len(signups.created)} users, "
            f"{len(signups.retried)} retried attempts",
            "kills (seconds from SIGKILL until the instance served again):",
            *(f"  {name}: {seconds:.1f}" for name, seconds in kills),
            "answers retried, by reason:",
            *(f"  {n:6d}  {why}" for why, n in books.retried.most_common()),
        ]
    )


def test_no_operation_is_lost_or_doubled_while_instances_die(
    cluster: Cluster,
) -> None:
    customers = open_customers(cluster.gateway, CLIENTS)
    books = Books()
    signups = SignUps(cluster.gateway, pause=SIGNUP_PAUSE)
    kills = []
    with traffic(
        cluster.gateway,
        customers,
        books,
        signups,
        seed=SEED,
        join_timeout=120,
    ) as threads:
        for name in KILLS:
            time.sleep(CALM)
            began = time.monotonic()
            cluster.kill(name)
            _survives(cluster, name, books, signups)
            cluster.restart(name)
            kills.append((name, time.monotonic() - began))
        time.sleep(CALM)
    report = _report(books, signups, kills)
    (RUN_DIR / "report.txt").write_text(report + "\n")
    print(report)

    assert not any(thread.is_alive() for thread in threads)
    assert_books_kept(
        books,
        customers,
        gateway=cluster.gateway,
        accounting_db=cluster.accounting_db,
        env=cluster.env,
    )

    assert not signups.problems, signups.problems
    assert signups.created
    wait_until(
        lambda: _pending_outbox(cluster.users_db) == 0,
        timeout=PROPAGATION_TIMEOUT,
        what="the users' outbox to drain",
    )
    missing = signups.missing_accounts(timeout=PROPAGATION_TIMEOUT)
    assert not missing, f"sign-ups that never reached accounting: {missing}"

    answered = cluster.haproxy.answered()
    idle = [
        f"{tier}/{tier}-{side}"
        for tier in WEB_TIERS
        for side in SIDES
        if not answered[f"{tier}/{tier}-{side}"]
    ]
    assert not idle, f"servers HAProxy never sent a request to: {idle}"
    for side in SIDES:
        ran = cluster.instances[f"worker-{side}"].log_count(CELERY_DONE)
        assert ran, f"worker-{side} ran no task"
