"""Live events of savings groups over WebSocket, through the ASGI app.

Sockets are driven with Channels' ``WebsocketCommunicator`` against the
gateway's real ASGI application; accounting's membership answer comes from
the ``upstream`` mock (or a closed port, for an outage). The channel layer
is the in-memory one, fresh per test, except for the tests that prove that
what another process broadcasts (a contribution, a member leaving) reaches
the sockets through Redis.
"""

import asyncio
import decimal
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import HttpCommunicator, WebsocketCommunicator
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import override_settings

from config.integration.settings import channel_layers
from integration import realtime
from integration.clients import Service
from integration.tests import factories

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
REDIS_CHANNELS_URL = (
    f"{os.environ.get('REDIS_URL', 'redis://127.0.0.1:6379')}/5"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _application():
    """The gateway's ASGI app, imported once static files are set up.

    Building it builds Django's middleware, WhiteNoise's included, which
    must see the tests' static settings (conftest), not the module's.
    """
    from config.integration.asgi import application  # noqa: PLC0415

    return application


@pytest.fixture(autouse=True)
def _fresh_layer() -> Iterator[None]:
    """A new in-memory layer per test (changing the setting resets it)."""
    with override_settings(CHANNEL_LAYERS=IN_MEMORY):
        yield


@pytest.fixture
def group_id() -> str:
    return str(uuid.uuid4())


def _membership_path(user_id: str, group_id: str) -> str:
    return f"/internal/v1/holders/{user_id}/groups/{group_id}"


def _member(upstream, user_id: str, group_id: str) -> None:
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        _membership_path(user_id, group_id),
        json={"id": group_id, "name": "Trip", "members": []},
    )


def _refuse(upstream, user_id: str, group_id: str, status: int, code: str):
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        _membership_path(user_id, group_id),
        status=status,
        json=factories.problem(status, code),
    )


def _event(group_id: str, **overrides: object) -> dict:
    return {
        "type": "contribution",
        "group_id": group_id,
        "user_id": str(uuid.uuid4()),
        "amount": "25.00",
        "currency": "USD",
        "message": "For the tickets",
        "timestamp": "2026-11-21T10:00:00.000000Z",
        "total": "125.00",
        **overrides,
    }


async def _broadcast(group_id: str, event: dict) -> None:
    """Broadcasts as the contribution view does: sync code in a thread."""
    await sync_to_async(realtime.contribution_broadcast)(group_id, event)


def _left(group_id: str, user_id: str) -> dict:
    return {
        "type": "member_left",
        "group_id": group_id,
        "user_id": user_id,
        "timestamp": "2026-11-22T09:30:00.000000Z",
    }


async def _broadcast_left(group_id: str, user_id: str) -> dict:
    """Broadcasts as the leave view does; returns the event."""
    event = _left(group_id, user_id)
    await sync_to_async(realtime.member_left_broadcast)(group_id, event)
    return event


def _socket(group_id: str, token: str | None = None) -> WebsocketCommunicator:
    query = "" if token is None else f"?token={token}"
    return WebsocketCommunicator(
        _application(), f"/ws/groups/{group_id}/{query}"
    )


@pytest.fixture
async def sockets() -> AsyncIterator[list[WebsocketCommunicator]]:
    """Sockets a test opened; each is disconnected at the end."""
    opened: list[WebsocketCommunicator] = []
    yield opened
    for communicator in opened:
        await communicator.disconnect()


async def _open(
    sockets: list, group_id: str, token: str | None = None
) -> tuple[WebsocketCommunicator, bool, int | None]:
    communicator = _socket(group_id, token)
    sockets.append(communicator)
    connected, detail = await communicator.connect()
    return communicator, connected, detail


async def _closed_with(communicator: WebsocketCommunicator) -> int:
    """Returns the close code of the next thing the server sends."""
    return await _closed_with_within(communicator, 1)


async def _closed_with_within(
    communicator: WebsocketCommunicator, timeout: float
) -> int:
    """Returns the close code of the next thing sent, waiting as long."""
    output = await communicator.receive_output(timeout=timeout)
    assert output["type"] == "websocket.close"
    return output["code"]


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# --- ?token= (checked before the handshake completes) ------------------------


