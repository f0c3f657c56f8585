"""``make bench-capacity``: how far one PostgreSQL primary carries the ledger.

The figures docs/scaling.md quotes, from one run on this machine:

1. Credits per second per core. pgbench runs the accounting service's
   credit, statement for statement (``bench/service_credit.sql``, on the
   database ``bench/service_db.py`` fills with 10,000 holders), at 1 and
   2 clients for ``BENCH_SECONDS`` each, beside the reference credit
   (``bench/reference``) at the same concurrency. One client keeps one
   backend busy: its rate is what one core of the primary commits when
   the network round trips are the only other cost.
2. Journal growth per million transactions. pgbench then writes
   ``CAPACITY_TRANSACTIONS`` more credits (1,000,000 unless set) at 8
   clients; the growth of every table the credit writes (heap, indexes,
   TOAST) and the WAL it produced are read before and after, and given
   per million transactions.
3. ``verify_ledger`` on the database the million credits were written to.
4. A balance as of an instant and pages of history with
   ``CAPACITY_PROBE_ENTRIES`` (10,000,000 unless set) entries on one
   account (``scripts/bench_balance_at.py``).

The report is printed and written to ``$VAR_DIR/bench/capacity.md``.
"""

import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from bench import run  # noqa: E402

TRANSACTIONS = int(os.environ.get("CAPACITY_TRANSACTIONS", "1000000"))
PROBE_ENTRIES = int(os.environ.get("CAPACITY_PROBE_ENTRIES", "10000000"))
FILL_CLIENTS = 8
PER_CORE_CLIENTS = (1, 2)
# What one credit writes (bench/service_credit.sql).
TABLES = (
    "accounting_transaction",
    "accounting_entry",
    "accounting_idempotencykey",
    "accounting_account",
)
_SIZES_SQL = """
    SELECT c.relname, pg_relation_size(c.oid),
        pg_indexes_size(c.oid),
        COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0)
    FROM pg_class c WHERE c.relname = ANY(%s)
"""


def _sizes(database: str) -> dict[str, tuple[int, int, int]]:
    """Returns each written table's (heap, indexes, TOAST) bytes."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect(f"{run.PG_URL}/{database}") as connection:
        connection.execute("CHECKPOINT")
        rows = connection.execute(_SIZES_SQL, [list(TABLES)]).fetchall()
    return {name: (heap, indexes, toast) for name, heap, indexes, toast in rows}


def _wal_lsn(database: str) -> int:
    """Returns the server's current WAL position in bytes."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect(f"{run.PG_URL}/{database}") as connection:
        (lsn,) = connection.execute(
            "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"
        ).fetchone()
    return int(lsn)


def _count(database: str) -> int:
    """Returns how many journal headers the database holds."""
    import psycopg  # noqa: PLC0415

    with psycopg.connect(f"{run.PG_URL}/{database}") as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM accounting_transaction"
        ).fetchone()
    return count


