"""Django's PostgreSQL backend with a health check that costs no round trip.

Both services keep their database connections between requests and check
one before each request (``CONN_HEALTH_CHECKS``), so that a connection the
server dropped (a restart, an idle timeout, ``pg_terminate_backend``) is
replaced instead of failing the request. Django checks with ``SELECT 1``:
one more round trip on every request, a quarter of a credit's waits. An
idle connection has nothing to read unless the server closed it or sent
something unasked; only then is ``SELECT 1`` needed to tell.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    """The stock wrapper; only the health check differs."""

    def is_usable(self) -> bool:
        """Returns whether the kept connection still works.

        An idle connection whose socket has nothing to read is as the last
        request left it. Anything else (the server's goodbye or a notice
        waiting, a transaction open or failed) is judged by Django's own
        ``SELECT 1``.
        """
        if self.connection is None or self.connection.closed:
            return False
        if self.connection.info.transaction_status == pq.TransactionStatus.IDLE:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return True
        return super().is_usable()
