"""``make bench``: the money path's speed, against a yardstick, in one run.

What a credit costs is only meaningful next to what the same machine can
do at best, measured at the same moment: a shared 2-core VM varies by 15%
from one hour to the next. So every number here comes from one run, and
each row is given as a ratio to the reference credit (``bench/reference``:
the smallest double-entry credit PostgreSQL can do, two accounts locked,
one transaction, two entries, two balance updates) run by pgbench at the
same concurrency. In order:

1. pgbench at 1, 8 and 32 clients on the reference credit (database
   ``bench_ref``), then on ``bench/service_credit.sql``: the statements the
   accounting service sends for one credit, on a database Django migrated
   with 10,000 holders (``bench/service_db.py``). The gap between the two
   is the schema's and the SQL's; what the service loses beyond that is
   Python and HTTP.
2. The real stack, started from the Procfile as the end-to-end suite does
   (fresh databases ``bench_users`` and ``bench_accounting``, RabbitMQ
   vhost ``savings_bench``, Redis databases 12 and 13, ports 19000-19002):
   64 users sign up and log in through the gateway, pick the "Save 10%"
   plan, open a EUR wallet and are funded. Then wrk (``bench/money.lua``)
   sends credits of 1.00, each with a fresh Idempotency-Key and spread
   over the users, to the accounting service's internal endpoint and to
   the public gateway at 1, 8 and 32 kept-alive connections, and
   transfers, withdrawals and conversions through the gateway at 8. The
   gateway's request limits are lifted for the run (environment settings)
   so that the numbers measure the work, not the quotas; the counting in
   Redis still happens on every request.
   Around the 8-client credit steps, and GET /healthz on the gateway
   and on accounting after them (the framework's floor: an empty
   request), the CPU time of every tier (``bench/cpu.py``) is read and
   divided by the requests completed: what a credit costs each process,
   next to what the machine's cores can give one at the rate measured.
   Then a statement of 100,000 rows is imported through the gateway
   (``POST /api/v1/imports``) and applied by the worker: rows per second
   from the 202 to ``completed``; and a partner's batch of 10,000
   credits, one per user (``POST /api/v1/partner/credit-batches``):
   credits per second from the 202 to ``completed``.
3. The issue's targets, each met or not.
4. ``verify_ledger`` on the benchmark's accounting database (and on the
   pgbench one): the run fails if either does not hold.
5. ``scripts/bench_balance_at.py``: a balance as of an instant and a page
   of transactions (the first, and one deep in history by cursor) with
   1,000 and 1,000,000 entries on one account.

The report is printed and written to ``$VAR_DIR/bench/results.md`` and
``results.json``. Settings (environment): ``BENCH_SECONDS`` (10) per load
step, ``BENCH_QUICK=1`` skips the 1,000,000-entry load, ``PG_URL``,
``AMQP_URL``, ``REDIS_URL`` as for the end-to-end suite.
"""

import concurrent.futures
import contextlib
import datetime as dt
import functools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

import httpx  # noqa: E402

from bench import cpu  # noqa: E402
from tests.conftest import (  # noqa: E402
    manage,
    platform_env,
    platform_prepare,
    platform_start,
    platform_stop,
    platform_wait_ready,
    port_open,
    reset_database,
)
from tests.e2e.conftest import reset_redis, reset_vhost  # noqa: E402
from tests.e2e.helpers import sign_up, when_ready  # noqa: E402

PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
QUICK = os.environ.get("BENCH_QUICK", "") not in {"", "0"}
VAR_DIR = Path(os.environ.get("VAR_DIR", REPO_DIR / "var")).resolve()
RUN_DIR = VAR_DIR / "bench"

CLIENTS = (1, 8, 32)
MOVEMENT_CLIENTS = 8
# The steps whose CPU is read by tier (bench/cpu.py), at this many clients;
# then an empty request (GET /healthz) on each of these, for the floor.
PROFILED = ("accounting-credit", "credit")
PROFILED_CLIENTS = 8
EMPTY_CLIENTS = 4
EMPTY_SECONDS = 3
HOLDERS = 10_000
USERS = 64
WARM_UP_SECONDS = 2
PORTS = (19000, 19001, 19002)
GATEWAY = f"http://127.0.0.1:{PORTS[0]}"
ACCOUNTING = f"http://127.0.0.1:{PORTS[2]}"
REFERENCE_DB = "bench_ref"
SERVICE_DB = "bench_svc"
USERS_DB = "bench_users"
ACCOUNTING_DB = "bench_accounting"
BALANCE_DB = "bench_balance"
VHOST = "savings_bench"
REDIS_CACHE_URL = f"{REDIS_URL}/12"
REDIS_CHANNELS_URL = f"{REDIS_URL}/13"
REFERENCE_SQL = REPO_DIR / "bench" / "reference" / "credit.sql"
REFERENCE_SCHEMA = REPO_DIR / "bench" / "reference" / "schema.sql"
SERVICE_SQL = REPO_DIR / "bench" / "service_credit.sql"
WRK_SCRIPT = REPO_DIR / "bench" / "money.lua"

