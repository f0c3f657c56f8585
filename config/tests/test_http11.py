"""The gateway's HTTP/1.1 protocol, on a real uvicorn server and sockets."""

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from config import request_ids
from config.http11 import ProblemH11Protocol


async def _app(scope, receive, send):
    assert scope["type"] == "http"
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"content-length", b"6"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"served"})


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        _app,
        host="127.0.0.1",
        port=port,
        http=ProblemH11Protocol,
        lifespan="off",
        log_level="critical",
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield "127.0.0.1", port
    instance.should_exit = True
    thread.join(10)


def _exchange(address, request: bytes) -> tuple[bytes, bytes]:
    """Sends a request (from a thread, all of it), reads to the close."""
    with socket.create_connection(address, timeout=10) as client:
        sender = threading.Thread(
            target=lambda: _send_quietly(client, request), daemon=True
        )
        sender.start()
        received = b""
        while chunk := client.recv(65536):
            received += chunk
        sender.join(10)
    head, _, body = received.partition(b"\r\n\r\n")
    return head, body


def _send_quietly(client: socket.socket, request: bytes) -> None:
    # The server may close once it has answered and drained.
    with contextlib.suppress(OSError):
        client.sendall(request)


def _problem(head: bytes, body: bytes, status: int, code: str) -> dict:
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), head
    assert b"content-type: application/problem+json" in head.lower()
    assert b"connection: close" in head.lower()
    document = json.loads(body)
    assert (document["status"], document["code"]) == (status, code)
    # No application saw the request: the protocol made its id.
    assert request_ids.well_formed(document["request_id"])
    header = f"x-request-id: {document['request_id']}\r\n".encode()
    assert header in head.lower() + b"\r\n"
    return document


def test_a_valid_request_is_served(server):
    head, body = _exchange(
        server, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == b"served"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    ],
    ids=["header-without-colon", "tls-on-plain", "nul", "negative-length"],
)
def test_an_unparsable_request_is_a_problem(server, request_bytes):
    head, body = _exchange(server, request_bytes)
    document = _problem(head, body, 400, "malformed_request")
    assert document["detail"] == "The request is not valid HTTP/1.1."


@pytest.mark.parametrize("size", [512 * 1024, 4 * 1024 * 1024])
def test_headers_too_large_are_431_read_by_the_client_not_reset(server, size):
    request = (
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
    )
    head, body = _exchange(server, request)
    _problem(head, body, 431, "request_header_fields_too_large")


class _Recording(ProblemH11Protocol):
    """Records whether each accepted connection has Nagle turned off."""

    nodelay: list[int] = []

    def connection_made(self, transport):
        super().connection_made(transport)
        connection = transport.get_extra_info("socket")
        self.nodelay.append(
            connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        )


def test_nagle_is_off_on_a_listening_socket_shared_with_workers():
    # uvicorn --workers N hands each worker the listening socket rebuilt
    # from its file descriptor, as here: asyncio then leaves Nagle on.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    shared = socket.fromfd(
        listener.fileno(), socket.AF_INET, socket.SOCK_STREAM
    )
    listener.close()
    config = uvicorn.Config(
        _app, http=_Recording, lifespan="off", log_level="critical"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(
        target=instance.run, kwargs={"sockets": [shared]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        head, body = _exchange(
            shared.getsockname(),
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    finally:
        instance.should_exit = True
        thread.join(10)
        shared.close()

    assert head.startswith(b"HTTP/1.1 200 ")
    assert body == b"served"
    assert _Recording.nodelay == [1]
