r"""Measures balance-as-of and transaction pages, by history length.

``GET /balance?at=T`` must cost the same whatever the length of history: it
is one backward probe of the entry index on (account, occurred_at,
sequence). A page of ``GET /transactions`` must too: keyset pagination on
(effective_at, id), so a page deep in the history (resumed from a cursor)
is one index range scan, like the first. This loads N credits on one
holder's main account (straight into PostgreSQL with generate_series, so
1M entries take seconds; triggers are off during the load only), then
times the accounting service's ``balance_at`` selector and its internal
HTTP endpoint at random instants, and the internal transactions endpoint's
first page and pages resumed at random points of the history, and prints
the query plans.

Run it on a scratch database (it is dropped and recreated)::

    make bench-balance      # or, by hand:
    DJANGO_SETTINGS_MODULE=config.accounting.settings \\
    ACCOUNTING_DATABASE_URL=postgres://postgres@127.0.0.1/bench_balance \\
    .venv/bin/python scripts/bench_balance_at.py 1000 1000000

``--json PATH`` (first) also writes the figures and plans there, for
``make bench`` (``bench/run.py``).
"""

import datetime as dt
import json
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
# Pages cost more than a balance: fewer samples keep the run short.
PAGE_SAMPLES = 200
PAGE_SIZE = 50  # the internal API's default page


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
                 effective_at, description, source, category, plan_snapshot,
                 to_currency, created_at)
            SELECT id, %s, 'credit', 100, 'USD', at, at, '', '', NULL, NULL,
                '', at
            FROM bench_txn
            """,
            [user_id],
        )
        cursor.execute(
            """
            INSERT INTO accounting_entry
                (transaction_id, holder_id, account_id, currency, amount,
                 occurred_at, sequence, balance_after)
            SELECT id, %s, %s, 'USD', 100, at, i, 100 * i FROM bench_txn
            UNION ALL
            SELECT id, %s, %s, 'USD', -100, at, NULL, NULL FROM bench_txn
            """,
            [user_id, main.id, user_id, world],
        )
        cursor.execute(
            "UPDATE accounting_account SET balance = %s, last_sequence = %s "
            "WHERE id = %s",
            [100 * entries, entries, main.id],
        )
    # Statistics, as autovacuum would gather them (it may be off): without
    # them the planner guesses a few rows per holder and sorts all of them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounting_entry")
        cursor.execute("ANALYZE accounting_account")
        cursor.execute("ANALYZE accounting_transaction")
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


def _page_cursors(holder, start, size, rng) -> list[str]:
    """Returns cursors that resume the history at random transactions."""
    from django.db import connection  # noqa: PLC0415

    from accounting import models, selectors  # noqa: PLC0415

    instants = [
        start + dt.timedelta(minutes=rng.randint(1, size))
        for _ in range(PAGE_SAMPLES)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, effective_at FROM accounting_transaction "
            "WHERE holder_id = %s AND effective_at = ANY(%s)",
            [holder.pk, instants],
        )
        found = {
            at: models.Transaction(id=pk, effective_at=at)
            for pk, at in cursor.fetchall()
        }
    return [selectors.cursor_encode(found[at]) for at in instants]


def _plan(sql: str, params=()) -> list[str]:
    """Returns PostgreSQL's executed plan of a statement, line by line."""
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
        return [row[0] for row in cursor.fetchall()]


def _page_plan(path: str, client, cursor: str) -> list[str]:
    """Returns the plan of the page query a cursor's request ran."""
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    with CaptureQueriesContext(connection) as captured:
        client.get(path, {"cursor": cursor})
    page_sql = next(
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith('SELECT "accounting_transaction"')
    )
    return _plan(page_sql)


def main(sizes: list[int], json_path: Path | None = None) -> None:
    """Loads each size in turn and prints its latencies (and plans)."""
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", "config.accounting.settings"
    )
    _recreate_database()
    import django  # noqa: PLC0415

    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415

    from accounting import selectors  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    client = Client(HTTP_AUTHORIZATION=f"Service {settings.INTERNAL_API_TOKEN}")
    rng = random.Random(42)
    results = {"rows": [], "plans": []}
    print(
        f"{'entries':>9} {'what':<38} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
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
        pages = f"/internal/v1/holders/{holder.pk}/transactions"
        first = client.get(pages)
        assert first.status_code == 200, first.content
        assert len(first.json()["results"]) == PAGE_SIZE
        first_page = _timed(
            (lambda pages=pages: client.get(pages)) for _ in range(PAGE_SAMPLES)
        )
        cursors = _page_cursors(holder, start, size, rng)
        deep = client.get(pages, {"cursor": cursors[0]})
        assert deep.status_code == 200, deep.content
        deep_page = _timed(
            lambda cursor=cursor, pages=pages: client.get(
                pages, {"cursor": cursor}
            )
            for cursor in cursors
        )
        for what, figures in (
            ("balance_at() selector", query),
            ("internal GET .../balance?at=", http),
            ("internal GET .../transactions", first_page),
            ("internal GET .../transactions?cursor=", deep_page),
        ):
            print(
                f"{size:>9} {what:<38} {figures['p50']:>7.3f} "
                f"{figures['p95']:>7.3f} {figures['p99']:>7.3f}"
            )
            results["rows"].append({"entries": size, "what": what, **figures})
        sql, params = selectors.balance_query(
            holder=holder, currency="USD", at=instants[0]
        ).query.sql_with_params()
        for what, plan in (
            ("balance as of", _plan(sql, params)),
            ("page resumed by cursor", _page_plan(pages, client, cursors[0])),
        ):
            print(f"  plan of the {what}, {size} entries:")
            print("\n".join(f"    {line}" for line in plan))
            results["plans"].append(
                {"entries": size, "what": what, "plan": plan}
            )
    if json_path is not None:
        json_path.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    args = sys.argv[1:]
    output = None
    if args[:1] == ["--json"]:
        output, args = Path(args[1]), args[2:]
    main([int(arg) for arg in args] or [1000, 1_000_000], output)
