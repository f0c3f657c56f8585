"""Every metric of the platform, defined once.

Names start with ``savings_``; labels take only bounded values (a route
template, never a path; a task's registered name; a currency the
deployment supports). Gauges say how worker processes of one server add
up (``multiprocess_mode``): the gunicorn and uvicorn workers write them to
files that the serving process sums (:mod:`config.metrics.multiprocess`).

The outboxes' gauges are not here: they are read from the database when a
scrape asks (:mod:`config.metrics.outbox`).
"""

from prometheus_client import Counter, Gauge, Histogram

# Seconds: from a cached read (a few ms) to a batch of a thousand credits.
_REQUEST_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
_TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0)

# --- Requests (config.metrics.requests) -------------------------------------

HTTP_REQUESTS = Counter(
    "savings_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["service", "route", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "savings_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["service", "route", "method"],
    buckets=_REQUEST_BUCKETS,
)
IDEMPOTENT_REPLAYS = Counter(
    "savings_idempotent_replays",
    "Answers replayed from a stored Idempotency-Key, by route template.",
    ["service", "route"],
)

# --- Money (accounting.services.journal) ------------------------------------

MONEY_MOVEMENTS = Counter(
    "savings_money_movements",
    "Journal transactions committed, by kind and currency.",
    ["kind", "currency"],
)
MONEY_MOVED = Counter(
    "savings_money_moved_minor_units",
    "Amount of the journal transactions committed, in minor units.",
    ["kind", "currency"],
)

# --- Celery (config.metrics.tasks) ------------------------------------------

TASK_DURATION = Histogram(
    "savings_celery_task_duration_seconds",
    "Time a Celery task ran, from its start to its end, by task name.",
    ["task"],
    buckets=_TASK_BUCKETS,
)
TASK_FAILURES = Counter(
    "savings_celery_task_failures",
    "Celery task runs that raised, by task name.",
    ["task"],
)
TASK_RETRIES = Counter(
    "savings_celery_task_retries",
    "Celery task runs that asked to be retried, by task name.",
    ["task"],
)

# --- Pools (config.metrics.pools) -------------------------------------------

DB_CONNECTIONS = Gauge(
    "savings_db_connections",
    "Database connections of the process's threads: open, and of those "
    "the ones inside a transaction.",
    ["service", "database", "state"],
    multiprocess_mode="livesum",
)
UPSTREAM_POOL_CONNECTIONS = Gauge(
    "savings_upstream_pool_connections",
    "The gateway's pooled HTTP connections to a service: open, and of "
    "those the ones carrying a request.",
    ["upstream", "state"],
    multiprocess_mode="livesum",
)
UPSTREAM_POOL_SIZE = Gauge(
    "savings_upstream_pool_size",
    "Connections the gateway's pool to a service may open (summed over "
    "processes).",
    ["upstream"],
    multiprocess_mode="livesum",
)

# --- verify_ledger (accounting.tasks.ledger_verify) -------------------------

LEDGER_VERIFY_OK = Gauge(
    "savings_ledger_verify_ok",
    "1 if every check of the last verify_ledger run held, 0 if one failed.",
    multiprocess_mode="mostrecent",
)
LEDGER_VERIFY_LAST_RUN = Gauge(
    "savings_ledger_verify_last_run_timestamp_seconds",
    "When the last verify_ledger run ended (Unix time).",
    multiprocess_mode="mostrecent",
)
LEDGER_VERIFY_FAILED_RUNS = Counter(
    "savings_ledger_verify_failed_runs",
    "verify_ledger runs in which a check failed.",
)
