"""Kept-alive connections are served without a delay, on every process.

Every SDK, browser and load balancer keeps its connection open, and the
gateway keeps its connections to users and accounting open. A server that
writes an answer in two segments without ``TCP_NODELAY`` makes the second
wait for the client's delayed ACK (about 40 ms on Linux): on a kept-alive
connection every request would then take 40 ms more than on a new one.

Each server is asked the same cheap question twenty times on one kept-alive
connection and twenty times on new connections; the kept-alive median may
not exceed the new-connection one by more than a stall's worth could hide.
The services must also keep the connection (no ``Connection: close``): the
gateway's pooled client then reuses it instead of connecting per call.
"""

import socket
import statistics
import time

import pytest

from tests.e2e.conftest import ACCOUNTING_PORT, GATEWAY_PORT, USERS_PORT

REQUESTS = 20
# A Nagle stall adds 40 ms to every request; a median this much above the
# new-connection one means answers wait on the client's ACK again.
STALL_MS = 20


def _read_answer(sock: socket.socket) -> bytes:
    """Reads one HTTP/1.1 answer (headers and Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-answer"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        body += chunk
    assert head.startswith(b"HTTP/1.1 200"), head
    return head


def _ask(sock: socket.socket) -> tuple[float, bytes]:
    """Sends GET /healthz on the socket; returns milliseconds and head."""
    started = time.perf_counter()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = _read_answer(sock)
    return (time.perf_counter() - started) * 1000, head


@pytest.mark.parametrize(
    "port",
    [GATEWAY_PORT, USERS_PORT, ACCOUNTING_PORT],
    ids=["gateway", "users", "accounting"],
)
def test_a_kept_alive_connection_answers_as_fast_as_a_new_one(stack, port):
    del stack
    fresh = []
    for _ in range(REQUESTS):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            fresh.append(_ask(s)[0])
    kept = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for _ in range(REQUESTS):
            elapsed, head = _ask(sock)
            assert b"connection: close" not in head.lower(), (
                "the server closes kept-alive connections"
            )
            kept.append(elapsed)

    assert statistics.median(kept) < statistics.median(fresh) + STALL_MS, (
        f"kept-alive {sorted(kept)} ms vs new {sorted(fresh)} ms"
    )