# The gateway's limits (integration.limits), lifted for the benchmark's
# users: quotas per minute far above what 2 cores can serve, and as many
# requests in flight per user as there are connections.
LIFTED_LIMITS = {
    "API_MONEY_RATE": "100000000/min",
    "API_WRITE_RATE": "100000000/min",
    "API_READ_RATE": "100000000/min",
    "API_MAX_IN_FLIGHT": "1000",
}

# The targets: (label, what is compared, threshold).
TARGET_ACCOUNTING = 0.30
TARGET_GATEWAY = 0.15
TARGET_GATEWAY_VS_ACCOUNTING = 0.6
# A partner's batch (one worker, one connection) against one pgbench client.
TARGET_BATCH = 2.0
TARGET_GATEWAY_P99_MS = 100.0
# A 1-minute load average above this at the start is worth a warning.
BUSY_LOAD_AVERAGE = 1.0


def say(message: str) -> None:
    """Prints progress on stderr (the report goes to stdout)."""
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"bench {stamp} | {message}", file=sys.stderr, flush=True)


# --- pgbench ----------------------------------------------------------------


def _pg_args() -> list[str]:
    """Returns psql/pgbench's connection options for ``PG_URL``."""
    parts = urlsplit(PG_URL)
    return [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]


def _percentile(values: list[float], fraction: float) -> float:
    """Returns the value below which ``fraction`` of sorted values fall."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * fraction))]


def pgbench(
    script: Path, database: str, clients: int, variables: dict[str, str]
) -> dict:
    """Runs pgbench once; returns its rate, latencies and failures.

    Latency percentiles come from pgbench's per-transaction log.
    """
    log_dir = RUN_DIR / "pgbench" / f"{script.stem}-{clients}"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    defines = [arg for k, v in variables.items() for arg in ("-D", f"{k}={v}")]
    command = [
        "pgbench",
        *_pg_args(),
        "-n",
        "-M",
        "prepared",
        "-j",
        "2",
        "-c",
        str(clients),
        "-T",
        str(SECONDS),
        "--log",
        f"--log-prefix={log_dir / 'log'}",
        "-f",
        str(script),
        *defines,
        database,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=log_dir
    )
    output = done.stdout + done.stderr
    (log_dir / "output.txt").write_text(output)
    tps = re.search(r"tps = ([\d.]+) \(without initial", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    latencies = sorted(
        int(fields[2]) / 1000
        for path in log_dir.glob("log.*")
        for line in path.read_text().splitlines()
        if len(fields := line.split()) > 2 and fields[2].isdigit()
    )
    errors = int(failed.group(1)) if failed else 0
    if done.returncode or tps is None:
        errors += 1
        say(f"pgbench {script.name} at {clients} failed:\n{output[-2000:]}")
    return {
        "rate": float(tps.group(1)) if tps else 0.0,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "errors": errors,
        "note": "aborted, see the log" if done.returncode else "",
    }


def prepare_reference() -> None:
    """Creates the reference credit's database from its schema."""
    reset_database(PG_URL, REFERENCE_DB)
    subprocess.run(
        [
            "psql",
            *_pg_args(),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-f",
            str(REFERENCE_SCHEMA),
            REFERENCE_DB,
        ],
        check=True,
        env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
    )


def _service_statements() -> int:
    """Counts the SQL statements of one run of the service credit script."""
    count = 0
    for line in SERVICE_SQL.read_text().splitlines():
        text = line.strip()
        if text.startswith("--") or text.startswith("\\set"):
            continue
        if text.endswith(";") or text.endswith("\\gset"):
            count += 1
    return count


