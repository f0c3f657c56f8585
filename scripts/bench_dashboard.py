r"""Times the admin's dashboard on a ledger of a million entries.

Loads, straight into PostgreSQL with generate_series (triggers off during
the load only), HOLDERS holders under three plans, opened over a year, and
credits spread over that year, split 90/10 between main and savings (three
entries each: world, main, savings), until ENTRIES entries; one user
event per holder, processed a few seconds after it was written. Then
runs each query of the dashboard (``accounting.selectors.dashboard``)
for the default period (the last 30 days) and for today, prints its
executed plan (``EXPLAIN ANALYZE``), and times the whole page's figures.

Run it on a scratch database (it is dropped and recreated)::

    DJANGO_SETTINGS_MODULE=config.accounting.settings \
    ACCOUNTING_DATABASE_URL=postgres://postgres@127.0.0.1/bench_dashboard \
    .venv/bin/python scripts/bench_dashboard.py 1000000
"""

import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOLDERS = 10_000
DAYS = 365
END = dt.datetime(2026, 12, 1, 18, tzinfo=dt.UTC)


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


def _load(entries: int) -> None:
    """Loads the holders, plans, credits and events (see the module)."""
    from django.db import connection, transaction  # noqa: PLC0415

    from accounting import models  # noqa: PLC0415

    credits = entries // 3
    start = END - dt.timedelta(days=DAYS)
    world = models.Account.system_id("world", "USD")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO accounting_plan (id, name, kind, currency, percentage,
                description, savings_hold_days, is_active, created_at,
                updated_at)
            SELECT gen_random_uuid(), 'Plan ' || n, 'percentage', 'USD', 10,
                '', 0, true, now(), now()
            FROM generate_series(1, 3) AS n
            """
        )
        cursor.execute(
            """
            CREATE TEMP TABLE bench_holder ON COMMIT DROP AS
            SELECT n, gen_random_uuid() AS id,
                gen_random_uuid() AS main, gen_random_uuid() AS savings,
                %(start)s::timestamptz
                    + (n * %(days)s / %(holders)s) * interval '1 day' AS at
            FROM generate_series(0, %(holders)s - 1) AS n
            """,
            {"start": start, "days": DAYS, "holders": HOLDERS},
        )
        cursor.execute(
            """
            INSERT INTO accounting_holder (user_id, email, first_name,
                last_name, version, plan_id, created_at, updated_at)
            SELECT h.id, 'bench' || h.n || '@example.com', '', '', 1,
                (SELECT id FROM accounting_plan
                 ORDER BY name OFFSET h.n % 4 LIMIT 1),
                h.at, h.at
            FROM bench_holder h
            """
        )
        cursor.execute(
            """
            INSERT INTO accounting_account (id, holder_id, kind, currency,
                balance, last_sequence, created_at)
            SELECT %s, NULL, 'world', 'USD', 0, 0, now()
            UNION ALL
            SELECT main, id, 'main', 'USD', 0, 0, at FROM bench_holder
            UNION ALL
            SELECT savings, id, 'savings', 'USD', 0, 0, at FROM bench_holder
            """,
            [world],
        )
        cursor.execute(
            """
            INSERT INTO accounting_processedevent (event_id, occurred_at,
                processed_at)
            SELECT gen_random_uuid(), at, at + (n % 7) * interval '1 second'
            FROM bench_holder
            """
        )
        # Credit i goes to holder i % HOLDERS (its sequence: i / HOLDERS
        # + 1), at an instant of the year in order. The journal is written
        # in time order, as the services append it.
        cursor.execute(
            """
            CREATE TEMP TABLE bench_txn ON COMMIT DROP AS
            SELECT i, gen_random_uuid() AS id, h.id AS holder, h.main,
                h.savings, i / %(holders)s + 1 AS seq,
                100 + (i::bigint * 7919) %% 100000 AS amount,
                %(start)s::timestamptz
                    + i * (%(days)s * interval '1 day') / %(credits)s AS at
            FROM generate_series(0, %(credits)s - 1) AS i
            JOIN bench_holder h ON h.n = i %% %(holders)s
            """,
            {
                "holders": HOLDERS,
                "start": start,
                "days": DAYS,
                "credits": credits,
            },
        )
        cursor.execute(
            """
            INSERT INTO accounting_transaction (id, holder_id, kind, amount,
                currency, occurred_at, effective_at, description, source,
                to_currency, created_at)
            SELECT id, holder, 'credit', amount, 'USD', at, at, '', '', '',
                at
            FROM bench_txn ORDER BY i
            """
        )
        cursor.execute(
            """
            INSERT INTO accounting_entry (transaction_id, holder_id,
                account_id, currency, amount, occurred_at, sequence,
                balance_after)
            SELECT id, holder, leg.account, 'USD', leg.amount, at,
                leg.sequence, leg.balance
            FROM bench_txn, LATERAL (VALUES
                (%s::uuid, -amount, NULL::bigint, NULL::bigint),
                (main, amount - amount / 10, seq, 0),
                (savings, amount / 10, seq, 0)
            ) AS leg(account, amount, sequence, balance)
            ORDER BY i
            """,
            [world],
        )
    # What autovacuum does after such a load: statistics, and the BRIN
    # summaries of the new block ranges (autosummarize queues them).
    with connection.cursor() as cursor:
        for table in (
            "transaction",
            "entry",
            "account",
            "holder",
            "processedevent",
        ):
            cursor.execute(f"VACUUM ANALYZE accounting_{table}")
        cursor.execute("SELECT count(*) FROM accounting_entry")
        print(
            f"loaded: {cursor.fetchone()[0]:,} entries, {credits:,} "
            f"credits, {HOLDERS:,} holders over {DAYS} days"
        )


def _explain(sql: str, params) -> list[str]:
    """Returns PostgreSQL's executed plan of a statement."""
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
        return [row[0] for row in cursor.fetchall()]


def _figures(period, now) -> dict:
    """Computes every figure of the page, as the admin's view does."""
    from accounting.selectors import dashboard  # noqa: PLC0415

    flows = dashboard.money_flows(period)
    saved = dashboard.savings_moved(period)
    return {
        "rates": dashboard.savings_rates(flows, saved),
        "plans": dashboard.holders_per_plan(),
        "new": dashboard.holders_new(period),
        "propagation": dashboard.propagation(period),
        "largest": dashboard.movements_largest(now=now),
        "charts": dashboard.flows_chart(period, flows),
    }


def main() -> None:
    """Loads the ledger, prints the plans and the page's timings."""
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    _recreate_database()
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from accounting.selectors import dashboard  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    _load(entries)
    print(f"load: {time.perf_counter() - began:.1f} s")
    period = dashboard.Period.ending(END.date())
    with CaptureQueriesContext(connection) as captured:
        _figures(period, END)
    for query in captured.captured_queries:
        print("\n" + query["sql"])
        # The captured SQL has its parameters in: explain it as it ran.
        with connection.cursor() as cursor:
            cursor.execute(
                f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {query['sql']}"
            )
            for (line,) in cursor.fetchall():
                print("   ", line)
    durations = []
    for _ in range(7):
        began = time.perf_counter()
        _figures(period, END)
        durations.append((time.perf_counter() - began) * 1000)
    print(
        f"\nthe dashboard's {len(captured.captured_queries)} queries, "
        f"30 days of {DAYS}: median {statistics.median(durations):.0f} ms, "
        f"max {max(durations):.0f} ms (7 runs)"
    )


if __name__ == "__main__":
    main()
