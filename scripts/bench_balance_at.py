r"""Measures the cost of a balance as of an instant, by history length.

``GET /balance?at=T`` must cost the same whatever the length of history: it
is one backward probe of the entry index on (account, occurred_at,
sequence). This loads N credits on one holder's main account (straight into
PostgreSQL with generate_series, so 1M entries take seconds; triggers are
off during the load only), then times the accounting service's
``balance_at`` selector and its internal HTTP endpoint at random instants,
and prints the query plan.

Run it on a scratch database (it is dropped and recreated)::

    make bench-balance      # or, by hand:
    DJANGO_SETTINGS_MODULE=config.accounting.settings \\
    ACCOUNTING_DATABASE_URL=postgres://postgres@127.0.0.1/bench_accounting \\
    .venv/bin/python scripts/bench_balance_at.py 1000 1000000
"""

import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SAMPLES = 2000


def _recreate_database() -> None:
    """Drops and recreates the scratch database named by the URL."""
    url = os.environ["ACCOUNTING_DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    if not name.startswith("bench"):
        sys.exit("refusing to drop a database whose name does not start bench")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(
        ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True
    )
    subprocess.run(
        ["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True
    )


def _load(entries: int):
    """Creates a holder with ``entries`` credits of 1.00 USD on main."""
    from django.db import connection, transaction  # noqa: PLC0415

    from accounting import models, services  # noqa: PLC0415

    user_id = uuid.uuid4()
    services.holder_apply_user_event(
        event=services.UserEvent(
            event_id=uuid.uuid4(),
            type="user.created",
            user_id=user_id,
            email=f"bench-{entries}@example.com",
            first_name="",
            last_name="",
            is_active=True,
            version=1,
        )
    )
    holder = models.Holder.objects.get(pk=user_id)
    main = holder.accounts.get(kind="main", currency="USD")
    world = models.Account.system_id("world", "USD")
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO accounting_account
                (id, holder_id, kind, currency, balance, last_sequence,
                 created_at)
            VALUES (%s, NULL, 'world', 'USD', 0, 0, now())
            ON CONFLICT DO NOTHING
            """,
            [world],
        )
        cursor.execute(
            """
            CREATE TEMP TABLE bench_txn ON COMMIT DROP AS
            SELECT i, gen_random_uuid() AS id,
                   %s::timestamptz + i * interval '1 minute' AS at
            FROM generate_series(1, %s) AS i
            """,
            [start, entries],
        )
        cursor.execute(
            """
            INSERT INTO accounting_transaction
                (id, holder_id, kind, amount, currency, occurred_at,
                 description, source, category, plan_snapshot, created_at)
            SELECT id, %s, 'credit', 100, 'USD', at, '', '', NULL, NULL, at
            FROM bench_txn
            """,
            [user_id],
        )
        cursor.execute(
            """
            INSERT INTO accounting_entry
                (transaction_id, account_id, currency, amount, occurred_at,
                 sequence, balance_after)
            SELECT id, %s, 'USD', 100, at, i, 100 * i FROM bench_txn
            UNION ALL
            SELECT id, %s, 'USD', -100, at, NULL, NULL FROM bench_txn
            """,
            [main.id, world],
        )
        cursor.execute(
            "UPDATE accounting_account SET balance = %s, last_sequence = %s "
            "WHERE id = %s",
            [100 * entries, entries, main.id],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounting_entry")
        cursor.execute("ANALYZE accounting_account")
    span = dt.timedelta(minutes=entries + 1)
    return holder, start, span


def _timed(calls) -> dict[str, float]:
    """Runs callables once each; returns latency percentiles in ms."""
    durations = []
    for call in calls:
        began = time.perf_counter()
        call()
        durations.append((time.perf_counter() - began) * 1000)
    durations.sort()
    return {
        "p50": statistics.median(durations),
        "p95": durations[int(len(durations) * 0.95)],
        "p99": durations[int(len(durations) * 0.99)],
    }


def main(sizes: list[int]) -> None:
    """Loads each size in turn and prints its latencies."""
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", "config.accounting.settings"
    )
    _recreate_database()
    import django  # noqa: PLC0415

    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415

    from accounting import selectors  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    client = Client(HTTP_AUTHORIZATION=f"Service {settings.INTERNAL_API_TOKEN}")
    rng = random.Random(42)
    print(
        f"{'entries':>9} {'what':<26} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    for size in sizes:
        holder, start, span = _load(size)
        instants = [
            start + dt.timedelta(seconds=rng.uniform(0, span.total_seconds()))
            for _ in range(SAMPLES)
        ]
        for at in instants[:50]:  # warm the cache and the connection
            selectors.balance_at(holder=holder, currency="USD", at=at)
        query = _timed(
            lambda at=at, holder=holder: selectors.balance_at(
                holder=holder, currency="USD", at=at
            )
            for at in instants
        )
        path = f"/internal/v1/holders/{holder.pk}/balance"
        http = _timed(
            lambda at=at, path=path: client.get(
                path, {"at": at.isoformat().replace("+00:00", "Z")}
            )
            for at in instants
        )
        for what, figures in (
            ("balance_at() selector", query),
            ("internal GET .../balance", http),
        ):
            print(
                f"{size:>9} {what:<26} {figures['p50']:>7.3f} "
                f"{figures['p95']:>7.3f} {figures['p99']:>7.3f}"
            )
        sql, params = selectors.balance_query(
            holder=holder, currency="USD", at=instants[0]
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
            plan = "\n".join(f"    {row[0]}" for row in cursor.fetchall())
        print(f"  plan with {size} entries:\n{plan}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 1_000_000])