def prepare_service(env: dict[str, str]) -> dict:
    """Migrates the service credit's database and fills it with holders.

    Returns:
        bench/service_db.py's document: pgbench variables, captured SQL.
    """
    reset_database(PG_URL, SERVICE_DB)
    svc_env = {
        **env,
        "ACCOUNTING_DATABASE_URL": f"{PG_URL}/{SERVICE_DB}",
        "CACHE_URL": "locmemcache://",
    }
    migrated = manage(svc_env, "accounting", "migrate", "--no-input")
    if migrated.returncode:
        raise RuntimeError(migrated.stdout + migrated.stderr)
    output = RUN_DIR / "service_db.json"
    filled = subprocess.run(
        [
            sys.executable,
            "bench/service_db.py",
            str(HOLDERS),
            str(output),
        ],
        cwd=REPO_DIR,
        env={**svc_env, "DJANGO_SETTINGS_MODULE": "config.accounting.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    if filled.returncode:
        raise RuntimeError(filled.stdout + filled.stderr)
    say(filled.stdout.strip())
    document = json.loads(output.read_text())
    (RUN_DIR / "service_credit_captured.sql").write_text(
        "".join(f"{sql};\n" for sql in document["captured"])
    )
    return document


# --- The stack --------------------------------------------------------------


def _local_env(run_dir: Path) -> dict[str, str]:
    """Reads the secrets ``config.bootstrap`` wrote for the stack."""
    values = {}
    for line in (run_dir / "local.env").read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def stack_env(marker: str) -> dict[str, str]:
    """The stack's environment: the e2e suite's, on the bench's stores."""
    return platform_env(
        marker,
        run_dir=RUN_DIR / "stack",
        ports=PORTS,
        USERS_DATABASE_URL=f"{PG_URL}/{USERS_DB}",
        ACCOUNTING_DATABASE_URL=f"{PG_URL}/{ACCOUNTING_DB}",
        CELERY_BROKER_URL=f"{AMQP_URL}/{VHOST}",
        CACHE_URL=REDIS_CACHE_URL,
        CHANNEL_LAYER_URL=REDIS_CHANNELS_URL,
        GATEWAY_WORKERS="2",
        WEB_WORKERS="2",
        # Tokens must outlive the run.
        JWT_ACCESS_TOKEN_LIFETIME="7200",  # noqa: S106 (seconds)
        **LIFTED_LIMITS,
    )


def _member(api: httpx.Client, plan_id: str) -> dict[str, str]:
    """Signs a user up, picks the plan, opens EUR, funds main; ids out."""
    member = sign_up(api)
    auth = member.auth
    chosen = when_ready(
        lambda: api.put("/me/plan", json={"plan_id": plan_id}, headers=auth)
    )
    chosen.raise_for_status()
    opened = when_ready(
        lambda: api.post("/accounts", json={"currency": "EUR"}, headers=auth)
    )
    opened.raise_for_status()
    accounts = api.get("/accounts", headers=auth).json()["results"]
    main = next(
        a["id"]
        for a in accounts
        if a["kind"] == "main" and a["currency"] == "USD"
    )
    funded = api.post(
        "/credits",
        json={"amount": "1000000.00"},
        headers={**auth, "Idempotency-Key": f"fund-{uuid.uuid4()}"},
    )
    funded.raise_for_status()
    return {"id": member.id, "token": member.access, "main": main}


def members_create(count: int) -> list[dict[str, str]]:
    """Signs up ``count`` users through the gateway, 8 at a time."""
    with httpx.Client(base_url=f"{GATEWAY}/api/v1", timeout=60) as api:
        plans = api.get("/plans", headers=sign_up(api).auth).json()
        plan_id = next(
            p["id"] for p in plans["results"] if p["name"] == "Save 10%"
        )
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda _: _member(api, plan_id), range(count)))


def _lua_string(text: str) -> str:
    """Quotes a string for Lua (ids and tokens: no quotes inside)."""
    return json.dumps(text)


def write_wrk_data(members: list[dict[str, str]], token: str) -> Path:
    """Writes the Lua file the wrk script loads: users, tokens, ids."""
    rows = ",\n".join(
        f"  {{id = {_lua_string(m['id'])}, token = {_lua_string(m['token'])},"
        f" main = {_lua_string(m['main'])}}}"
        for m in members
    )
    path = RUN_DIR / "users.lua"
    path.write_text(
        f"return {{\naccounting_token = {_lua_string(token)},\n"
        f"users = {{\n{rows}\n}}\n}}\n"
    )
    return path


def _wrk_command(clients: int, seconds: int) -> list[str]:
    """Returns wrk's options for a step (at most 2 threads)."""
    return [
        "wrk",
        "-t",
        str(min(2, clients)),
        "-c",
        str(clients),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
    ]


def wrk(
    origin: str, operation: str, clients: int, data: Path, seconds: int
) -> dict:
    """Runs wrk once with bench/money.lua; returns rate, latency, errors."""
    threads = min(2, clients)
    nonce = random.randrange(1, 2**31)
    command = [
        *_wrk_command(clients, seconds),
        "-s",
        str(WRK_SCRIPT),
        origin,
        "--",
        str(data),
        operation,
        str(nonce),
        str(threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"^BENCH_JSON (.*)$", done.stdout, re.MULTILINE)
    if done.returncode or found is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout}{done.stderr}")
    result = json.loads(found.group(1))
    statuses = {int(k): v for k, v in result["statuses"].items()}
    succeeded = sum(v for k, v in statuses.items() if 200 <= k < 300)
    refused = sum(v for k, v in statuses.items() if not 200 <= k < 300)
    seconds_taken = result["duration_us"] / 1e6
    return {
        "rate": succeeded / seconds_taken,
        "requests": result["requests"],
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "errors": result["socket_errors"] + refused,
        "note": ", ".join(
            [
                f"{count} x {status}"
                for status, count in sorted(statuses.items())
                if not 200 <= status < 300
            ]
            + (
                [f"{result['socket_errors']} socket errors"]
                if result["socket_errors"]
                else []
            )
        ),
    }


