"""The backlog of the outboxes, read from the database at each scrape.

An outbox (users' events for accounting, accounting's webhook deliveries)
is a table of rows written with a change and sent after it. Two numbers
say whether sending keeps up: how many rows are pending, and how long the
oldest has waited. Both are read when Prometheus asks, by the process
that serves the metrics of the service owning the table, with a short
``statement_timeout``: a slow database makes a scrape miss these values,
never hang or fail. An error is counted in
``savings_outbox_collect_errors_total`` and the values are left out.

Each app describes its outbox with an :class:`Outbox` and registers it
when it is ready (:func:`register`); config never imports an app.
"""

import contextlib
import dataclasses
import logging
from collections.abc import Iterable

from django.db import DatabaseError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

logger = logging.getLogger(__name__)

PENDING = "savings_outbox_pending_events"
LAG = "savings_outbox_lag_seconds"
ERRORS = "savings_outbox_collect_errors"
# Milliseconds a scrape's query may take.
STATEMENT_TIMEOUT_MS = 2000


@dataclasses.dataclass(frozen=True)
class Outbox:
    """One outbox table, as the collector reads it.

    Attributes:
        name: The ``outbox`` label.
        sql: One row: the pending count and the seconds the oldest pending
            row has waited (0 or NULL when none), on PostgreSQL.
        sqlite_sql: The same on SQLite (the embedded default).
    """

    name: str
    sql: str
    sqlite_sql: str


class OutboxCollector:
    """Reads the outboxes at each scrape; counts what failed.

    Args:
        outboxes: The service's outboxes.
        db: The connection to read with; the scraping thread's own
            (Django's ``connection``) when None.
    """

    def __init__(
        self,
        outboxes: Iterable[Outbox],
        db: BaseDatabaseWrapper | None = None,
    ) -> None:
        self.outboxes = tuple(outboxes)
        self.db = db
        self.errors = {outbox.name: 0 for outbox in self.outboxes}

    def describe(self) -> Iterable[Metric]:
        """Names the families without querying (on registration)."""
        return [*self._families(), self._errors()]

    def collect(self) -> Iterable[Metric]:
        """Queries every outbox; one failing leaves only its values out.

        Each scrape runs in a thread of its own, whose connection is
        closed after it: it would be left open by a thread that is gone.
        """
        pending, lag = self._families()
        db = self.db or connection
        try:
            for outbox in self.outboxes:
                try:
                    count, waited = _read(db, outbox)
                except DatabaseError:
                    logger.warning(
                        "Could not read outbox %s", outbox.name, exc_info=True
                    )
                    self.errors[outbox.name] += 1
                    continue
                pending.add_metric([outbox.name], count)
                lag.add_metric([outbox.name], waited)
        finally:
            with contextlib.suppress(DatabaseError):
                db.close()
        return [pending, lag, self._errors()]

    def _families(self) -> list[GaugeMetricFamily]:
        """Returns the two gauge families, empty."""
        return [
            GaugeMetricFamily(
                PENDING, "Outbox rows waiting to be sent.", labels=["outbox"]
            ),
            GaugeMetricFamily(
                LAG,
                "Seconds the oldest pending outbox row has waited.",
                labels=["outbox"],
            ),
        ]

    def _errors(self) -> CounterMetricFamily:
        """Returns the counter of failed reads."""
        family = CounterMetricFamily(
            ERRORS,
            "Scrapes that could not read an outbox.",
            labels=["outbox"],
        )
        for name, count in self.errors.items():
            family.add_metric([name], count)
        return family


def _read(db: BaseDatabaseWrapper, outbox: Outbox) -> tuple[int, float]:
    """Returns an outbox's pending count and lag, within the timeout.

    The timeout is the session's: the connection is closed after the
    scrape. SQLite has none (and its transactions would take the write
    lock: a plain read).
    """
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
            cursor.execute(outbox.sql)
        else:
            cursor.execute(outbox.sqlite_sql)
        count, waited = cursor.fetchone()
    return int(count), max(0.0, float(waited or 0))


# The outboxes of this process's service, registered by its app.
OUTBOXES: list[Outbox] = []


def register(outbox: Outbox) -> None:
    """Names an outbox of this service (its app does, when ready)."""
    if outbox not in OUTBOXES:
        OUTBOXES.append(outbox)


def collectors() -> list[OutboxCollector]:
    """Returns the collector of this service's outboxes, if it has any.

    Only the web server of the service adds it (``config/gunicorn.py``):
    its workers would report the same table twice.
    """
    return [OutboxCollector(OUTBOXES)] if OUTBOXES else []
