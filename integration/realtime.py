"""Live events of savings groups: WebSocket ``/ws/groups/{id}/``.

A member of a group who keeps this socket open sees every contribution to
the group as it happens, without polling ``GET /groups/{id}``. Events go
through the Django Channels layer group ``savings_group.<group_id>``: Redis
(``CHANNEL_LAYER_URL``) when several gateway processes must reach each
other's sockets, in memory for the one process of the embedded default.

Who may listen is decided as for HTTP, with the access token, in one of
two ways:

- ``?token=<access token>``: checked before the handshake completes; a
  refusal closes the socket before accepting it, which the client sees as
  HTTP 403.
- No ``token`` parameter: the socket is accepted and the first message
  must be ``{"type": "auth", "token": "<access token>"}`` within
  ``WEBSOCKET_AUTH_TIMEOUT`` seconds (10). A bad, expired or missing token,
  or a deleted user, closes with 4401; a user who is not a member, with
  4403. Once admitted the client receives ``{"type": "auth_ok"}``, and
  every event after it.

Either way the socket is closed with 4401 when the access token expires:
a revoked session or a deleted user stops receiving events within the
token's lifetime, as on HTTP. The client reconnects with a fresh token.
A member who leaves the group (``DELETE /groups/{id}/members/me``) has
their sockets on it closed with 4403, as a non-member's.

The token travels in the URL or in a message because browsers' WebSocket
API cannot set an ``Authorization`` header. The server logs the URL form,
with its token masked (``config.log_filters``); the message form is never
logged at all. Membership is accounting's to
say (``GET /internal/v1/holders/{user_id}/groups/{id}``): 200 admits, any
refusal refuses; when accounting cannot answer, the socket is accepted and
closed with 1011 (retry later). The socket joins the layer group before
accounting is asked, so it misses no event after the answer: in
particular, a member who leaves right after accounting said yes still has
this socket closed.

Events are JSON text frames; the client has nothing more to say once
admitted, and what it sends is ignored. A contribution, and a member
leaving (sent to the others; the leaver's sockets are closed instead)::

    {"type": "contribution", "group_id", "user_id", "amount", "currency",
     "message", "timestamp", "total"}
    {"type": "member_left", "group_id", "user_id", "timestamp"}
"""

import asyncio
import dataclasses
import enum
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync, sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import path, re_path
from rest_framework import exceptions

from config.contracts import INTERNAL_API_PREFIX
from integration import clients, errors, limits
from integration.authentication import verify_access_token
from integration.clients import Service

logger = logging.getLogger(__name__)

GROUP_PREFIX = "savings_group."
# The layer message that carries one event, already encoded as JSON text:
# it is encoded once per broadcast, not once per socket, and any JSON
# survives the Redis layer's msgpack.
EVENT_MESSAGE = "group.event"
# The layer message of a member leaving: the event for the others, a close
# for the sockets of ``user_id``.
MEMBER_LEFT_MESSAGE = "group.member_left"
AUTH_MESSAGE = "auth"
AUTH_OK = json.dumps({"type": "auth_ok"})


class CloseCode(enum.IntEnum):
    """Close codes of the socket after it was accepted."""

    # Accounting could not say whether the user is a member: retry later.
    INTERNAL_ERROR = 1011
    # No valid access token, or the user is deleted.
    UNAUTHORIZED = 4401
    # Authenticated, but not a member of the group (or no longer).
    FORBIDDEN = 4403
    # Over the sockets one user (or one address awaiting auth) may open.
    TOO_MANY_SOCKETS = 4429


def group_name(group_id: str) -> str:
    """Returns the channel layer group of a savings group.

    Args:
        group_id: The group's UUID, in any form ``uuid.UUID`` reads.

    Returns:
        ``savings_group.<canonical uuid>``, the same for every spelling of
        the id.

    Raises:
        ValueError: The id is not a UUID.
    """
    return f"{GROUP_PREFIX}{uuid.UUID(str(group_id))}"


