"""Group events cross gateways, and a socket outlives the gateway it was on.

Three members of a savings group open sockets on ``/ws/groups/{id}/``:
one on ``gateway-a``'s own port, one on ``gateway-b``'s, and more through
HAProxy until both gateways hold some (HAProxy's ``X-Served-By`` on the
handshake says which). A contribution made through ``gateway-a``, through
``gateway-b`` and through HAProxy must each reach every socket once, in
order: the gateway that answers the contribution broadcasts on the Redis
channel layer, and the other gateway's sockets hear it.

Then ``gateway-a`` is SIGKILLed. Every socket it held closes (HAProxy
closes those it tunnelled); their members reconnect through HAProxy, which
now sends them to ``gateway-b``, and the next contribution reaches the
reconnected sockets and those that never moved. Last, ``gateway-a`` is
started again and a socket opened on it hears a contribution made through
``gateway-b``.
"""

import contextlib
import json
import time
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.helpers import Member, group_create, sign_up, when_ready
from tests.scaleout.conftest import Cluster

EVENT_TIMEOUT = 10
RECONNECT_TIMEOUT = 30
MAX_BALANCED = 6  # sockets through HAProxy, at most, to land on both


class Listener:
    """One member's socket, and where it landed.

    Attributes:
        member: Whose socket it is.
        socket: The open connection.
        served_by: The gateway instance that holds it.
    """

    def __init__(
        self, member: Member, socket: ClientConnection, served_by: str
    ) -> None:
        self.member = member
        self.socket = socket
        self.served_by = served_by


def _open(origin: str, group_id: str, member: Member) -> ClientConnection:
    parts = urlsplit(origin)
    return connect(
        f"ws://{parts.hostname}:{parts.port}/ws/groups/{group_id}/"
        f"?token={member.access}",
        open_timeout=10,
    )


def _listen(
    sockets: contextlib.ExitStack,
    cluster: Cluster,
    group_id: str,
    member: Member,
    gateway: str | None = None,
) -> Listener:
    """Opens a socket on one gateway, or through HAProxy when None."""
    if gateway is not None:
        socket = _open(cluster.origin_of(gateway), group_id, member)
        served_by = gateway
    else:
        socket = _open(cluster.origin, group_id, member)
        served_by = socket.response.headers["X-Served-By"]
    sockets.enter_context(socket)
    return Listener(member, socket, served_by)


def _reconnect(
    sockets: contextlib.ExitStack,
    cluster: Cluster,
    group_id: str,
    member: Member,
) -> Listener:
    """Connects through HAProxy again, retrying as a client would."""
    deadline = time.monotonic() + RECONNECT_TIMEOUT
    while True:
        try:
            return _listen(sockets, cluster, group_id, member)
        except (OSError, InvalidStatus, ConnectionClosed):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _contribute(
    origin: str, member: Member, group_id: str, key: str
) -> dict[str, str]:
    """Contributes 1.00 through ``origin``; returns the answer's group."""
    with httpx.Client(base_url=f"{origin}/api/v1", timeout=30) as api:
        response = api.post(
            f"/groups/{group_id}/contributions",
            json={"amount": "1.00"},
            headers={**member.auth, "Idempotency-Key": key},
        )
    assert response.status_code == 201, response.text
    return response.json()["group"]


def _hear(listeners: list[Listener], group: dict, through: str) -> None:
    """Every listener receives the contribution's event, next in line."""
    for listener in listeners:
        try:
            event = json.loads(listener.socket.recv(timeout=EVENT_TIMEOUT))
        except TimeoutError:
            pytest.fail(
                f"the contribution made through {through} never reached "
                f"{listener.member.email}'s socket on {listener.served_by}"
            )
        assert (event["type"], event["total"]) == (
            "contribution",
            group["total"],
        ), (
            f"{listener.member.email}'s socket on {listener.served_by} got "
            f"{event} after the contribution through {through} (a missed, "
            "doubled or reordered event)"
        )


def _members(cluster: Cluster) -> tuple[Member, Member, Member, str]:
    """Ana, Ben and Cai (who has savings to give), and their group."""
    with httpx.Client(base_url=cluster.gateway, timeout=30) as api:
        ana, ben, cai = (sign_up(api) for _ in range(3))
        plans = when_ready(lambda: api.get("/plans", headers=cai.auth))
        save_10 = next(
            p for p in plans.json()["results"] if p["name"] == "Save 10%"
        )
        chosen = api.put(
            "/me/plan", json={"plan_id": save_10["id"]}, headers=cai.auth
        )
        assert chosen.status_code == 200, chosen.text
        funded = api.post(
            "/credits", json={"amount": "1000.00"}, headers=cai.auth
        )
        assert funded.status_code == 201, funded.text  # 100.00 saved
        group_id = group_create(api, cai, ana, ben, name="Scale-out")
    return ana, ben, cai, group_id


def test_events_reach_both_gateways_and_survive_one_dying(
    cluster: Cluster,
) -> None:
    ana, ben, cai, group_id = _members(cluster)
    with contextlib.ExitStack() as sockets:
        listeners = [
            _listen(sockets, cluster, group_id, ana, "gateway-a"),
            _listen(sockets, cluster, group_id, ben, "gateway-b"),
        ]
        members = (cai, ana, ben)
        balanced: set[str] = set()
        while balanced != {"gateway-a", "gateway-b"}:
            assert len(listeners) - 2 < MAX_BALANCED, (
                f"HAProxy sent every socket to {balanced}"
            )
            member = members[len(listeners) % len(members)]
            listeners.append(_listen(sockets, cluster, group_id, member))
            balanced.add(listeners[-1].served_by)

        for through, origin in (
            ("gateway-a", cluster.origin_of("gateway-a")),
            ("gateway-b", cluster.origin_of("gateway-b")),
            ("HAProxy", cluster.origin),
        ):
            group = _contribute(origin, cai, group_id, f"via-{through}")
            _hear(listeners, group, through)

        cluster.kill("gateway-a")
        survivors = []
        for listener in listeners:
            if listener.served_by == "gateway-b":
                survivors.append(listener)
                continue
            with pytest.raises(ConnectionClosed):
                listener.socket.recv(timeout=EVENT_TIMEOUT)
            moved = _reconnect(sockets, cluster, group_id, listener.member)
            assert moved.served_by == "gateway-b", (
                "HAProxy sent a reconnecting socket to the dead gateway"
            )
            survivors.append(moved)
        assert len(survivors) == len(listeners)
        group = _contribute(cluster.origin, cai, group_id, "after-the-kill")
        _hear(survivors, group, "HAProxy, gateway-a dead")

        cluster.restart("gateway-a")
        survivors.append(_listen(sockets, cluster, group_id, ana, "gateway-a"))
        group = _contribute(
            cluster.origin_of("gateway-b"), cai, group_id, "after-restart"
        )
        _hear(survivors, group, "gateway-b, gateway-a restarted")