def fill(variables: dict[str, str], transactions: int) -> dict:
    """Writes ``transactions`` credits with pgbench; returns its rate."""
    per_client = -(-transactions // FILL_CLIENTS)
    defines = [arg for k, v in variables.items() for arg in ("-D", f"{k}={v}")]
    began = time.monotonic()
    done = subprocess.run(
        [
            "pgbench",
            *run._pg_args(),
            "-n",
            "-M",
            "prepared",
            "-j",
            "2",
            "-c",
            str(FILL_CLIENTS),
            "-t",
            str(per_client),
            "-f",
            str(run.SERVICE_SQL),
            *defines,
            run.SERVICE_DB,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    tps = re.search(r"tps = ([\d.]+) \(without initial", output)
    if done.returncode or tps is None:
        raise RuntimeError(f"pgbench fill failed:\n{output[-2000:]}")
    return {
        "rate": float(tps.group(1)),
        "seconds": time.monotonic() - began,
        "written": per_client * FILL_CLIENTS,
    }


def _mib(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB"


def report(results: dict) -> str:
    """Returns the run's figures as Markdown."""
    lines = [
        f"# Ledger capacity, {results['started']}, commit {results['commit']}",
        "",
        f"Machine: {results['machine']}; load average at the start "
        f"{results['load_average']:.2f}. Command: `make bench-capacity`.",
        "",
        "## Credits per second (pgbench, BENCH_SECONDS="
        f"{run.SECONDS} per step)",
        "",
        "| clients | service's credit/s | reference credit/s | ratio |",
        "|---:|---:|---:|---:|",
    ]
    for clients in PER_CORE_CLIENTS:
        service = results["pgbench"]["service"][str(clients)]["rate"]
        reference = results["pgbench"]["reference"][str(clients)]["rate"]
        lines.append(
            f"| {clients} | {service:,.0f} | {reference:,.0f} | "
            f"{service / reference:.2f} |"
        )
    filled = results["fill"]
    lines += [
        "",
        f"## Growth per million transactions ({filled['written']:,} credits "
        f"at {FILL_CLIENTS} clients, {filled['rate']:,.0f}/s, "
        f"{filled['seconds']:.0f} s)",
        "",
        "| table | heap | indexes | TOAST | total |",
        "|---|---:|---:|---:|---:|",
    ]
    scale = 1_000_000 / filled["written"]
    total = 0.0
    for table in TABLES:
        before = results["sizes_before"][table]
        after = results["sizes_after"][table]
        grown = [(a - b) * scale for a, b in zip(after, before, strict=True)]
        total += sum(grown)
        lines.append(
            f"| {table} | {_mib(grown[0])} | {_mib(grown[1])} | "
            f"{_mib(grown[2])} | {_mib(sum(grown))} |"
        )
    lines += [
        f"| all | | | | {_mib(total)} |",
        "",
        f"WAL written: {_mib(results['wal_bytes'] * scale)} per million "
        "transactions.",
        "",
        f"verify_ledger on {results['journal']:,} transactions: "
        f"{'holds' if results['verify'][0] else 'FAILED'} "
        f"({results['verify'][1]}).",
        "",
        f"## Balance as of, pages ({PROBE_ENTRIES:,} entries on one account)",
        "",
        "| what | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {row['what']} | {row['p50']:.2f} | {row['p95']:.2f} | "
        f"{row['p99']:.2f} |"
        for row in results["balance"]["rows"]
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Runs every step and prints the report; 1 if the ledger fails."""
    run.RUN_DIR.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": run._commit(),
        "machine": run._machine(),
        "load_average": os.getloadavg()[0],
    }
    env = run.stack_env("SAVINGS_BENCH_CAPACITY=1")
    subprocess.run(
        [sys.executable, "-m", "config.bootstrap", env["VAR_DIR"]],
        cwd=REPO_DIR,
        env=env,
        check=True,
    )
    run.say("pgbench: the reference and the service's credit")
    run.prepare_reference()
    document = run.prepare_service(env)
    variables = document["variables"]
    results["pgbench"] = {"reference": {}, "service": {}}
    for clients in PER_CORE_CLIENTS:
        for name, script, database, defined in (
            ("reference", run.REFERENCE_SQL, run.REFERENCE_DB, {}),
            ("service", run.SERVICE_SQL, run.SERVICE_DB, variables),
        ):
            result = run.pgbench(script, database, clients, defined)
            results["pgbench"][name][str(clients)] = result
            run.say(f"  {name} at {clients}: {result['rate']:,.0f}/s")
    run.say(f"writing {TRANSACTIONS:,} credits")
    results["sizes_before"] = _sizes(run.SERVICE_DB)
    wal_before = _wal_lsn(run.SERVICE_DB)
    results["fill"] = fill(variables, TRANSACTIONS)
    results["wal_bytes"] = _wal_lsn(run.SERVICE_DB) - wal_before
    results["sizes_after"] = _sizes(run.SERVICE_DB)
    results["journal"] = _count(run.SERVICE_DB)
    run.say("verify_ledger")
    results["verify"] = run.verify(env, run.SERVICE_DB)
    run.say(f"balance as of with {PROBE_ENTRIES:,} entries")
    results["balance"] = run.balance_bench(
        env, [PROBE_ENTRIES], "capacity-balance"
    )
    text = report(results)
    (run.RUN_DIR / "capacity.md").write_text(text)
    print(text)
    return 0 if results["verify"][0] else 1


if __name__ == "__main__":
    sys.exit(main())