def contribution_broadcast(group_id: str, event: dict[str, Any]) -> None:
    """Sends an event to every socket listening to a group.

    Called from the (sync) contribution view after the money has moved.

    Args:
        group_id: The group's UUID.
        event: The event, JSON-serialisable (decimals allowed).
    """
    _broadcast(group_id, {"type": EVENT_MESSAGE}, event)


def member_left_broadcast(group_id: str, event: dict[str, Any]) -> None:
    """Tells a group that a member left, and closes the leaver's sockets.

    Called from the (sync) leave view once accounting has said the member
    left. Every socket on the group gets the event, but the leaver's
    (``event["user_id"]``), which are closed with 4403: they are no member
    any more.

    Args:
        group_id: The group's UUID.
        event: The ``member_left`` event, JSON-serialisable.
    """
    _broadcast(
        group_id,
        {"type": MEMBER_LEFT_MESSAGE, "user_id": event["user_id"]},
        event,
    )


def _broadcast(
    group_id: str, message: dict[str, str], event: dict[str, Any]
) -> None:
    """Sends a layer message carrying an event to a group's sockets.

    A failure of the channel layer is logged and swallowed: what the event
    tells is committed and ``GET /groups/{id}`` shows it, so the HTTP
    answer must not fail or wait for the live feed (the wait is bounded by
    ``CHANNEL_LAYER_TIMEOUT``).

    Args:
        group_id: The group's UUID.
        message: The layer message, without the event's ``text``.
        event: The event, JSON-serialisable (decimals allowed).
    """
    try:
        async_to_sync(_group_send)(
            group_name(group_id),
            {**message, "text": json.dumps(event, cls=DjangoJSONEncoder)},
        )
    except Exception:
        logger.exception("Event to savings group %s was not sent", group_id)


async def _group_send(name: str, message: dict[str, str]) -> None:
    """Sends one message to a layer group, within the timeout."""
    await asyncio.wait_for(
        get_channel_layer().group_send(name, message),
        timeout=settings.CHANNEL_LAYER_TIMEOUT,
    )


def _membership_refusal(user_id: str, group_id: str) -> CloseCode | None:
    """Asks accounting whether a user is a member of a group.

    Args:
        user_id: The user's id, from the verified token.
        group_id: The group's UUID.

    Returns:
        None for a member; otherwise the close code refusing: 4401 for a
        deleted user (401), 4403 for any other refusal (404 not a member,
        409 no holder yet), 1011 when accounting could not be asked.
    """
    try:
        clients.call(
            Service.ACCOUNTING,
            "GET",
            f"/{INTERNAL_API_PREFIX}holders/{user_id}/groups/{group_id}",
        )
    except clients.UpstreamProblemError as error:
        if error.status == HTTPStatus.UNAUTHORIZED:
            return CloseCode.UNAUTHORIZED
        return CloseCode.FORBIDDEN
    except errors.GatewayError:
        return CloseCode.INTERNAL_ERROR
    return None


@dataclasses.dataclass(frozen=True)
class Admission:
    """Whether a socket may listen, and for whom until when.

    Attributes:
        refusal: None to admit; otherwise the close code refusing.
        user_id: The admitted user's id ("" when refused).
        expires_at: The token's ``exp`` (seconds since the epoch).
    """

    refusal: CloseCode | None
    user_id: str = ""
    expires_at: float = 0.0


async def admission(
    token: object, group_id: str, listen: Callable[[], Awaitable[None]]
) -> Admission:
    """Decides whether the bearer of a token may listen to a group.

    Args:
        token: The access token as the client sent it (any JSON value).
        group_id: The group's UUID.
        listen: Joins the socket to the group; awaited once the token is
            good, before accounting is asked, so that a member who leaves
            after the answer is told to this socket (it is closed).

    Returns:
        The decision: admitted until the token expires, or refused.
    """
    if not isinstance(token, str) or not token:
        return Admission(CloseCode.UNAUTHORIZED)
    try:
        user = verify_access_token(token)
    except exceptions.AuthenticationFailed:
        return Admission(CloseCode.UNAUTHORIZED)
    await listen()
    # Off the event loop, and not on the one thread shared by
    # thread-sensitive code: checks of many sockets run side by side.
    refusal = await sync_to_async(_membership_refusal, thread_sensitive=False)(
        str(user.id), group_id
    )
    if refusal is not None:
        return Admission(refusal)
    return Admission(None, str(user.id), float(user.token["exp"]))


