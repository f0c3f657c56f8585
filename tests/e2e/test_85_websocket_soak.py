"""Live group sockets through the real gateway processes, for minutes.

Two uvicorn workers share the Redis channel layer. Idle sockets must stay
open for the whole soak (only the server pings them: the clients here send
no pings of their own), busy sockets must receive every event once and in
order, and a gateway that stops must say so with close 1012 rather than
drop its sockets. ``E2E_SOAK_SECONDS`` sets the soak (``make test``: 90 s;
``make test-long``: 11 minutes).
"""

import contextlib
import json
import signal
import subprocess
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.sync.client import ClientConnection, connect

from tests.conftest import REPO_DIR, port_open, procfile_command, wait_until
from tests.e2e.conftest import PORT_BASE, SOAK_SECONDS, Stack
from tests.e2e.helpers import Member, group_create, sign_up, when_ready

IDLE_PER_MEMBER = 4
BUSY_EVERY = 3.0
# An extra gateway process for the shutdown test, beside the stack's.
EXTRA_GATEWAY_PORT = PORT_BASE + 10


def _url(origin: str, group_id: str, token: str | None) -> str:
    parts = urlsplit(origin)
    url = f"ws://{parts.hostname}:{parts.port}/ws/groups/{group_id}/"
    return f"{url}?token={token}" if token else url


def _open(
    sockets: contextlib.ExitStack,
    origin: str,
    group_id: str,
    member: Member,
    *,
    by_message: bool,
) -> ClientConnection:
    """Opens a socket that never pings: only the server keeps it alive."""
    socket = sockets.enter_context(
        connect(
            _url(origin, group_id, None if by_message else member.access),
            ping_interval=None,
            open_timeout=10,
        )
    )
    if by_message:
        socket.send(json.dumps({"type": "auth", "token": member.access}))
        assert json.loads(socket.recv(timeout=10)) == {"type": "auth_ok"}
    return socket


def _contribute(api: httpx.Client, member: Member, group_id: str, key: str):
    response = api.post(
        f"/groups/{group_id}/contributions",
        json={"amount": "1.00"},
        headers={**member.auth, "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_idle_and_busy_sockets_hold_for_the_whole_soak(
    api: httpx.Client, stack: Stack
) -> None:
    ana, ben, cai = (sign_up(api) for _ in range(3))
    plans = when_ready(lambda: api.get("/plans", headers=cai.auth)).json()
    save_10 = next(p for p in plans["results"] if p["name"] == "Save 10%")
    chosen = api.put(
        "/me/plan", json={"plan_id": save_10["id"]}, headers=cai.auth
    )
    assert chosen.status_code == 200, chosen.text
    funded = when_ready(
        lambda: api.post(
            "/credits", json={"amount": "10000.00"}, headers=cai.auth
        )
    )
    assert funded.status_code == 201, funded.text  # 1,000.00 saved
    sockets = contextlib.ExitStack()
    quiet = group_create(api, ana, ben, cai)
    busy = group_create(api, cai, ana, ben)
    idle = [
        _open(sockets, stack.origin, quiet, member, by_message=by_message)
        for member in (ana, ben)
        for by_message in (False, True)
        for _ in range(IDLE_PER_MEMBER // 2)
    ]
    listeners = [
        _open(sockets, stack.origin, busy, ana, by_message=False),
        _open(sockets, stack.origin, busy, ben, by_message=True),
    ]
    received: list[list[dict]] = [[] for _ in listeners]
    stop = threading.Event()

    def listen(socket: ClientConnection, into: list[dict]) -> None:
        while not stop.is_set():
            try:
                into.append(json.loads(socket.recv(timeout=1)))
            except TimeoutError:
                continue

    threads = [
        threading.Thread(target=listen, args=pair, daemon=True)
        for pair in zip(listeners, received, strict=True)
    ]
    for thread in threads:
        thread.start()

    sent = []
    deadline = time.monotonic() + SOAK_SECONDS
    while time.monotonic() < deadline:
        sent.append(_contribute(api, cai, busy, f"soak-{len(sent)}"))
        time.sleep(BUSY_EVERY)
    wait_until(
        lambda: all(len(events) >= len(sent) for events in received),
        timeout=10,
        what="every busy event",
    )
    stop.set()
    for thread in threads:
        thread.join(5)

    totals = [answer["group"]["total"] for answer in sent]
    for events in received:
        assert [event["total"] for event in events] == totals
    for socket in idle:
        assert socket.protocol.state is State.OPEN, socket.close_code
    answer = _contribute(api, cai, quiet, "after-the-silence")
    for socket in idle:
        event = json.loads(socket.recv(timeout=5))
        assert (event["type"], event["total"]) == (
            "contribution",
            answer["group"]["total"],
        )
    sockets.close()


def test_a_stopping_gateway_closes_its_sockets_with_1012(
    api: httpx.Client, stack: Stack
) -> None:
    ana = sign_up(api)
    group_id = group_create(api, ana)
    env = {
        **stack.env,
        "GATEWAY_PORT": str(EXTRA_GATEWAY_PORT),
        "GATEWAY_WORKERS": "1",
    }
    process = subprocess.Popen(
        ["bash", "-c", procfile_command("gateway")],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(
            lambda: port_open(EXTRA_GATEWAY_PORT),
            timeout=60,
            what="the extra gateway",
        )
        origin = f"http://127.0.0.1:{EXTRA_GATEWAY_PORT}"
        sockets = contextlib.ExitStack()
        socket = _open(sockets, origin, group_id, ana, by_message=False)

        process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None, "closed without a close frame"
        assert closed.value.rcvd.code == 1012
        # uvicorn exits by the signal it stopped on, once it has stopped.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        sockets.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_member_who_leaves_is_closed_4403_and_the_others_are_told(
    api: httpx.Client, stack: Stack
) -> None:
    ana, ben = sign_up(api), sign_up(api)
    group_id = group_create(api, ana, ben, name="Leavers")
    with contextlib.ExitStack() as sockets:
        # Several sockets each, spread over both gateway workers.
        stays = [
            _open(sockets, stack.origin, group_id, ana, by_message=False)
            for _ in range(3)
        ]
        leaves = [
            _open(sockets, stack.origin, group_id, ben, by_message=n % 2 == 0)
            for n in range(3)
        ]

        left = api.delete(f"/groups/{group_id}/members/me", headers=ben.auth)
        assert left.status_code == 204, left.text

        for socket in leaves:
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=5)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4403
        for socket in stays:
            event = json.loads(socket.recv(timeout=5))
            assert (event["type"], event["user_id"], event["group_id"]) == (
                "member_left",
                ben.id,
                group_id,
            )
    gone = api.get(f"/groups/{group_id}", headers=ben.auth)
    assert gone.status_code == 404
    members = api.get(f"/groups/{group_id}", headers=ana.auth).json()
    assert [m["user_id"] for m in members["members"]] == [ana.id]