@pytest.mark.anyio
async def test_a_member_with_a_query_token_receives_a_broadcast(
    upstream, user_id, group_id, sockets
):
    _member(upstream, user_id, group_id)
    token = factories.access_token(user_id=user_id)

    communicator, connected, _ = await _open(sockets, group_id, token)
    assert connected
    assert [sent.path for sent in upstream.sent] == [
        _membership_path(user_id, group_id)
    ]

    event = _event(group_id)
    started = time.monotonic()
    await _broadcast(group_id, event)
    assert await communicator.receive_json_from(timeout=1) == event
    assert time.monotonic() - started < 1
    assert await communicator.receive_nothing()


@pytest.mark.anyio
async def test_any_spelling_of_the_id_and_decimals_reach_the_socket(
    upstream, user_id, group_id, sockets
):
    _member(upstream, user_id, group_id)
    communicator, connected, _ = await _open(
        sockets, group_id, factories.access_token(user_id=user_id)
    )
    assert connected

    await _broadcast(
        group_id.upper(), _event(group_id, total=decimal.Decimal("125.50"))
    )

    received = await communicator.receive_from(timeout=1)
    assert json.loads(received)["total"] == "125.50"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda uid: "not-a-jwt", id="garbage"),
        pytest.param(lambda uid: "", id="empty"),
        pytest.param(
            lambda uid: factories.access_token(
                user_id=uid, exp=int(time.time()) - 10
            ),
            id="expired",
        ),
        pytest.param(
            lambda uid: factories.access_token(user_id=uid, key=_other_key()),
            id="foreign-key",
        ),
        pytest.param(
            lambda uid: factories.access_token(
                user_id=uid, token_type="refresh"
            ),
            id="refresh-token",
        ),
        pytest.param(
            lambda uid: factories.access_token(user_id="42"), id="non-uuid"
        ),
    ],
)
@pytest.mark.anyio
async def test_a_bad_query_token_is_refused_at_the_handshake(
    upstream, user_id, group_id, sockets, token
):
    _, connected, _ = await _open(sockets, group_id, token(user_id))

    assert not connected
    assert upstream.sent == []


@pytest.mark.parametrize(
    "refusal",
    [
        (404, "group_not_found"),
        (401, "user_inactive"),
        (409, "account_not_ready"),
    ],
    ids=["not-a-member", "deleted-user", "no-holder"],
)
@pytest.mark.anyio
async def test_a_refused_membership_is_refused_at_the_handshake(
    upstream, user_id, group_id, sockets, refusal
):
    _refuse(upstream, user_id, group_id, *refusal)

    communicator, connected, _ = await _open(
        sockets, group_id, factories.access_token(user_id=user_id)
    )

    assert not connected
    assert upstream.last.path == _membership_path(user_id, group_id)
    await _broadcast(group_id, _event(group_id))
    assert await communicator.receive_nothing()


@pytest.mark.anyio
async def test_accounting_down_accepts_then_closes_1011(
    closed_url, user_id, group_id, sockets
):
    with override_settings(ACCOUNTING_SERVICE_URL=closed_url):
        communicator, connected, _ = await _open(
            sockets, group_id, factories.access_token(user_id=user_id)
        )

        assert connected
        assert await _closed_with(communicator) == 1011


@pytest.mark.anyio
async def test_another_path_is_refused(sockets):
    for path in ("/ws/groups/not-a-uuid/", "/ws/elsewhere/"):
        communicator = WebsocketCommunicator(_application(), path)
        sockets.append(communicator)
        connected, _ = await communicator.connect()
        assert not connected


# --- First message {"type": "auth"} ------------------------------------------


