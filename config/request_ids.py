"""The request id: what ties a user's complaint to every line it caused.

A request gets one id where it enters the platform: the gateway makes it
(or takes a proxy's ``X-Request-ID`` when ``REQUEST_ID_TRUSTED`` says the
proxy sets it), answers with it, and sends it to users and accounting,
which take it; it rides in the headers of the Celery tasks the request
sends. Wherever code runs for the request, :func:`current` answers it:
every log line (``config.logs``) and every problem document
(``config.problems``) carry it.

The id lives in a context variable, so each thread and each asyncio task
sees its own request's. A thread that serves one request after another
(gunicorn's gthread workers, Celery's thread pool) must reset it when a
request ends: :func:`bound` does.

An id from outside is checked before anything uses it: 1 to
:data:`MAX_LENGTH` characters of a small ASCII set (letters, digits and
``-._:+/=``, which holds UUIDs, W3C trace ids and base64). Anything else (a
CRLF that would forge a log line, a control character, non-ASCII, a
megabyte) is dropped and a fresh id is made: a hostile header never reaches
a log raw, and never fails a request.
"""

import contextlib
import contextvars
import re
import uuid
from collections.abc import Iterator

HEADER = "X-Request-ID"
# The WSGI environ key of the header.
META_KEY = "HTTP_X_REQUEST_ID"
MAX_LENGTH = 128
_WELL_FORMED = re.compile(rf"[A-Za-z0-9\-._:+/=]{{1,{MAX_LENGTH}}}")
# What a log line shows when no request is being served.
NONE = "-"

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


def make() -> str:
    """Returns a fresh request id: 32 hex digits of a random UUID."""
    return uuid.uuid4().hex


def well_formed(value: object) -> bool:
    """Returns whether a value may be used as a request id as it is."""
    return isinstance(value, str) and bool(_WELL_FORMED.fullmatch(value))


def accepted(value: object) -> str:
    """Returns ``value`` if it is a well-formed id, else a fresh one.

    Args:
        value: An id from outside (a header, a task's headers), or None.

    Returns:
        The id to use.
    """
    return value if well_formed(value) else make()  # type: ignore[return-value]


def current() -> str | None:
    """Returns the id of the request being served here, if any."""
    return _current.get()


@contextlib.contextmanager
def bound(request_id: str | None) -> Iterator[str | None]:
    """Makes ``request_id`` the current id for the ``with`` block.

    Args:
        request_id: The id, or None for no request.

    Yields:
        The id.
    """
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


def bind(request_id: str | None) -> contextvars.Token:
    """Sets the current id until :func:`unbind` (Celery's two signals)."""
    return _current.set(request_id)


def unbind(token: contextvars.Token) -> None:
    """Restores the id :func:`bind` replaced."""
    _current.reset(token)
