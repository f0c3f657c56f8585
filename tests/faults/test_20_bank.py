"""Money stays exact while processes die and servers restart under load.

``FAULTS_CLIENTS`` customers (8 by default; half of them on the "Save 10%"
plan) each run a thread of random credits, transfers to one another and
withdrawals through the gateway, every one with its own Idempotency-Key,
retried with the same key and body until the answer is definitive
(:mod:`tests.faults.bank`); a sign-up thread keeps adding users. Meanwhile
the fixed schedule of :mod:`tests.faults.injector` kills Celery workers,
gunicorn and uvicorn processes, freezes accounting, and restarts the
private PostgreSQL and RabbitMQ, ``FAULTS_ROUNDS`` times (1 by default;
``make test-long`` runs more, with more clients), waiting after each until
the platform serves again.

Then, with everything quiet, the platform must agree with what the clients
were told, exactly: each customer's balance is what the 2xx answers add up
to (credits split by plan, transfers, withdrawals), no balance is negative,
every applied operation is one ledger transaction under its key and no
refused one left any, ``verify_ledger`` holds, and every user signed up
during the faults has its accounts.
"""

import collections
import os
import random
import time

from tests.faults import injector
from tests.faults.bank import (
    Books,
    assert_books_kept,
    open_customers,
    traffic,
)
from tests.faults.signups import SignUps

CLIENTS = int(os.environ.get("FAULTS_CLIENTS", "8"))
ROUNDS = int(os.environ.get("FAULTS_ROUNDS", "1"))
# The clients' random choices; the report names it (timing still varies).
SEED = int(os.environ.get("FAULTS_SEED") or random.randrange(2**32))  # noqa: S311
GAP = 4.0  # seconds of calm traffic before each fault
PROPAGATION_TIMEOUT = 120


def _report(books: Books, recoveries: list, signups: SignUps) -> str:
    applied = [o for o in books.outcomes if o.applied]
    by_kind = collections.Counter(
        f"{o.kind} {'applied' if o.applied else o.status}"
        for o in books.outcomes
    )
    lines = [
        f"seed {SEED}, {CLIENTS} clients, {ROUNDS} round(s)",
        ", ".join(f"{n} {what}" for what, n in sorted(by_kind.items())),
        f"operations: {len(books.outcomes)} answered, {len(applied)} applied,"
        f" {sum(o.replayed for o in applied)} applied answers were replays,"
        f" {sum(o.attempts > 1 for o in books.outcomes)} needed retries",
        f"sign-ups: {len(signups.created)} users, "
        f"{len(signups.retried)} retried attempts:",
        *(
            f"  {n:6d}  {why}"
            for why, n in collections.Counter(signups.retried).most_common()
        ),
        "faults (seconds from the fault, outage included, until money moved"
        " again):",
        *(f"  {name}: {seconds:.1f}" for name, seconds in recoveries),
        "answers retried, by reason:",
        *(f"  {n:6d}  {why}" for why, n in books.retried.most_common()),
    ]
    return "\n".join(lines)


def test_money_is_exact_through_crashes_and_restarts(platform):
    customers = open_customers(platform.gateway, CLIENTS)
    books = Books()
    signups = SignUps(platform.gateway)
    with traffic(
        platform.gateway,
        customers,
        books,
        signups,
        seed=SEED,
        join_timeout=injector.RECOVERY_TIMEOUT + 60,
    ) as threads:
        recoveries = injector.run_schedule(
            platform,
            injector.SCHEDULE * ROUNDS,
            gap=GAP,
            progress=books.applied_count,
        )
        time.sleep(GAP)
    report = _report(books, recoveries, signups)
    (platform.run_dir / "report.txt").write_text(report + "\n")
    print(report)

    assert not any(thread.is_alive() for thread in threads)
    assert_books_kept(
        books,
        customers,
        gateway=platform.gateway,
        accounting_db=platform.accounting_db,
        env=platform.env,
    )

    assert not signups.problems, signups.problems
    assert signups.created
    missing = signups.missing_accounts(timeout=PROPAGATION_TIMEOUT)
    assert not missing, missing