@pytest.mark.anyio
async def test_a_member_authenticating_by_message_gets_auth_ok_then_events(
    upstream, user_id, group_id, sockets
):
    _member(upstream, user_id, group_id)
    communicator, connected, _ = await _open(sockets, group_id)
    assert connected
    assert upstream.sent == []

    await communicator.send_json_to(
        {"type": "auth", "token": factories.access_token(user_id=user_id)}
    )

    assert await communicator.receive_json_from() == {"type": "auth_ok"}
    event = _event(group_id)
    await _broadcast(group_id, event)
    assert await communicator.receive_json_from(timeout=1) == event


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(
            json.dumps({"type": "auth", "token": "not-a-jwt"}), id="bad-token"
        ),
        pytest.param(
            json.dumps({"type": "auth", "token": "\ud800"}),
            id="lone-surrogate",
        ),
        pytest.param(json.dumps({"type": "auth"}), id="no-token"),
        pytest.param(json.dumps({"type": "auth", "token": 7}), id="int-token"),
        pytest.param(json.dumps({"type": "hello"}), id="not-auth"),
        pytest.param(json.dumps(["auth"]), id="not-an-object"),
        pytest.param("{not json", id="not-json"),
        pytest.param(b"\x00binary", id="binary"),
    ],
)
@pytest.mark.anyio
async def test_a_bad_first_message_closes_4401(
    upstream, group_id, sockets, message
):
    communicator, connected, _ = await _open(sockets, group_id)
    assert connected

    if isinstance(message, bytes):
        await communicator.send_to(bytes_data=message)
    else:
        await communicator.send_to(text_data=message)

    assert await _closed_with(communicator) == 4401
    assert upstream.sent == []


@pytest.mark.parametrize(
    "refusal",
    [
        (404, "group_not_found", 4403),
        (409, "account_not_ready", 4403),
        (401, "user_inactive", 4401),
    ],
    ids=["not-a-member", "no-holder", "deleted-user"],
)
@pytest.mark.anyio
async def test_a_refused_membership_by_message_closes(
    upstream, user_id, group_id, sockets, refusal
):
    status, code, close_code = refusal
    _refuse(upstream, user_id, group_id, status, code)
    communicator, _, _ = await _open(sockets, group_id)

    await communicator.send_json_to(
        {"type": "auth", "token": factories.access_token(user_id=user_id)}
    )

    assert await _closed_with(communicator) == close_code
    assert upstream.last.path == _membership_path(user_id, group_id)
    await _broadcast(group_id, _event(group_id))
    assert await communicator.receive_nothing()


@pytest.mark.anyio
async def test_accounting_down_during_message_auth_closes_1011(
    closed_url, user_id, group_id, sockets
):
    with override_settings(ACCOUNTING_SERVICE_URL=closed_url):
        communicator, _, _ = await _open(sockets, group_id)
        await communicator.send_json_to(
            {"type": "auth", "token": factories.access_token(user_id=user_id)}
        )

        assert await _closed_with(communicator) == 1011


@pytest.mark.anyio
async def test_no_auth_message_in_time_closes_4401(
    upstream, user_id, group_id, sockets
):
    _member(upstream, user_id, group_id)
    with override_settings(WEBSOCKET_AUTH_TIMEOUT=0.05):
        communicator, connected, _ = await _open(sockets, group_id)
        assert connected

        assert await _closed_with(communicator) == 4401
        # Too late: the message is ignored, accounting is not asked.
        await communicator.send_json_to(
            {"type": "auth", "token": factories.access_token(user_id=user_id)}
        )
        assert await communicator.receive_nothing()
    assert upstream.sent == []


@pytest.mark.anyio
async def test_an_admitted_socket_is_not_closed_by_the_auth_deadline(
    upstream, user_id, group_id, sockets
):
    _member(upstream, user_id, group_id)
    with override_settings(WEBSOCKET_AUTH_TIMEOUT=0.05):
        communicator, _, _ = await _open(sockets, group_id)
        await communicator.send_json_to(
            {"type": "auth", "token": factories.access_token(user_id=user_id)}
        )
        assert await communicator.receive_json_from() == {"type": "auth_ok"}

        assert await communicator.receive_nothing(timeout=0.2)