def _socket_ttl() -> int:
    """Seconds a socket can live at most: its token's, plus the auth wait."""
    return settings.JWT_ACCESS_TOKEN_LIFETIME + math.ceil(
        settings.WEBSOCKET_AUTH_TIMEOUT
    )


async def _acquire(key: str, limit: int, ttl: int) -> bool:
    """Takes a socket slot, off the event loop (the cache is sync)."""
    return await sync_to_async(limits.acquire_slot, thread_sensitive=False)(
        key, limit=limit, ttl=ttl
    )


# Refusals told by a close code after accepting, not by a 403 handshake:
# the client must know to retry later, not that it is refused.
_SAID_AFTER_ACCEPT = frozenset(
    {CloseCode.INTERNAL_ERROR, CloseCode.TOO_MANY_SOCKETS}
)


class _State(enum.Enum):
    AWAITING_AUTH = "awaiting_auth"
    ADMITTED = "admitted"
    CLOSED = "closed"


class GroupEventsConsumer(AsyncWebsocketConsumer):
    """One socket listening to one savings group's events."""

    async def connect(self) -> None:
        """Admits a ``?token=`` socket, or waits for its auth message."""
        self.group_id = str(self.scope["url_route"]["kwargs"]["group_id"])
        self.group = group_name(self.group_id)
        self.state = _State.CLOSED
        self.user_id = ""
        self.listening = False
        self.auth_timer: asyncio.Task | None = None
        self.expiry_timer: asyncio.Task | None = None
        self.slots: list[str] = []
        query = parse_qs(
            self.scope["query_string"].decode("latin-1"),
            keep_blank_values=True,
        )
        if "token" not in query:
            waiting = await self._take_slot(
                f"pending:{self._address()}",
                settings.WEBSOCKET_MAX_PENDING_PER_ADDRESS,
                math.ceil(settings.WEBSOCKET_AUTH_TIMEOUT) + 1,
            )
            await self.accept()
            if not waiting:
                await self.close(code=int(CloseCode.TOO_MANY_SOCKETS))
                return
            self.state = _State.AWAITING_AUTH
            self.auth_timer = asyncio.create_task(self._auth_deadline())
            return
        refusal = await self._admit(query["token"][-1])
        if refusal is None:
            await self.accept()
        elif refusal in _SAID_AFTER_ACCEPT:
            await self.accept()
            await self.close(code=int(refusal))
        else:
            await self.close()  # Before accept: HTTP 403.

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        """Takes the auth message; ignores anything after admission.

        Args:
            text_data: A text frame.
            bytes_data: A binary frame (never valid auth).
        """
        del bytes_data
        if self.state is not _State.AWAITING_AUTH:
            return
        self._cancel_auth_timer()
        self.state = _State.CLOSED
        await self._give_back_slots()
        refusal = await self._admit(_auth_token(text_data))
        if refusal is not None:
            await self.close(code=int(refusal))
            return
        await self.send(text_data=AUTH_OK)

    async def disconnect(self, code: int) -> None:
        """Leaves the group when the socket is gone.

        Args:
            code: The close code.
        """
        del code
        self._cancel_auth_timer()
        await self._leave()
        await self._give_back_slots()

    async def group_event(self, message: dict[str, Any]) -> None:
        """Forwards one event of the group to an admitted client.

        A socket listens from before its admission, and a refused one may
        have messages queued: only an admitted socket is sent them.

        Args:
            message: ``{"type": "group.event", "text": <event as JSON>}``.
        """
        if self.state is _State.ADMITTED:
            await self.send(text_data=message["text"])

    async def group_member_left(self, message: dict[str, Any]) -> None:
        """Tells the client a member left; closes the leaver's (4403).

        Args:
            message: ``{"type": "group.member_left", "user_id": <leaver>,
                "text": <event as JSON>}``.
        """
        if message["user_id"] != self.user_id:
            await self.group_event(message)
        elif self.state is _State.ADMITTED:
            await self._leave()
            await self.close(code=int(CloseCode.FORBIDDEN))

    def _address(self) -> str:
        """Returns the identity of the client's address."""
        forwarded = dict(self.scope.get("headers", [])).get(b"x-forwarded-for")
        return limits.address_identity(
            (self.scope.get("client") or ("",))[0],
            None if forwarded is None else forwarded.decode("latin-1"),
        )

    async def _take_slot(self, key: str, limit: int, ttl: int) -> bool:
        """Takes one of ``limit`` socket slots of a client, if one is free."""
        full_key = f"limits:sockets:{key}"
        if not await _acquire(full_key, limit, ttl):
            return False
        self.slots.append(full_key)
        return True

    async def _take_user_slot(self, user_id: str) -> bool:
        return await self._take_slot(
            f"user:{user_id}",
            settings.WEBSOCKET_MAX_PER_USER,
            _socket_ttl(),
        )

    async def _give_back_slots(self) -> None:
        while self.slots:
            await sync_to_async(limits.release_slot, thread_sensitive=False)(
                self.slots.pop()
            )

    async def _admit(self, token: object) -> CloseCode | None:
        """Admits the bearer of a token, or says the close code refusing.

        Args:
            token: The access token as the client sent it.

        Returns:
            None once admitted (listening, until the token expires); the
            refusal otherwise (not listening).
        """
        decision = await admission(token, self.group_id, self._listen)
        if decision.refusal is None and not await self._take_user_slot(
            decision.user_id
        ):
            decision = Admission(CloseCode.TOO_MANY_SOCKETS)
        if decision.refusal is not None:
            await self._leave()
            return decision.refusal
        self.user_id = decision.user_id
        self.state = _State.ADMITTED
        self.expiry_timer = asyncio.create_task(
            self._token_expiry(decision.expires_at)
        )
        return None

    async def _listen(self) -> None:
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.listening = True

    async def _leave(self) -> None:
        if self.expiry_timer is not None:
            self.expiry_timer.cancel()
            self.expiry_timer = None
        self.state = _State.CLOSED
        if self.listening:
            self.listening = False
            await self.channel_layer.group_discard(
                self.group, self.channel_name
            )

    async def _token_expiry(self, expires_at: float) -> None:
        """Closes the socket (4401) when its access token expires.

        An admitted socket would otherwise keep receiving events after its
        user was deleted or its session revoked; access tokens are short,
        so a client reconnects with a fresh one.
        """
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        self.expiry_timer = None
        await self._leave()
        await self.close(code=int(CloseCode.UNAUTHORIZED))

    async def _auth_deadline(self) -> None:
        await asyncio.sleep(settings.WEBSOCKET_AUTH_TIMEOUT)
        self.auth_timer = None
        self.state = _State.CLOSED
        await self.close(code=int(CloseCode.UNAUTHORIZED))

    def _cancel_auth_timer(self) -> None:
        if self.auth_timer is not None:
            self.auth_timer.cancel()
            self.auth_timer = None


def _auth_token(text_data: str | None) -> object:
    """Returns the token of an auth message, or None if it is not one."""
    try:
        content = json.loads(text_data or "")
    except ValueError:
        return None
    if isinstance(content, dict) and content.get("type") == AUTH_MESSAGE:
        return content.get("token")
    return None


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Refuses a socket to any other path (HTTP 403), quietly.

    Without it the router raises on an unknown path, and the server logs
    a traceback for every probe.
    """

    async def connect(self) -> None:
        """Closes the socket before accepting it."""
        await self.close()


websocket_urlpatterns = [
    path("ws/groups/<uuid:group_id>/", GroupEventsConsumer.as_asgi()),
    re_path(r"", NotFoundConsumer.as_asgi()),
]
