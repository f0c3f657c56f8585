"""Where a service keeps its keys: the lock, the replay, the stored answer.

A key is stored with the document of the write it made, in the same
database transaction as the write, so a request can never apply twice: a
retry finds the key and answers the stored document; a crash before the
commit stores neither. Each service has its own table (a :class:`KeyTable`):
accounting scopes keys to a holder, users' sign-ups (made before any user
exists) share one scope, the table.

On PostgreSQL a transaction-scoped advisory lock on ``(scope, key)`` tells
a retry (the first request committed: its key is found) from a duplicate
still running (the lock is held: refused at once rather than queued).
SQLite (the embedded default) runs one writer at a time (``BEGIN
IMMEDIATE``), so no request is ever in flight beside another there, and
no lock is taken.
"""

import functools
from typing import Any

from django.db import connection, models
from django.utils import timezone

from config import sql
from config.errors import Code, DomainError
from config.idempotency import fingerprints


class KeyInFlightError(DomainError):
    """The key's first request is still running: retry in a moment."""

    def __init__(self) -> None:
        super().__init__(
            code=Code.IDEMPOTENCY_KEY_IN_FLIGHT,
            detail="A request with this Idempotency-Key is still running.",
            retry_after=1,
        )


class KeyReusedError(DomainError):
    """The key was stored with another request: a client's mistake."""

    def __init__(self) -> None:
        super().__init__(
            code=Code.IDEMPOTENCY_KEY_REUSED,
            detail="This Idempotency-Key was used with a different request.",
        )


# The columns every key table has, in the order they are written.
_STORED = ("key", "request_hash", "response_body")


class KeyTable:
    """A service's table of keys.

    Args:
        model: The key model: ``key``, ``request_hash`` and
            ``response_body`` fields, and the scope's.
        scope: The field keys are unique within (``"holder"``); None when
            they are unique across the table.
    """

    def __init__(
        self,
        model: type[models.Model],
        *,
        scope: str | None = None,
    ) -> None:
        self.model = model
        self.scope = scope

    @functools.cached_property
    def _lookup_sql(self) -> str:
        """The stored request and answer of a key (in its scope)."""
        where = '"key" = %s'
        if self.scope is not None:
            column = self.model._meta.get_field(self.scope).column
            where = f'"{column}" = %s AND {where}'
        # Only names from the model are formatted in.
        return f"""
    SELECT "request_hash", "response_body"
    FROM "{self.model._meta.db_table}"
    WHERE {where}
"""  # noqa: S608

    def lock_id(self, key: str, scope: Any = None) -> int:
        """Returns the advisory lock id of a key (in its scope)."""
        name = self.model._meta.db_table if self.scope is None else scope
        return fingerprints.lock_id(str(name), key)

    def _claim(self, key: str, scope: Any) -> tuple[Any, ...] | None:
        """Locks a key for this transaction; returns its stored row.

        The lock and the lookup stay two statements: a READ COMMITTED
        statement reads from the snapshot taken when it starts, so a
        lookup folded into the locking statement could miss a key
        committed while the lock was being taken. Both are sent before
        either answer is read: in psycopg's pipeline mode (a money
        movement's) they cost one round trip, and the lookup still starts
        (and takes its snapshot) once the lock is held.

        Raises:
            KeyInFlightError: Another request holds the key.
        """
        params = [key]
        if self.scope is not None:
            params.insert(0, sql.db_value(self.model, self.scope, scope))
        with connection.cursor() as lock, connection.cursor() as lookup:
            postgresql = connection.vendor == "postgresql"
            if postgresql:  # pragma: no branch
                lock.execute(
                    "SELECT pg_try_advisory_xact_lock(%s)",
                    [self.lock_id(key, scope)],
                )
            lookup.execute(self._lookup_sql, params)
            if postgresql and not lock.fetchone()[0]:
                raise KeyInFlightError()
            return lookup.fetchone()

    def replay(
        self, *, key: str, request_hash: str, scope: Any = None
    ) -> dict[str, Any] | None:
        """Claims a key for this transaction; returns what it answered.

        Must run inside the write's transaction, before the write: the
        lock is held until that transaction ends.

        Args:
            key: The request's key, already validated.
            request_hash: The request's fingerprint
                (:func:`fingerprints.request_hash`).
            scope: The scope's value (a holder's id); None without scope.

        Returns:
            The document stored with the key for a retry, or None for a new
            key (the write goes on, then :meth:`save`).

        Raises:
            KeyInFlightError: The same key's first request still runs.
            KeyReusedError: The key was stored with another request.
        """
        row = self._claim(key, scope)
        if row is None:
            return None
        stored_hash, body = row
        if not fingerprints.same_request(stored_hash, request_hash):
            raise KeyReusedError()
        field = self.model._meta.get_field("response_body")
        return field.from_db_value(body, None, connection)

    def save(
        self,
        *,
        key: str,
        request_hash: str,
        body: dict[str, Any],
        scope: Any = None,
        **columns: Any,
    ) -> None:
        """Stores a key with the document of the write it made.

        One insert, sent like the write's own statements (no answer is
        read: in pipeline mode it leaves with the commit).

        Args:
            key: The request's key.
            request_hash: The request's fingerprint.
            body: The write's document, replayed to every retry.
            scope: The scope's value (a holder's id); None without scope.
            **columns: The table's other fields (``created_at``: now if
                not given).
        """
        names = (*_STORED, *columns)
        values = (key, request_hash, body)
        values += tuple(columns.values())
        if self.scope is not None:
            names, values = (self.scope, *names), (scope, *values)
        if "created_at" not in columns:
            names, values = (*names, "created_at"), (*values, timezone.now())
        sql.insert(self.model, names, [values])