def wrk_get(url: str, clients: int, seconds: int) -> dict:
    """Runs wrk's plain GET of one URL; returns rate, requests, errors."""
    command = [*_wrk_command(clients, seconds), url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", done.stdout, re.MULTILINE)
    requests = re.search(r"(\d+) requests in", done.stdout)
    if done.returncode or rate is None or requests is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout}{done.stderr}")
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    sockets = re.search(r"Socket errors: (.*)$", done.stdout, re.MULTILINE)
    return {
        "rate": float(rate.group(1)),
        "requests": int(requests.group(1)),
        "errors": int(refused.group(1)) if refused else 0,
        "note": f"socket errors: {sockets.group(1)}" if sockets else "",
    }


def profiled(probe: cpu.Probe, step: Callable[[], dict]) -> dict:
    """Runs a wrk step while reading CPU by tier; adds ``cpu`` to its result.

    Args:
        probe: Finds and reads the tiers' processes.
        step: Runs wrk; returns its result, with ``rate`` and ``requests``.

    Returns:
        The step's result; ``cpu`` is ``cpu.per_request``'s, with
        ``available_ms``: the cores' time per request at the step's rate.
    """
    before = probe.sample()
    result = step()
    spent = cpu.spent(before, probe.sample())
    result["cpu"] = {
        **cpu.per_request(spent, result["requests"]),
        "available_ms": cpu.available_ms(result["rate"]),
    }
    return result


def verify(env: dict[str, str], database: str) -> tuple[bool, str]:
    """Runs verify_ledger on an accounting database; (holds, summary)."""
    done = manage(
        {**env, "ACCOUNTING_DATABASE_URL": f"{PG_URL}/{database}"},
        "accounting",
        "verify_ledger",
    )
    text = (done.stdout + done.stderr).strip()
    lines = [line for line in text.splitlines() if "verify_ledger" in line]
    if done.returncode:
        return False, text
    return True, lines[-1] if lines else text


# --- Balance as of, pages of transactions -----------------------------------


