"""What to do once a write has committed, whichever way it was opened.

Django's ``transaction.on_commit`` knows the transactions it opened. A
movement's pipelined transaction (``journal._one_transaction``) is opened
and committed by plain statements, which Django does not see: it would
run such a callback at once, before the commit. :func:`after_commit`
runs it after the right commit in both cases.
"""

import contextlib
from collections.abc import Callable, Iterator

from django.db import connection, transaction

# Callbacks waiting for the pipelined transaction under way, if any.
_HOOKS = "pipelined_after_commit"


def after_commit(callback: Callable[[], None]) -> None:
    """Runs ``callback`` once the transaction under way commits."""
    pending = getattr(connection, _HOOKS, None)
    if pending is None:
        transaction.on_commit(callback)
    else:
        pending.append(callback)


@contextlib.contextmanager
def pipelined_commit() -> Iterator[list[Callable[[], None]]]:
    """Collects the callbacks of a transaction Django does not see.

    The caller runs them once its ``COMMIT`` has succeeded, and drops them
    when it rolls back.

    Yields:
        The list the callbacks are added to.
    """
    pending: list[Callable[[], None]] = []
    setattr(connection, _HOOKS, pending)
    try:
        yield pending
    finally:
        delattr(connection, _HOOKS)
