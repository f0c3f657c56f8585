"""The gateway's HTTP/1.1 protocol: problems for requests Django never sees.

uvicorn answers a request it cannot parse (a garbled request line, a header
without a colon, headers larger than it buffers) itself, before any
application code, with a ``text/plain`` 400, and closes the socket at once.
Two things are wrong with that for a public API:

- every error of the API is a problem document with a stable ``code``:
  here 400 ``malformed_request``, or 431
  ``request_header_fields_too_large`` for headers over
  :data:`MAX_HEADER_BYTES`;
- closing a socket whose client is still sending (a 200 KB header) makes
  the kernel reset the connection, and the reset destroys the answer
  before the client reads it. The answer is sent, the sending side shut
  (FIN), and what the client still sends is read and dropped for up to
  :data:`LINGER_SECONDS` ("lingering close", RFC 9112 section 9.6), so
  the client sees the 431.

It also turns Nagle's algorithm off on every connection (``TCP_NODELAY``).
asyncio does so only for sockets it recognises as TCP, and the listening
socket uvicorn shares with its worker processes (``--workers 2``) is
rebuilt from a file descriptor that no longer says so: every answer of a
multi-process gateway then waited 40 ms for the client's delayed ACK.

The Procfile and the gateway's container run uvicorn with
``--http config.http11:ProblemH11Protocol``.
"""

import asyncio
import contextlib
import json
import socket
from http import HTTPStatus
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import H11Protocol

from config import request_ids
from config.problems import PROBLEM_CONTENT_TYPE, Code, problem_body

# Seconds a refused connection is drained before it is closed.
LINGER_SECONDS = 2.0
# The most header bytes a request may have. h11 enforces it only on what
# arrives before the headers are complete; integration.limits checks what
# came in one read.
MAX_HEADER_BYTES = DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
HEADERS_TOO_LARGE_DETAIL = "The request's headers are too large."


class _RecordingConnection(h11.Connection):
    """h11's connection, remembering the protocol error it last raised."""

    error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        """Returns h11's next event, recording a protocol error."""
        try:
            return super().next_event()
        except h11.RemoteProtocolError as error:
            self.error = error
            raise


def refusal(error: h11.RemoteProtocolError | None) -> tuple[int, bytes]:
    """Returns the status and problem body refusing an unparsable request.

    Args:
        error: What h11 raised; its ``error_status_hint`` says 431 for
            headers over the buffer.

    Returns:
        The status and the encoded problem document.
    """
    status = getattr(error, "error_status_hint", HTTPStatus.BAD_REQUEST)
    if status == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
        code, detail = Code.HEADERS_TOO_LARGE, HEADERS_TOO_LARGE_DETAIL
    else:
        status, code = HTTPStatus.BAD_REQUEST, Code.MALFORMED_REQUEST
        detail = "The request is not valid HTTP/1.1."
    body = problem_body(status=status, code=code, detail=detail)
    return int(status), json.dumps(body).encode()


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol answering unparsable requests with problems."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _RecordingConnection(h11.SERVER, MAX_HEADER_BYTES)
        self.draining = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Sends each write at once (no Nagle), then serves the connection.

        Args:
            transport: The connection's transport.
        """
        connection = transport.get_extra_info("socket")
        with contextlib.suppress(OSError):  # A Unix socket has no Nagle.
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        """Reads the request; drops what a refused client still sends."""
        if self.draining:
            return
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """Answers an unparsable request with a problem, then lingers.

        Args:
            msg: uvicorn's plain-text message (already logged).
        """
        del msg
        # No application sees this request: its id is made here.
        with request_ids.bound(request_ids.make()) as request_id:
            status, body = refusal(self.conn.error)
        headers = [
            (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (request_ids.HEADER.encode(), request_id.encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(
                status_code=status,
                headers=headers,
                reason=HTTPStatus(status).phrase.encode(),
            ),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.draining = True
        # Plain TCP: TLS ends in front of the gateway (its ingress).
        self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
