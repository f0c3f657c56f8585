"""One client flooding the gateway must not slow every other.

Through the real gateway processes (two uvicorn workers sharing Redis):
one user holds many kept-alive connections on the heaviest read there is,
another user's ``GET /balance`` must keep its median within
:data:`FLOOD_P50_BOUND` times what it is alone (the README states the
bound); the flood is answered 200 or 429 ``rate_limited``, never a 5xx.
Sockets are bounded per user and, awaiting their auth message, per
address, across both processes.
"""

import contextlib
import statistics
import threading
import time
from urllib.parse import urlsplit

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import wait_until
from tests.e2e.conftest import Stack
from tests.e2e.helpers import group_create, sign_up, when_ready

# The victim's p50 under the flood, at most this many times its p50 alone.
FLOOD_P50_BOUND = 25.0
FLOOD_CONNECTIONS = 32
SAMPLES = 60
# The gateway's defaults (config/integration/settings.py).
SOCKETS_PER_USER = 10
PENDING_PER_ADDRESS = 20


def _p50(client: httpx.Client, headers: dict[str, str]) -> float:
    """Returns the median seconds of ``GET /balance`` over the samples."""
    timings = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        response = client.get("/balance", headers=headers)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return statistics.median(timings)


def test_a_flooding_user_keeps_another_users_median_within_the_bound(
    api: httpx.Client, stack: Stack
) -> None:
    victim, flooder = sign_up(api), sign_up(api)
    for member in (victim, flooder):
        when_ready(lambda m=member: api.get("/balance", headers=m.auth))
    for n in range(40):
        credited = api.post(
            "/credits",
            json={"amount": "1.00", "description": f"pay {n}"},
            headers=flooder.auth,
        )
        assert credited.status_code == 201, credited.text

    with httpx.Client(base_url=stack.gateway, timeout=30) as victim_client:
        alone = _p50(victim_client, victim.auth)
        stop = threading.Event()
        statuses: list[int] = []

        def flood() -> None:
            with httpx.Client(base_url=stack.gateway, timeout=30) as client:
                while not stop.is_set():
                    statuses.append(
                        client.get(
                            "/transactions",
                            params={"limit": 500},
                            headers=flooder.auth,
                        ).status_code
                    )

        threads = [
            threading.Thread(target=flood, daemon=True)
            for _ in range(FLOOD_CONNECTIONS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2)  # The flood is on.
        flooded = _p50(victim_client, victim.auth)
        stop.set()
        for thread in threads:
            thread.join(30)

    assert set(statuses) <= {200, 429}, sorted(set(statuses))
    assert statuses.count(429) > statuses.count(200), "the flood was limited"
    print(
        f"balance p50 alone {alone * 1000:.1f} ms, under a flood of "
        f"{FLOOD_CONNECTIONS} connections {flooded * 1000:.1f} ms "
        f"(x{flooded / alone:.2f}; flood answers: {statuses.count(200)} "
        f"200, {statuses.count(429)} 429)"
    )
    assert flooded <= FLOOD_P50_BOUND * alone


def _ws(stack: Stack, group_id: str, token: str | None) -> str:
    parts = urlsplit(stack.origin)
    url = f"ws://{parts.hostname}:{parts.port}/ws/groups/{group_id}/"
    return f"{url}?token={token}" if token else url


def _close_codes(sockets: list) -> list[int | None]:
    """Returns the close code each socket got (None: still open) in 1 s."""
    time.sleep(1)
    return [_close_code(socket) for socket in sockets]


def _close_code(socket) -> int | None:
    """Returns the close code the server already sent, None if open."""
    try:
        socket.recv(timeout=0)
    except TimeoutError:
        return None
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError("the socket got a message")


def test_sockets_are_bounded_per_user_and_per_waiting_address(
    api: httpx.Client, stack: Stack
) -> None:
    owner = sign_up(api)
    group_id = group_create(api, owner, name="Crowd")

    sockets = contextlib.ExitStack()
    opened = [
        sockets.enter_context(
            connect(_ws(stack, group_id, owner.access), ping_interval=None)
        )
        for _ in range(SOCKETS_PER_USER + 5)
    ]
    codes = _close_codes(opened)
    assert codes.count(None) == SOCKETS_PER_USER, codes
    assert set(codes) == {None, 4429}

    waiting = [
        sockets.enter_context(
            connect(_ws(stack, group_id, None), ping_interval=None)
        )
        for _ in range(PENDING_PER_ADDRESS + 5)
    ]
    codes = _close_codes(waiting)
    assert codes.count(None) == PENDING_PER_ADDRESS, codes
    assert set(codes) == {None, 4429}

    sockets.close()

    # Every slot is given back: as many sockets are admitted again.
    def all_admitted_again() -> bool:
        with contextlib.ExitStack() as again:
            codes = _close_codes(
                [
                    again.enter_context(
                        connect(
                            _ws(stack, group_id, owner.access),
                            ping_interval=None,
                        )
                    )
                    for _ in range(SOCKETS_PER_USER)
                ]
            )
        return codes == [None] * SOCKETS_PER_USER

    wait_until(all_admitted_again, timeout=15, what="the slots given back")
