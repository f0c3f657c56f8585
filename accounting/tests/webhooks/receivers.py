"""A real webhook receiver for tests: an HTTP server that records requests.

It listens on 127.0.0.1 (an ephemeral port, chosen at its first start),
records every POST it is sent, and answers as a test tells it: a status,
a body, extra headers, after a delay, or dripping the answer byte by byte;
over TLS when given a certificate. It can be stopped (connections are then
refused) and started again on the same port, to play a receiver that is
down for a while::

    def test_it(receiver):
        receiver.answer(status=503)
        ...  # deliver to receiver.url
        receiver.stop()
        ...  # refused
        receiver.start()
        assert receiver.wait(2)[1].body == b"..."

The ``receiver`` fixture gives a started one and stops it afterwards;
import it into a ``conftest.py`` to use it elsewhere. Between a stop and
a start, another process could take the port; on a test machine that is
rare enough to ignore.
"""

import dataclasses
import email.message
import http.client
import http.server
import ssl
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

HOST = "127.0.0.1"
PATH = "/hooks"


@dataclasses.dataclass(frozen=True)
class Received:
    """One request as the receiver read it.

    Attributes:
        method: The request's method.
        path: The path and query.
        headers: The headers (look-ups ignore case).
        body: The raw body.
    """

    method: str
    path: str
    headers: email.message.Message
    body: bytes


@dataclasses.dataclass(frozen=True)
class Answer:
    """What the receiver answers.

    Attributes:
        status: The HTTP status.
        body: The body.
        headers: Extra headers, over the Content-Length of ``body`` (a
            larger Content-Length makes the body come short).
        delay: Seconds to wait before answering (stopping cuts it short,
            and the connection is then closed with no answer).
        drip: Seconds to wait before each byte of the answer, status line
            included.
    """

    status: int = 200
    body: bytes = b"ok"
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0
    drip: float = 0.0


class Receiver:
    """A threaded HTTP server on 127.0.0.1 that records what it is sent.

    Args:
        certificate: Paths of a certificate and its key: it then serves
            https (clients must trust the certificate).
    """

    def __init__(self, *, certificate: tuple[str, str] | None = None) -> None:
        self.port = 0
        self._tls: ssl.SSLContext | None = None
        if certificate is not None:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*certificate)
        self._answer = Answer()
        self._received: list[Received] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Where to post: ``http://127.0.0.1:<port>/hooks`` (or https)."""
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://{HOST}:{self.port}{PATH}"

    @property
    def running(self) -> bool:
        """Whether it is listening."""
        return self._server is not None

    @property
    def requests(self) -> list[Received]:
        """The requests received so far, oldest first."""
        with self._changed:
            return list(self._received)

    def answer(self, **fields: Any) -> None:
        """Sets what to answer from now on (the fields of :class:`Answer`)."""
        self._answer = Answer(**fields)

    def start(self) -> None:
        """Listens, on the port of its previous run if it had one."""
        if self._server is not None:
            return
        self._stopping.clear()
        server = _Server((HOST, self.port), _Handler)
        server.receiver = self
        if self._tls is not None:
            # The handshake is made as a connection is accepted; one that
            # fails is dropped by socketserver, quietly.
            server.socket = self._tls.wrap_socket(
                server.socket, server_side=True
            )
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.start()
        self._server = server

    def stop(self) -> None:
        """Stops listening; requests being answered are cut short."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def wait(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Returns the requests once there are ``count``, or fails the test.

        Args:
            count: How many requests to wait for, in all.
            timeout: Seconds to wait at most.
        """
        with self._changed:
            if not self._changed.wait_for(
                lambda: len(self._received) >= count, timeout
            ):
                pytest.fail(
                    f"{len(self._received)} request(s) received, not {count}."
                )
            return list(self._received)

    def _record(self, received: Received) -> None:
        with self._changed:
            self._received.append(received)
            self._changed.notify_all()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    receiver: Receiver


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        receiver._record(
            Received(
                method=self.command,
                path=self.path,
                headers=self.headers,
                body=self.rfile.read(length),
            )
        )
        answer = receiver._answer
        stopping = receiver._stopping
        if answer.delay and stopping.wait(answer.delay):
            return
        headers = {
            "Content-Length": str(len(answer.body)),
            "Connection": "close",
            **answer.headers,
        }
        reason = http.client.responses.get(answer.status, "Unknown")
        lines = [f"HTTP/1.1 {answer.status} {reason}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            if not answer.drip:
                self.wfile.write(head + answer.body)
                return
            for byte in head + answer.body:
                if stopping.wait(answer.drip):
                    return
                self.wfile.write(bytes([byte]))
        except ConnectionError:
            return  # The client gave up (its timeout): nothing to tell it.

    def log_message(self, format: str, *args: object) -> None:
        """Keeps the test output quiet."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started receiver, answering 200 ``ok``; stopped afterwards."""
    started = Receiver()
    started.start()
    yield started
    started.stop()
