"""Whole request bodies before a thread is taken (the gateway's HTTP).

The gateway serves HTTP on a pool of threads (``config/integration/
asgi.py``). A request handed to a thread before its body has arrived would
hold that thread for as long as its client takes to send the body: a few
clients trickling bodies byte by byte could then occupy every thread. The
event loop, where waiting costs nothing, reads the whole body first; a
body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused there with 413
``payload_too_large``, as Django would refuse it, without reading more.

A few paths take larger bodies (a statement to import): theirs is
spooled, kept in memory up to the usual limit and written to a temporary
file past it, then handed to the thread in pieces with its
``Content-Length`` (a chunked upload gets one too), so a large body
costs disk, not memory. Only a request that could be served is spooled:
one with credentials (``Authorization``) and a body of the path's media
type; any other keeps the usual limit (and is refused by the view). At
most ``max_spooling`` bodies are spooled at once; past that, 429
``rate_limited`` with ``Retry-After``.
"""

import json
import tempfile
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from http import HTTPStatus
from typing import Any

from config import problems
from config.problems import Code

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Message, Receive, Send], Awaitable[None]]

TOO_LARGE_DETAIL = "The request body is too large."
BUSY_DETAIL = "Too many large bodies are arriving at once; retry shortly."


class WholeBodyMiddleware:
    """Hands an HTTP request to the app once its body is in memory.

    Args:
        app: The ASGI application to call with the buffered request.
        max_bytes: The largest body accepted.
        spooled: The paths that take larger bodies: their limit in bytes
            and the media type their body must have.
        max_spooling: How many large bodies may be received at once.
    """

    def __init__(
        self,
        app: App,
        *,
        max_bytes: int,
        spooled: Mapping[str, tuple[int, str]] | None = None,
        max_spooling: int = 4,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.spooled = dict(spooled or {})
        self.max_spooling = max_spooling
        self.spooling = 0

    async def __call__(
        self, scope: Message, receive: Receive, send: Send
    ) -> None:
        """Reads the body, then calls the app with it as one message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        large = self.spooled.get(scope.get("path", ""))
        if large is not None and _may_spool(scope, media_type=large[1]):
            if self.spooling >= self.max_spooling:
                await _refuse_busy(send)
                return
            self.spooling += 1
            try:
                await self._spool(scope, receive, send, large[0])
            finally:
                self.spooling -= 1
            return
        chunks: list[bytes] = []
        size = await _receive_body(scope, receive, send, self.max_bytes, chunks)
        if size is not None:
            await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _spool(
        self, scope: Message, receive: Receive, send: Send, limit: int
    ) -> None:
        """Reads a large body into a spooled file, then calls the app."""
        with tempfile.SpooledTemporaryFile(max_size=self.max_bytes) as file:
            size = await _receive_body(scope, receive, send, limit, file)
            if size is None:
                return
            file.seek(0)
            headers = [
                (name, value)
                for name, value in scope["headers"]
                if name not in (b"content-length", b"transfer-encoding")
            ]
            headers.append((b"content-length", str(size).encode()))
            await self.app(
                {**scope, "headers": headers},
                _replay_file(file, receive),
                send,
            )


async def _receive_body(
    scope: Message,
    receive: Receive,
    send: Send,
    limit: int,
    sink: list[bytes] | tempfile.SpooledTemporaryFile,
) -> int | None:
    """Receives a whole body into ``sink``, refusing it past ``limit``.

    Returns:
        Its size; None when there is nobody to serve (refused with 413, or
        the client left).
    """
    if _declared_length(scope) > limit:
        await _refuse_too_large(send)
        return None
    keep = sink.append if isinstance(sink, list) else sink.write
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None  # The client left: nobody to answer.
        piece = message.get("body", b"")
        size += len(piece)
        if size > limit:
            await _refuse_too_large(send)
            return None
        keep(piece)
        more = message.get("more_body", False)
    return size


# What one message of a spooled body carries.
SPOOL_PIECE_BYTES = 64 * 1024


def _replay_file(
    file: tempfile.SpooledTemporaryFile, receive: Receive
) -> Receive:
    """Returns a ``receive`` giving the file in pieces, then the client's."""
    done = False

    async def replayed() -> Message:
        nonlocal done
        if done:
            return await receive()
        piece = file.read(SPOOL_PIECE_BYTES)
        done = len(piece) < SPOOL_PIECE_BYTES
        return {"type": "http.request", "body": piece, "more_body": not done}

    return replayed


def _header(scope: Message, name: bytes) -> bytes:
    """Returns a request header's value (``b""`` if absent)."""
    return next((v for n, v in scope["headers"] if n == name), b"")


def _may_spool(scope: Message, *, media_type: str) -> bool:
    """Whether a request could be served, so its large body is worth taking.

    A POST with credentials and a body of the media type; any other keeps
    the usual limit.
    """
    content_type = _header(scope, b"content-type").split(b";")[0]
    return (
        scope.get("method") == "POST"
        and bool(_header(scope, b"authorization"))
        and content_type.strip().lower() == media_type.encode()
    )


def _declared_length(scope: Message) -> int:
    """Returns the request's Content-Length, or 0 if absent or not a count."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0


def _replay(body: bytes, receive: Receive) -> Receive:
    """Returns a ``receive`` that gives the body, then the client's next."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _refuse(
    send: Send,
    status: HTTPStatus,
    code: str,
    detail: str,
    *extra: tuple[bytes, bytes],
) -> None:
    """Answers a problem and closes the connection.

    The rest of the body is never read: the connection ends with it.
    """
    document = problems.problem_document(
        problems.ProblemError(status=status, code=code, detail=detail)
    )
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", problems.PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *extra,
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _refuse_busy(send: Send) -> None:
    """Answers 429 ``rate_limited``: too many large bodies arriving."""
    await _refuse(
        send,
        HTTPStatus.TOO_MANY_REQUESTS,
        Code.RATE_LIMITED,
        BUSY_DETAIL,
        (b"retry-after", b"1"),
    )


async def _refuse_too_large(send: Send) -> None:
    """Answers 413 ``payload_too_large`` and closes the connection."""
    await _refuse(
        send,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        Code.PAYLOAD_TOO_LARGE,
        TOO_LARGE_DETAIL,
    )
