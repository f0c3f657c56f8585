"""What accounting tells Prometheus beyond its requests.

- Money movements: each journal transaction, counted by kind and currency
  (and its amount in minor units) once its database transaction has
  committed, never for one that rolled back. Every movement, import and
  partner batch writes through ``journal.journal_write``, which calls
  :func:`movements_count`.
- The webhooks' outbox: deliveries pending, and how long the one most
  overdue has been due (a delivery waiting for its next retry is not
  late), read at each scrape by the web server (config/metrics/outbox.py).
- ``verify_ledger``'s last outcome (:func:`ledger_verify_record`).
"""

import collections
import time
from collections.abc import Iterable

from accounting import models
from accounting.services.commits import after_commit
from config.metrics import definitions, outbox

_TABLE = models.WebhookDelivery._meta.db_table
_PENDING = models.WebhookDelivery.Status.PENDING.value

OUTBOX = outbox.Outbox(
    name="webhook_deliveries",
    # Only names from the model and a status constant are formatted in.
    sql=f"""
        SELECT count(*), EXTRACT(EPOCH FROM now() - min("next_attempt_at")
            FILTER (WHERE "next_attempt_at" <= now()))
        FROM "{_TABLE}" WHERE "status" = '{_PENDING}'
    """,  # noqa: S608
    sqlite_sql=f"""
        SELECT count(*), (julianday('now') - julianday(min(
            CASE WHEN julianday("next_attempt_at") <= julianday('now')
            THEN "next_attempt_at" END))) * 86400
        FROM "{_TABLE}" WHERE "status" = '{_PENDING}'
    """,  # noqa: S608
)


def register() -> None:
    """Names the outbox to the metrics of this service."""
    outbox.register(OUTBOX)


def movements_count(headers: Iterable[models.Transaction]) -> None:
    """Counts journal transactions once the transaction under way commits.

    Summed by kind and currency first: a partner's batch writes a
    thousand at once.

    Args:
        headers: The journal headers being written.
    """
    totals: collections.Counter = collections.Counter()
    counts: collections.Counter = collections.Counter()
    for header in headers:
        counts[header.kind, header.currency] += 1
        totals[header.kind, header.currency] += abs(header.amount)

    def record() -> None:
        for labels, count in counts.items():
            definitions.MONEY_MOVEMENTS.labels(*labels).inc(count)
            definitions.MONEY_MOVED.labels(*labels).inc(totals[labels])

    after_commit(record)


def ledger_verify_record(*, failed_checks: int) -> None:
    """Records the outcome of a ``verify_ledger`` run that completed.

    Args:
        failed_checks: How many of its checks did not hold.
    """
    definitions.LEDGER_VERIFY_OK.set(0 if failed_checks else 1)
    definitions.LEDGER_VERIFY_LAST_RUN.set(time.time())
    if failed_checks:
        definitions.LEDGER_VERIFY_FAILED_RUNS.inc()