@pytest.mark.anyio
async def test_messages_after_admission_are_ignored(
    upstream, user_id, group_id, sockets
):
    _member(upstream, user_id, group_id)
    token = factories.access_token(user_id=user_id)
    communicator, _, _ = await _open(sockets, group_id, token)

    await communicator.send_json_to({"type": "auth", "token": token})
    await communicator.send_to(text_data="anything")

    assert await communicator.receive_nothing()
    assert len(upstream.sent) == 1
    event = _event(group_id)
    await _broadcast(group_id, event)
    assert await communicator.receive_json_from(timeout=1) == event


# --- Groups: isolation and leaving -------------------------------------------


@pytest.mark.anyio
async def test_a_member_of_one_group_gets_nothing_of_another(
    upstream, user_id, sockets
):
    group_a, group_b = str(uuid.uuid4()), str(uuid.uuid4())
    _member(upstream, user_id, group_a)
    _member(upstream, user_id, group_b)
    token = factories.access_token(user_id=user_id)
    socket_a, _, _ = await _open(sockets, group_a, token)
    socket_b, _, _ = await _open(sockets, group_b, token)

    event_b = _event(group_b)
    await _broadcast(group_b, event_b)

    assert await socket_b.receive_json_from(timeout=1) == event_b
    assert await socket_a.receive_nothing()
    event_a = _event(group_a)
    await _broadcast(group_a, event_a)
    assert await socket_a.receive_json_from(timeout=1) == event_a
    assert await socket_b.receive_nothing()


@pytest.mark.anyio
async def test_a_closed_socket_leaves_the_group(upstream, user_id, group_id):
    _member(upstream, user_id, group_id)
    communicator = _socket(group_id, factories.access_token(user_id=user_id))
    assert (await communicator.connect())[0]
    layer = get_channel_layer()
    name = realtime.group_name(group_id)
    assert len(layer.groups[name]) == 1

    await communicator.disconnect()

    assert not layer.groups.get(name)
    await _broadcast(group_id, _event(group_id))


def _deadlines() -> list[asyncio.Task]:
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_coro().__qualname__.endswith("._auth_deadline")
    ]


@pytest.mark.anyio
async def test_a_socket_closed_before_auth_stops_its_deadline(group_id):
    communicator = _socket(group_id)
    assert (await communicator.connect())[0]
    assert len(_deadlines()) == 1

    await communicator.disconnect()
    await asyncio.sleep(0)

    assert _deadlines() == []
    assert not get_channel_layer().groups


# --- A member leaves: the others are told, the leaver's sockets close ------


async def _admitted(
    sockets: list, group_id: str, token: str, *, by_message: bool
) -> WebsocketCommunicator:
    if not by_message:
        communicator, connected, _ = await _open(sockets, group_id, token)
        assert connected
        return communicator
    communicator, _, _ = await _open(sockets, group_id)
    await communicator.send_json_to({"type": "auth", "token": token})
    assert await communicator.receive_json_from() == {"type": "auth_ok"}
    return communicator


@pytest.mark.anyio
async def test_the_others_are_told_and_the_leavers_sockets_close_4403(
    upstream, user_id, group_id, sockets
):
    other = str(uuid.uuid4())
    for member in (user_id, other):
        _member(upstream, member, group_id)
    mine = [
        await _admitted(
            sockets,
            group_id,
            factories.access_token(user_id=user_id),
            by_message=by_message,
        )
        for by_message in (False, True)
    ]
    theirs = await _admitted(
        sockets,
        group_id,
        factories.access_token(user_id=other),
        by_message=False,
    )
    elsewhere = str(uuid.uuid4())
    _member(upstream, user_id, elsewhere)
    mine_elsewhere = await _admitted(
        sockets,
        elsewhere,
        factories.access_token(user_id=user_id),
        by_message=False,
    )

    event = await _broadcast_left(group_id, user_id)

    assert await theirs.receive_json_from(timeout=1) == event
    for communicator in mine:
        assert await _closed_with(communicator) == 4403
    # Out of the group: later events reach the others only.
    layer = get_channel_layer()
    assert len(layer.groups[realtime.group_name(group_id)]) == 1
    contribution = _event(group_id)
    await _broadcast(group_id, contribution)
    assert await theirs.receive_json_from(timeout=1) == contribution
    for communicator in mine:
        assert await communicator.receive_nothing()
    # Another group of the leaver's is not touched.
    assert await mine_elsewhere.receive_nothing()
    assert len(layer.groups[realtime.group_name(elsewhere)]) == 1


