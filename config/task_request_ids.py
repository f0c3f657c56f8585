"""The request id in Celery: sent with a task, current while it runs.

A task sent while a request is served (a statement import queued, a user
event published after its commit) carries the request's id in its message
headers (``request_id``); the worker makes that id current for the task's
run, so every line the task logs, and every task it sends in turn, carries
it. A task sent by no request (beat's schedule) runs under its own task
id. Connected once by ``config.celery``.
"""

import contextvars
import threading
from typing import Any

from celery import Task, signals

from config import request_ids

HEADER = "request_id"

# The ids a thread's running tasks replaced, innermost last: a task run
# eagerly inside another (or inside a request) gives the outer one back.
_replaced = threading.local()


def _stack() -> list[contextvars.Token]:
    """Returns this thread's stack of replaced ids."""
    if not hasattr(_replaced, "tokens"):
        _replaced.tokens = []
    return _replaced.tokens


def send_request_id(*, headers: dict[str, Any], **kwargs: Any) -> None:
    """Adds the current request's id to a task's message headers.

    Args:
        headers: The message headers, changed in place; an id already
            there is kept.
        **kwargs: The rest of ``before_task_publish``.
    """
    del kwargs
    request_id = request_ids.current()
    if request_id is not None:
        headers.setdefault(HEADER, request_id)


def bind_request_id(*, task_id: str, task: Task, **kwargs: Any) -> None:
    """Makes the id the task was sent with current for its run.

    Args:
        task_id: The task's id: the run's own request id when it was sent
            with none (or run eagerly outside any request).
        task: The task; its request holds the message headers.
        **kwargs: The rest of ``task_prerun``.
    """
    del kwargs
    sent = getattr(task.request, HEADER, None)
    if request_ids.well_formed(sent):
        request_id = sent
    else:
        request_id = request_ids.current() or request_ids.accepted(task_id)
    _stack().append(request_ids.bind(request_id))


def unbind_request_id(**kwargs: Any) -> None:
    """Gives back the id the task's run replaced (``task_postrun``)."""
    del kwargs
    stack = _stack()
    if stack:
        request_ids.unbind(stack.pop())


def connect() -> None:
    """Connects the three receivers (again is harmless)."""
    signals.before_task_publish.connect(
        send_request_id, weak=False, dispatch_uid="request_id.publish"
    )
    signals.task_prerun.connect(
        bind_request_id, weak=False, dispatch_uid="request_id.prerun"
    )
    signals.task_postrun.connect(
        unbind_request_id, weak=False, dispatch_uid="request_id.postrun"
    )
