"""Clients that trickle their bodies do not take the gateway's threads.

The gateway serves HTTP on a fixed pool of threads per process
(``GATEWAY_THREADS``). A body still arriving is read by the event loop
(``config.request_bodies``), so more slow uploads than there are threads
in every process leave the gateway free for everyone else, and each slow
client is served once its body is complete.
"""

import json
import socket
import time
from contextlib import ExitStack

import httpx

from tests.e2e.conftest import GATEWAY_PORT

# More than the threads of both gateway processes (2 x 16 by default).
SLOW_CLIENTS = 40
BODY = json.dumps({"email": "slow@example.com", "password": "x"}).encode()


def _start_slow_upload(sock: socket.socket) -> None:
    """Sends the headers and half of the body, then nothing more."""
    sock.sendall(
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
        + BODY[: len(BODY) // 2]
    )


def _status_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "the gateway closed the connection"
        data += chunk
    return data.split(b"\r\n", 1)[0]


def test_slow_uploads_leave_the_gateway_to_everyone_else(stack):
    with ExitStack() as open_sockets:
        slow = [
            open_sockets.enter_context(
                socket.create_connection(("127.0.0.1", GATEWAY_PORT), 10)
            )
            for _ in range(SLOW_CLIENTS)
        ]
        for sock in slow:
            _start_slow_upload(sock)
        time.sleep(1)  # Let every half body reach the gateway.

        # With every thread held, this would wait until the timeout.
        answer = httpx.get(f"{stack.origin}/healthz", timeout=10)

        assert answer.status_code == 200
        # Each slow client is served once its body is complete.
        for sock in slow[:3]:
            sock.sendall(BODY[len(BODY) // 2 :])
            assert _status_line(sock).startswith(b"HTTP/1.1 4"), (
                "answered (the credentials are wrong)"
            )