@pytest.mark.anyio
async def test_leaving_twice_in_a_row_closes_a_socket_once(
    upstream, user_id, group_id, sockets
):
    """Left, added back, left again before the socket saw the first."""
    _member(upstream, user_id, group_id)
    communicator = await _admitted(
        sockets,
        group_id,
        factories.access_token(user_id=user_id),
        by_message=False,
    )
    layer = get_channel_layer()
    name = realtime.group_name(group_id)
    for _ in range(2):
        await layer.group_send(
            name,
            {
                "type": realtime.MEMBER_LEFT_MESSAGE,
                "user_id": user_id,
                "text": json.dumps(_left(group_id, user_id)),
            },
        )

    assert await _closed_with(communicator) == 4403
    assert await communicator.receive_nothing()


def _asked_then(
    do: Callable[[], None], status: int, body: dict
) -> Callable[[httpx.Request], httpx.Response]:
    """Accounting's membership answer, with ``do`` happening meanwhile."""

    def respond(request: httpx.Request) -> httpx.Response:
        del request
        do()
        return httpx.Response(status, json=body)

    return respond


@pytest.mark.anyio
@pytest.mark.parametrize("by_message", [False, True])
async def test_leaving_while_accounting_is_asked_still_closes_the_socket(
    upstream, user_id, group_id, sockets, by_message
):
    """Accounting says "member"; the member leaves before the socket is in.

    The socket listens from before accounting is asked, so the event of
    the leave is not missed: the socket is admitted, then closed.
    """
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        _membership_path(user_id, group_id),
        responder=_asked_then(
            lambda: realtime.member_left_broadcast(
                group_id, _left(group_id, user_id)
            ),
            200,
            {"id": group_id, "name": "Trip", "members": []},
        ),
    )

    communicator = await _admitted(
        sockets,
        group_id,
        factories.access_token(user_id=user_id),
        by_message=by_message,
    )

    assert await _closed_with(communicator) == 4403
    assert not get_channel_layer().groups.get(realtime.group_name(group_id))


@pytest.mark.anyio
async def test_a_refused_socket_gets_nothing_sent_while_it_was_asked_about(
    upstream, user_id, group_id, sockets
):
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        _membership_path(user_id, group_id),
        responder=_asked_then(
            lambda: realtime.contribution_broadcast(group_id, _event(group_id)),
            404,
            factories.problem(404, "group_not_found"),
        ),
    )

    communicator, connected, _ = await _open(
        sockets, group_id, factories.access_token(user_id=user_id)
    )

    assert not connected
    assert await communicator.receive_nothing()
    assert not get_channel_layer().groups.get(realtime.group_name(group_id))


# --- Broadcast failures: logged, never raised --------------------------------


class _BrokenLayer:
    async def group_send(self, group: str, message: dict) -> None:
        raise ConnectionError("channel layer is down")


class _StuckLayer:
    async def group_send(self, group: str, message: dict) -> None:
        await asyncio.sleep(60)


@pytest.mark.parametrize(
    "layer", [_BrokenLayer(), _StuckLayer()], ids=["broken", "stuck"]
)
@pytest.mark.parametrize(
    "broadcast",
    [
        lambda group_id: realtime.contribution_broadcast(
            group_id, _event(group_id)
        ),
        lambda group_id: realtime.member_left_broadcast(
            group_id, _left(group_id, str(uuid.uuid4()))
        ),
    ],
    ids=["contribution", "member_left"],
)
def test_a_failed_broadcast_is_logged_not_raised(
    monkeypatch, caplog, group_id, layer, broadcast
):
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    caplog.set_level(logging.ERROR, logger="integration.realtime")

    started = time.monotonic()
    with override_settings(CHANNEL_LAYER_TIMEOUT=0.1):
        broadcast(group_id)

    assert time.monotonic() - started < 5
    assert [record.getMessage() for record in caplog.records] == [
        f"Event to savings group {group_id} was not sent"
    ]
    assert caplog.records[0].exc_info is not None


