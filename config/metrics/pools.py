"""How many connections a process holds: its database's and its upstreams'.

Django keeps one database connection per thread (``CONN_MAX_AGE``): a
gunicorn worker's or a Celery worker's threads each hold one. Each is
remembered when it opens (Django's ``connection_created`` signal), and
:func:`observe` counts those still open and those inside a transaction.
The gateway's pooled HTTP clients report theirs through the observers it
adds (:func:`observer_add`).

Values are set after each request and each task rather than read at a
scrape: the process that answers a scrape (gunicorn's master) is not the
one holding the connections.
"""

import threading
import weakref
from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from config.metrics import definitions

_wrappers: "weakref.WeakSet[BaseDatabaseWrapper]" = weakref.WeakSet()
_observers: list[Callable[[], None]] = []
# Threads open connections while another observes them.
_lock = threading.Lock()


@receiver(connection_created)
def _remember(*, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """Remembers a thread's connection as it opens."""
    del kwargs
    with _lock:
        _wrappers.add(connection)


def in_transaction(wrapper: BaseDatabaseWrapper, raw: Any) -> bool:
    """Whether an open connection is inside a transaction.

    Django's ``atomic`` blocks, or (PostgreSQL) a transaction opened by
    plain statements, as a pipelined movement opens its own.

    Args:
        wrapper: Django's connection of a thread.
        raw: Its driver's connection, as read once (its thread may close
            it meanwhile).
    """
    if wrapper.in_atomic_block:
        return True
    if wrapper.vendor != "postgresql":
        return False
    status = raw.info.transaction_status
    return status != status.IDLE


def observer_add(observer: Callable[[], None]) -> None:
    """Adds a function :func:`observe` runs too (the gateway's pools)."""
    if observer not in _observers:
        _observers.append(observer)


def observe(service: str) -> None:
    """Sets the pool gauges to what this process holds now.

    Args:
        service: The ``service`` label.
    """
    with _lock:
        wrappers = list(_wrappers)
    counts: dict[str, list[int]] = {}
    for wrapper in wrappers:
        tally = counts.setdefault(wrapper.alias, [0, 0])
        raw = wrapper.connection
        if raw is not None:
            tally[0] += 1
            tally[1] += in_transaction(wrapper, raw)
    for alias, (opened, busy) in counts.items():
        gauge = definitions.DB_CONNECTIONS
        gauge.labels(service, alias, "open").set(opened)
        gauge.labels(service, alias, "in_transaction").set(busy)
    for observer in _observers:
        observer()


def upstream_pool_set(
    upstream: str, *, size: int, opened: int, in_use: int
) -> None:
    """Sets the gauges of one pooled HTTP client of this process.

    Args:
        upstream: The service it calls.
        size: Connections it may open.
        opened: Connections open now.
        in_use: Of those, the ones carrying a request.
    """
    definitions.UPSTREAM_POOL_SIZE.labels(upstream).set(size)
    gauge = definitions.UPSTREAM_POOL_CONNECTIONS
    gauge.labels(upstream, "open").set(opened)
    gauge.labels(upstream, "in_use").set(in_use)