def balance_bench(
    env: dict[str, str], sizes: list[int], name: str = "balance"
) -> dict:
    """Runs scripts/bench_balance_at.py on its scratch database.

    Args:
        env: The stack's environment (its secrets).
        sizes: The histories to load in turn, in entries.
        name: Of its log and JSON files in ``RUN_DIR``.
    """
    output = RUN_DIR / f"{name}.json"
    with (RUN_DIR / f"{name}.log").open("w") as log:
        subprocess.run(
            [
                sys.executable,
                "scripts/bench_balance_at.py",
                "--json",
                str(output),
                *map(str, sizes),
            ],
            cwd=REPO_DIR,
            env={
                **env,
                "DJANGO_SETTINGS_MODULE": "config.accounting.settings",
                "ACCOUNTING_DATABASE_URL": f"{PG_URL}/{BALANCE_DB}",
                "CACHE_URL": "locmemcache://",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return json.loads(output.read_text())


# --- The report -------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _row(label: str, clients: int, result: dict, reference: float) -> str:
    ratio = result["rate"] / reference if reference else float("nan")
    note = f" ({result['note']})" if result.get("note") else ""
    return (
        f"| {label} | {clients} | {result['rate']:,.0f} | "
        f"{_ms(result['p50_ms'])} | {_ms(result['p99_ms'])} | "
        f"{result['errors']}{note} | {ratio:.2f}x |"
    )


def _cpu_report(results: dict) -> list[str]:
    """The CPU per credit by tier, and the empty request's, as Markdown."""
    steps = [
        (label, results["http"][name][str(PROFILED_CLIENTS)]["cpu"])
        for label, name in (
            ("accounting POST .../credits", "accounting-credit"),
            ("gateway POST /api/v1/credits", "credit"),
        )
    ]
    cores = os.cpu_count() or 1

    def row(label: str, values: list[float], form: str = "{:.2f}") -> str:
        return f"| {label} | " + " | ".join(map(form.format, values)) + " |"

    lines = [
        "",
        f"CPU per credit (ms) at {PROFILED_CLIENTS} clients, by tier: the "
        "CPU time (utime + stime) of its processes over the step, divided "
        "by the requests wrk completed (bench/cpu.py). Tiers marked * are "
        "whole servers, shared with whatever else ran; the machine's row "
        "is every process's and the kernel's.",
        "",
        "| tier | " + " | ".join(label for label, _ in steps) + " |",
        "|---|" + "---|" * len(steps),
    ]
    lines += [
        row(
            f"{tier}{' *' if tier in cpu.SHARED else ''}",
            [step["ms"][tier] for _, step in steps],
        )
        for tier in cpu.TIERS
    ]
    lines += [
        row("**total**", [step["total_ms"] for _, step in steps]),
        row("other processes", [step["other_ms"] for _, step in steps]),
        row(cpu.INTERRUPTS, [step["interrupts_ms"] for _, step in steps]),
        row("whole machine", [step["machine_ms"] for _, step in steps]),
        row(
            f"available at {cores} cores = {cores * 1000} ms / credits/s",
            [step["available_ms"] for _, step in steps],
        ),
        row(
            "cores busy (whole machine / available)",
            [
                100 * step["machine_ms"] / step["available_ms"]
                for _, step in steps
            ],
            "{:.0f}%",
        ),
    ]
    lines += [""]
    lines += [
        f"- other processes (ms), {label}: "
        + (
            ", ".join(
                f"{name} {ms:.2f}"
                for name, ms in step["others_ms"].items()
                if ms >= 0.005
            )
            or "none above 0.01"
        )
        + "."
        for label, step in steps
    ]
    lines += [
        "",
        f"An empty request (GET /healthz, wrk {EMPTY_CLIENTS} connections, "
        f"{EMPTY_SECONDS} s), the framework's floor:",
        "",
    ]
    for name, tier in (
        ("gateway", cpu.GATEWAY),
        ("accounting", cpu.ACCOUNTING),
    ):
        empty = results["empty"][name]
        spent = empty["cpu"]
        errors = f", {empty['errors']} errors" if empty["errors"] else ""
        lines.append(
            f"- {name}: {spent['ms'][tier]:.2f} ms CPU per request in the "
            f"{name}, {spent['total_ms']:.2f} ms in all tiers (wrk "
            f"{spent['ms'][cpu.LOAD]:.2f}, whole machine "
            f"{spent['machine_ms']:.2f}, available "
            f"{spent['available_ms']:.2f}); {empty['rate']:,.0f}/s{errors}"
        )
    return lines


def report(results: dict) -> str:
    """Renders the run as Markdown."""
    reference = {
        clients: results["pgbench"]["reference"][str(clients)]["rate"]
        for clients in CLIENTS
    }
    lines = [
        f"# make bench, {results['started']}",
        "",
        f"Commit {results['commit']}, {results['machine']}; "
        f"{SECONDS} s per step; the stack of the Procfile with "
        "GATEWAY_WORKERS=2 and WEB_WORKERS=2; "
        f"{USERS} users through the gateway, {HOLDERS:,} holders for "
        "pgbench. The gateway's request limits were lifted for this run's "
        "users ("
        + ", ".join(f"{k}={v}" for k, v in LIFTED_LIMITS.items())
        + "); they are still counted in Redis on every request.",
    ]
    if results["load_average"] > BUSY_LOAD_AVERAGE:
        lines += [
            "",
            f"The machine was busy at the start (load average "
            f"{results['load_average']:.2f}): other work shared the cores, "
            "so these numbers are lower and noisier than on an idle machine.",
        ]
    lines += [
        "",
        "| what | clients | per second | p50 ms | p99 ms | errors "
        "| x reference |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [
        ("reference credit, pgbench", "pgbench", "reference", CLIENTS),
        ("service credit SQL, pgbench", "pgbench", "service", CLIENTS),
        ("accounting POST .../credits", "http", "accounting-credit", CLIENTS),
        ("gateway POST /api/v1/credits", "http", "credit", CLIENTS),
        ("gateway POST /api/v1/transfers", "http", "transfer", None),
        ("gateway POST /api/v1/withdrawals", "http", "withdrawal", None),
        ("gateway POST /api/v1/conversions", "http", "conversion", None),
    ]
    for label, group, name, clients_list in rows:
        for clients in clients_list or (MOVEMENT_CLIENTS,):
            result = results[group][name][str(clients)]
            lines.append(_row(label, clients, result, reference[clients]))
    imported = results.get("import")
    if imported:
        lines += [
            "",
            f"Statement import through the gateway (POST /api/v1/imports, "
            f"{imported['rows']:,} rows, {imported['bytes']:,} bytes): "
            f"{imported['status']}, {imported['rows_applied']:,} applied; "
            f"upload {imported['upload_s']:.1f} s, applied by the worker in "
            f"{imported['apply_s']:.1f} s: {imported['rate']:,.0f} rows/s "
            f"({imported['rate'] / reference[1]:.2f}x the reference credit "
            "at 1 client).",
        ]
    batch = results.get("batch")
    if batch:
        lines += [
            "",
            f"Partner batch through the gateway (POST /api/v1/partner/"
            f"credit-batches, {batch['items']:,} credits of 1.00 USD to as "
            f"many users on the 10% plan): {batch['status']}, "
            f"{batch['applied']:,} applied; sent in {batch['send_s']:.1f} s, "
            f"applied by the worker in {batch['apply_s']:.1f} s: "
            f"{batch['rate']:,.0f} credits/s "
            f"({batch['rate'] / reference[1]:.2f}x the reference credit at 1 "
            "client, "
            f"{batch['rate'] / reference[8]:.2f}x at 8).",
        ]
    lines += ["", results["statements"], "", "Targets (issues 10, 12):", ""]
    lines += [
        f"- {'met' if met else 'NOT MET'}: {text}"
        for text, met in results["targets"]
    ]
    lines += _cpu_report(results)
    lines += ["", "Ledger:", ""]
    lines += [
        f"- {database}: {'holds' if holds else 'FAILS'}: {summary}"
        for database, holds, summary in results["verify"]
    ]
    balance = results.get("balance")
    if balance:
        lines += [
            "",
            "Balance as of an instant and pages of transactions "
            "(scripts/bench_balance_at.py, in process; one account):",
            "",
            "| entries | what | p50 ms | p95 ms | p99 ms |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {row['entries']:,} | {row['what']} | {row['p50']:.2f} | "
            f"{row['p95']:.2f} | {row['p99']:.2f} |"
            for row in balance["rows"]
        ]
        if QUICK:
            lines += ["", "BENCH_QUICK: the 1,000,000-entry load was skipped."]
        lines += ["", "Query plans:", ""]
        for plan in balance["plans"]:
            lines += [f"    {plan['entries']:,} entries, {plan['what']}:"]
            lines += [f"        {line}" for line in plan["plan"]]
    lines += ["", f"Wall time: {results['wall_time']}"]
    return "\n".join(lines) + "\n"


def targets(results: dict) -> list[tuple[str, bool]]:
    """Checks the issue's targets against the run's numbers."""

    def rate(group: str, name: str, clients: int) -> float:
        return results[group][name][str(clients)]["rate"]

    reference_8 = rate("pgbench", "reference", 8)
    accounting_8 = rate("http", "accounting-credit", 8) / reference_8
    gateway_8 = rate("http", "credit", 8) / reference_8
    gateway_1 = rate("http", "credit", 1) / rate("http", "accounting-credit", 1)
    p99 = results["http"]["credit"]["32"]["p99_ms"]
    batched = results["batch"]["rate"] / rate("pgbench", "reference", 1)
    return [
        (
            f"batched credits/s >= {TARGET_BATCH:.0f}x the reference credit "
            f"(pgbench, 1 client): {batched:.2f}x",
            batched >= TARGET_BATCH,
        ),
        (
            f"accounting credit at 8 clients >= {TARGET_ACCOUNTING:.2f}x "
            f"reference at 8: {accounting_8:.2f}x",
            accounting_8 >= TARGET_ACCOUNTING,
        ),
        (
            f"gateway credit at 8 clients >= {TARGET_GATEWAY:.2f}x reference "
            f"at 8: {gateway_8:.2f}x",
            gateway_8 >= TARGET_GATEWAY,
        ),
        (
            "gateway credits/s at 1 client >= "
            f"{TARGET_GATEWAY_VS_ACCOUNTING:.1f}x accounting at 1: "
            f"{gateway_1:.2f}x",
            gateway_1 >= TARGET_GATEWAY_VS_ACCOUNTING,
        ),
        (
            f"gateway p99 at 32 clients < {TARGET_GATEWAY_P99_MS:.0f} ms: "
            f"{p99:.0f} ms",
            p99 < TARGET_GATEWAY_P99_MS,
        ),
    ]


# --- The run ----------------------------------------------------------------


def _machine() -> str:
    """Names the cores, their load, and PostgreSQL's version and commits."""
    settings = subprocess.run(
        [
            "psql",
            *_pg_args(),
            "-Atc",
            "SELECT current_setting('server_version'), "
            "current_setting('synchronous_commit')",
            "postgres",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    version, _, commits = settings.partition("|")
    return (
        f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.2f} at "
        f"the start), PostgreSQL {version} (synchronous_commit={commits})"
    )


def _git(*args: str) -> str:
    """Runs a git command in the repository; returns what it printed."""
    return subprocess.run(
        ["git", *args],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _commit() -> str:
    """Names the checked-out commit (and whether the tree is changed)."""
    head = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return f"{head or 'unknown'}{' (changed)' if dirty else ''}"


def run_pgbench(results: dict, env: dict[str, str]) -> None:
    """Step 1: the reference and the service's SQL under pgbench."""
    say("pgbench: creating the reference and service databases")
    prepare_reference()
    document = prepare_service(env)
    sent = len(document["captured"])
    scripted = _service_statements()
    results["statements"] = (
        f"One credit through the service sent {sent} SQL statements in this "
        f"run; bench/service_credit.sql sends {scripted}"
        + (
            "."
            if sent == scripted
            else " (they differ: compare it with "
            "$VAR_DIR/bench/service_credit_captured.sql)."
        )
    )
    scripts = {
        "reference": (REFERENCE_SQL, REFERENCE_DB, {}),
        "service": (SERVICE_SQL, SERVICE_DB, document["variables"]),
    }
    results["pgbench"] = {name: {} for name in scripts}
    for clients in CLIENTS:
        for name, (script, database, variables) in scripts.items():
            say(f"pgbench {name}, {clients} client(s), {SECONDS} s")
            result = pgbench(script, database, clients, variables)
            results["pgbench"][name][str(clients)] = result
            say(f"  {result['rate']:,.0f}/s, p99 {result['p99_ms']:.1f} ms")


def run_http(results: dict, env: dict[str, str], probe: cpu.Probe) -> None:
    """Step 2: credits and movements through the running stack.

    The CPU of every tier is read around the ``PROFILED`` steps at
    ``PROFILED_CLIENTS``, and around an empty request to each server.
    """
    say(f"stack: {USERS} users sign up through the gateway")
    members = members_create(USERS)
    token = _local_env(Path(env["VAR_DIR"]))["ACCOUNTING_SERVICE_TOKEN"]
    data = write_wrk_data(members, token)
    steps = [
        (ACCOUNTING, "accounting-credit", CLIENTS),
        (GATEWAY, "credit", CLIENTS),
        (GATEWAY, "transfer", (MOVEMENT_CLIENTS,)),
        (GATEWAY, "withdrawal", (MOVEMENT_CLIENTS,)),
        (GATEWAY, "conversion", (MOVEMENT_CLIENTS,)),
    ]
    results["http"] = {}
    for origin, operation, clients_list in steps:
        say(f"wrk {operation}: warming up for {WARM_UP_SECONDS} s")
        wrk(origin, operation, MOVEMENT_CLIENTS, data, WARM_UP_SECONDS)
        results["http"][operation] = {}
        for clients in clients_list:
            say(f"wrk {operation}, {clients} connection(s), {SECONDS} s")
            step = functools.partial(
                wrk, origin, operation, clients, data, SECONDS
            )
            if operation in PROFILED and clients == PROFILED_CLIENTS:
                result = profiled(probe, step)
                say(
                    "  CPU per request (ms): "
                    + ", ".join(
                        f"{tier} {ms:.2f}"
                        for tier, ms in result["cpu"]["ms"].items()
                        if ms
                    )
                )
            else:
                result = step()
            results["http"][operation][str(clients)] = result
            say(
                f"  {result['rate']:,.0f}/s, p99 {result['p99_ms']:.1f} ms, "
                f"{result['errors']} errors"
            )
    results["empty"] = {}
    for name, origin in (("gateway", GATEWAY), ("accounting", ACCOUNTING)):
        say(
            f"wrk GET {name} /healthz, {EMPTY_CLIENTS} connections, "
            f"{EMPTY_SECONDS} s"
        )
        step = functools.partial(
            wrk_get, f"{origin}/healthz", EMPTY_CLIENTS, EMPTY_SECONDS
        )
        results["empty"][name] = profiled(probe, step)


# A statement of this many rows is imported through the gateway.
IMPORT_ROWS = 100_000


def _statement_pieces(rows: int):
    """Yields a statement of incomes and expenses, 1,000 rows at a time."""
    yield b"date,amount,description,category,source\n"
    day = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    lines = []
    for n in range(rows):
        date = (day - dt.timedelta(days=n % 28)).isoformat()
        if n % 4 == 3:
            lines.append(f"{date},-{1 + n % 7}.25,Shop {n % 50},groceries,")
        else:
            lines.append(f"{date},{10 + n % 90}.50,Pay {n},,salary")
        if len(lines) == 1000:
            yield ("\n".join(lines) + "\n").encode()
            lines = []
    if lines:
        yield ("\n".join(lines) + "\n").encode()


def run_import(results: dict) -> None:
    """Step 2b: a statement of IMPORT_ROWS rows, uploaded then applied.

    One new user uploads it through the gateway (spooled, streamed to
    accounting, stored in chunks) and the worker applies it; the upload's
    and the apply's times, from the 202 to ``completed``.
    """
    with httpx.Client(base_url=f"{GATEWAY}/api/v1", timeout=300) as api:
        member = sign_up(api)
        data = b"".join(_statement_pieces(IMPORT_ROWS))
        began = time.monotonic()
        accepted = when_ready(
            lambda: api.post(
                "/imports",
                content=data,
                headers={**member.auth, "Content-Type": "text/csv"},
            )
        )
        accepted.raise_for_status()
        uploaded = time.monotonic()
        import_id = accepted.json()["id"]
        while True:
            found = api.get(f"/imports/{import_id}", headers=member.auth)
            document = found.json()
            if document["status"] in ("completed", "failed"):
                break
            time.sleep(0.2)
        applied = time.monotonic()
    results["import"] = {
        "rows": IMPORT_ROWS,
        "bytes": len(data),
        "status": document["status"],
        "rows_applied": document["rows"]["applied"],
        "upload_s": uploaded - began,
        "apply_s": applied - uploaded,
        "rate": IMPORT_ROWS / (applied - uploaded),
    }


BATCH_ITEMS = 10_000


def run_batch(results: dict, env: dict[str, str]) -> None:
    """Step 2c: a partner's batch of BATCH_ITEMS credits, one per user.

    BATCH_ITEMS holders on the "Save 10%" plan are written in bulk into
    the stack's accounting database (``bench/service_db.py``, as for
    pgbench: signing that many users up would time argon2, not credits),
    a partner's key is issued (``manage.py partner_key_issue``), and the
    batch goes through the gateway; credits per second from the 202 to
    ``completed``, each split by its user's plan.
    """
    filled = subprocess.run(
        [
            sys.executable,
            "bench/service_db.py",
            str(BATCH_ITEMS),
            str(RUN_DIR / "batch_holders.json"),
        ],
        cwd=REPO_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.accounting.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    if filled.returncode:
        raise RuntimeError(filled.stdout + filled.stderr)
    issued = manage(env, "accounting", "partner_key_issue", "Bench Payroll")
    if issued.returncode:
        raise RuntimeError(issued.stdout + issued.stderr)
    auth = {"Authorization": f"Bearer {issued.stdout.split()[-1]}"}
    items = [
        {
            "user": f"00000000-0000-4000-8000-{number:012d}",
            "amount": "1.00",
            "currency": "USD",
            "reference": f"BENCH-{number}",
        }
        for number in range(1, BATCH_ITEMS + 1)
    ]
    with httpx.Client(base_url=f"{GATEWAY}/api/v1", timeout=300) as api:
        began = time.monotonic()
        accepted = api.post(
            "/partner/credit-batches",
            json={"items": items},
            headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
        )
        accepted.raise_for_status()
        sent = time.monotonic()
        batch_id = accepted.json()["id"]
        while True:
            document = api.get(
                f"/partner/credit-batches/{batch_id}", headers=auth
            ).json()
            if document["status"] in ("completed", "failed"):
                break
            time.sleep(0.1)
        applied = time.monotonic()
    results["batch"] = {
        "items": BATCH_ITEMS,
        "status": document["status"],
        "applied": document["items"]["applied"],
        "send_s": sent - began,
        "apply_s": applied - sent,
        "rate": BATCH_ITEMS / (applied - sent),
    }


def main() -> int:
    """Runs every step; prints the report; 1 if the ledger does not hold."""
    began = time.monotonic()
    for tool in ("wrk", "pgbench", "psql"):
        if shutil.which(tool) is None:
            say(f"{tool} is missing: run scripts/ensure-tools.sh")
            return 2
    busy = [port for port in PORTS if port_open(port)]
    if busy:
        say(f"ports {busy} are in use: is an earlier run still up?")
        return 2
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "machine": _machine(),
        "seconds": SECONDS,
        "quick": QUICK,
        "load_average": os.getloadavg()[0],
    }
    marker = f"SAVINGS_BENCH_RUN={uuid.uuid4().hex}"
    env = stack_env(marker)
    subprocess.run(
        [sys.executable, "-m", "config.bootstrap", env["VAR_DIR"]],
        cwd=REPO_DIR,
        env=env,
        check=True,
    )
    run_pgbench(results, env)

    say("stack: fresh databases, vhost and Redis; migrations, demo data")
    for database in (USERS_DB, ACCOUNTING_DB):
        reset_database(PG_URL, database)
    reset_vhost(VHOST)
    reset_redis(REDIS_CACHE_URL, REDIS_CHANNELS_URL)
    procs_log = RUN_DIR / "procs.log"
    platform_prepare(env, RUN_DIR / "setup.log")
    process = platform_start(env, procs_log)
    try:
        platform_wait_ready(process, GATEWAY, procs_log, timeout=120)
        probe = cpu.Probe(
            process.pid, PG_URL, (USERS_DB, ACCOUNTING_DB), REDIS_URL
        )
        run_http(results, env, probe)
        say(f"import of {IMPORT_ROWS:,} rows through the gateway")
        run_import(results)
        imported = results["import"]
        say(
            f"  {imported['status']}: upload {imported['upload_s']:.1f} s, "
            f"applied in {imported['apply_s']:.1f} s "
            f"({imported['rate']:,.0f} rows/s)"
        )
        say(f"a partner's batch of {BATCH_ITEMS:,} credits")
        run_batch(results, env)
        batch = results["batch"]
        say(
            f"  {batch['status']}: sent in {batch['send_s']:.1f} s, "
            f"applied in {batch['apply_s']:.1f} s "
            f"({batch['rate']:,.0f} credits/s)"
        )
        say("verify_ledger")
        results["verify"] = [
            (database, *verify(env, database))
            for database in (ACCOUNTING_DB, SERVICE_DB)
        ]
    finally:
        say("stack: stopping")
        platform_stop(process, marker, procs_log, timeout=30)

    say(
        "balance as of and pages: 1,000"
        + ("" if QUICK else " and 1,000,000")
        + " entries"
    )
    results["balance"] = balance_bench(
        env, [1000] if QUICK else [1000, 1_000_000]
    )
    results["targets"] = targets(results)
    elapsed = time.monotonic() - began
    results["wall_time"] = f"{int(elapsed // 60)}m{int(elapsed % 60):02d}s"
    text = report(results)
    (RUN_DIR / "results.md").write_text(text)
    (RUN_DIR / "results.json").write_text(json.dumps(results, indent=2))
    print(text)
    say(f"written to {RUN_DIR / 'results.md'} and results.json")
    return 0 if all(holds for _, holds, _ in results["verify"]) else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