def test_a_broadcast_to_a_malformed_group_id_is_logged(caplog):
    caplog.set_level(logging.ERROR, logger="integration.realtime")

    realtime.contribution_broadcast("not-a-uuid", {"type": "contribution"})

    assert caplog.records[0].exc_info[0] is ValueError


def test_a_broadcast_nobody_listens_to_is_quiet(caplog, group_id):
    caplog.set_level(logging.DEBUG, logger="integration.realtime")

    realtime.contribution_broadcast(group_id, _event(group_id))

    assert caplog.records == []


# --- HTTP through the same ASGI app ------------------------------------------


@pytest.mark.anyio
async def test_http_is_served_by_django_under_asgi():
    communicator = HttpCommunicator(
        _application(), "GET", "/healthz", headers=[(b"host", b"testserver")]
    )

    response = await communicator.get_response(timeout=5)

    assert response["status"] == 200


# --- Redis: an event from another process reaches the socket -----------------

_BROADCAST_SCRIPT = """
import json, sys
import django
django.setup()
from integration import realtime
broadcast = getattr(realtime, sys.argv[1])
broadcast(sys.argv[2], json.loads(sys.argv[3]))
"""


async def _broadcast_from_another_process(
    function: str, group_id: str, event: dict
) -> None:
    """Broadcasts as another gateway process: its own layer, on Redis."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _BROADCAST_SCRIPT,
        function,
        group_id,
        json.dumps(event),
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.integration.settings",
            "CHANNEL_LAYER_URL": REDIS_CHANNELS_URL,
        },
        stderr=subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert b"was not sent" not in stderr, stderr.decode()


@pytest.fixture
async def redis_layer() -> AsyncIterator[Any]:
    """The real stack's Redis channel layer, emptied after the test.

    Request it before ``sockets``: the sockets close before its pools.
    """
    with override_settings(CHANNEL_LAYERS=channel_layers(REDIS_CHANNELS_URL)):
        layer = get_channel_layer()
        assert type(layer).__name__ == "RedisChannelLayer"
        yield layer
        await layer.flush()
        await layer.close_pools()


@pytest.mark.anyio
async def test_an_event_from_another_process_arrives_through_redis(
    redis_layer, upstream, user_id, group_id, sockets
):
    _member(upstream, user_id, group_id)
    communicator, connected, _ = await _open(
        sockets, group_id, factories.access_token(user_id=user_id)
    )
    assert connected
    event = _event(group_id)

    await _broadcast_from_another_process(
        "contribution_broadcast", group_id, event
    )

    assert await communicator.receive_json_from(timeout=5) == event


@pytest.mark.anyio
async def test_a_leave_from_another_process_arrives_through_redis(
    redis_layer, upstream, user_id, group_id, sockets
):
    other = str(uuid.uuid4())
    for member in (user_id, other):
        _member(upstream, member, group_id)
    mine = await _admitted(
        sockets,
        group_id,
        factories.access_token(user_id=user_id),
        by_message=True,
    )
    theirs = await _admitted(
        sockets,
        group_id,
        factories.access_token(user_id=other),
        by_message=False,
    )
    event = _left(group_id, user_id)

    await _broadcast_from_another_process(
        "member_left_broadcast", group_id, event
    )

    assert await theirs.receive_json_from(timeout=5) == event
    assert await _closed_with_within(mine, 5) == 4403
    contribution = _event(group_id)
    await _broadcast(group_id, contribution)
    assert await theirs.receive_json_from(timeout=5) == contribution
    assert await mine.receive_nothing()


@pytest.mark.anyio
async def test_an_idle_socket_outlives_the_redis_blocking_pop(
    redis_layer, upstream, user_id, group_id, sockets
):
    """Silence longer than the layer's blocking pop must not drop a socket.

    redis-py's own 5 s read timeout once cut channels_redis' 5 s BZPOPMIN:
    every socket idle for 5 s was dropped (1006) with a TimeoutError.
    """
    _member(upstream, user_id, group_id)
    communicator, connected, _ = await _open(
        sockets, group_id, factories.access_token(user_id=user_id)
    )
    assert connected

    # Two full blocking pops with nothing to read.
    assert await communicator.receive_nothing(
        timeout=2 * redis_layer.brpop_timeout + 1
    )
    event = _event(group_id)
    await _broadcast(group_id, event)

    assert await communicator.receive_json_from(timeout=5) == event


# --- the token's lifetime ---------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("by_message", [False, True])
async def test_a_socket_is_closed_when_its_token_expires(
    upstream, user_id, group_id, sockets, by_message
):
    _member(upstream, user_id, group_id)
    token = factories.access_token(user_id=user_id, exp=int(time.time()) + 1)
    if by_message:
        communicator, _, _ = await _open(sockets, group_id)
        await communicator.send_json_to({"type": "auth", "token": token})
        assert await communicator.receive_json_from() == {"type": "auth_ok"}
    else:
        communicator, connected, _ = await _open(sockets, group_id, token)
        assert connected

    output = await communicator.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4401}
    # Out of the group: a later event reaches nobody.
    await _broadcast(group_id, _event(group_id))
    assert await communicator.receive_nothing()


@pytest.mark.anyio
async def test_on_the_redis_layer_too_an_expired_token_closes_4401(
    redis_layer, upstream, user_id, group_id, sockets
):
    _member(upstream, user_id, group_id)
    token = factories.access_token(user_id=user_id, exp=int(time.time()) + 1)
    communicator, connected, _ = await _open(sockets, group_id, token)
    assert connected

    output = await communicator.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4401}
    await _broadcast(group_id, _event(group_id))
    assert await communicator.receive_nothing()


# --- limits: sockets per user, sockets awaiting auth per address -------------


@pytest.mark.anyio
@pytest.mark.parametrize("by_message", [False, True])
@override_settings(WEBSOCKET_MAX_PER_USER=2)
async def test_a_user_past_the_socket_limit_is_closed_4429(
    upstream, user_id, group_id, sockets, by_message
):
    _member(upstream, user_id, group_id)
    token = factories.access_token(user_id=user_id)

    async def open_one() -> tuple[WebsocketCommunicator, int | None]:
        if not by_message:
            communicator, connected, _ = await _open(sockets, group_id, token)
            assert connected, "over the limit is said with a close code"
            if await communicator.receive_nothing(timeout=0.2):
                return communicator, None  # Admitted: nothing to say.
        else:
            communicator, _, _ = await _open(sockets, group_id)
            await communicator.send_json_to({"type": "auth", "token": token})
        output = await communicator.receive_output(timeout=1)
        if output["type"] == "websocket.close":
            return communicator, output["code"]
        assert json.loads(output["text"]) == {"type": "auth_ok"}
        return communicator, None

    async def admitted_one() -> WebsocketCommunicator:
        communicator, connected, _ = await _open(sockets, group_id, token)
        assert connected
        return communicator

    first = await admitted_one()
    await admitted_one()
    _, code = await open_one()
    assert code == 4429

    await first.disconnect()
    sockets.remove(first)
    again, code = await open_one()
    assert code is None, "a closed socket gave its slot back"
    event = _event(group_id)
    await _broadcast(group_id, event)
    assert await again.receive_json_from() == event


@pytest.mark.anyio
async def test_sockets_awaiting_auth_are_bounded_per_address(
    upstream, user_id, group_id, sockets, settings
):
    settings.WEBSOCKET_MAX_PENDING_PER_ADDRESS = 2
    _member(upstream, user_id, group_id)
    waiting, _, _ = await _open(sockets, group_id)
    await _open(sockets, group_id)

    refused, connected, _ = await _open(sockets, group_id)
    assert connected
    assert await _closed_with(refused) == 4429

    # Authenticating frees the address's slot for another socket.
    await waiting.send_json_to(
        {"type": "auth", "token": factories.access_token(user_id=user_id)}
    )
    assert await waiting.receive_json_from() == {"type": "auth_ok"}
    another, _, _ = await _open(sockets, group_id)
    assert await another.receive_nothing(timeout=0.2)
