"""Where a request's id is taken or made, and where it is answered.

Two layers, one rule (``config.request_ids``): a well-formed
``X-Request-ID`` is taken when the caller is trusted to set it, anything
else gets a fresh id; the id is current while the request is served and
comes back in the answer's ``X-Request-ID``.

- :class:`RequestIdMiddleware`, first in every service's ``MIDDLEWARE``:
  users and accounting trust the header (the gateway sends it on every
  internal call; ``REQUEST_ID_TRUSTED`` is on for them); the gateway only
  when ``REQUEST_ID_TRUSTED`` says a proxy in front sets it.
- :class:`AsgiRequestIdMiddleware`, around the gateway's whole ASGI app:
  it gives an id to what Django never sees (a body refused while it
  arrives, ``config.request_bodies``) and to each WebSocket connection,
  for the connection's life. The thread that then runs Django's handler
  inherits the context (a2wsgi copies it), so the Django middleware keeps
  that id instead of making another.
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response

from config import request_ids

_HEADER_KEY = request_ids.HEADER.lower().encode("latin-1")

Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]


def incoming(value: object, *, trusted: bool) -> str:
    """Returns the id of a request that arrived with ``value`` as header.

    Args:
        value: The ``X-Request-ID`` it sent, or None.
        trusted: Whether whoever sent it may name the id.

    Returns:
        ``value`` when trusted and well formed, else a fresh id.
    """
    return request_ids.accepted(value if trusted else None)


class RequestIdMiddleware:
    """Makes the request's id current in Django and answers it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Serves the request with its id current; answers the id."""
        request_id = request_ids.current() or incoming(
            request.META.get(request_ids.META_KEY),
            trusted=settings.REQUEST_ID_TRUSTED,
        )
        with request_ids.bound(request_id):
            response = self.get_response(request)
            if response.status_code >= HTTPStatus.BAD_REQUEST:
                # Django logs a 4xx or 5xx answer once the middleware has
                # returned, when the id is no longer current: logged here,
                # the line carries it and Django's own is skipped.
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
        response[request_ids.HEADER] = request_id
        return response


def _scope_header(scope: Message) -> str | None:
    """Returns the one X-Request-ID of an ASGI scope; None if not one."""
    values = [value for name, value in scope["headers"] if name == _HEADER_KEY]
    return values[0].decode("latin-1") if len(values) == 1 else None


class AsgiRequestIdMiddleware:
    """Gives every HTTP request and WebSocket connection its id (ASGI).

    Args:
        app: The ASGI app to wrap.
        trusted: Whether a client's ``X-Request-ID`` may name the id.
    """

    def __init__(self, app: Callable[..., Any], *, trusted: bool) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Message, receive: Receive, send: Send):
        """Runs the app with the id current; adds it to the answer."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = incoming(_scope_header(scope), trusted=self.trusted)
        header = (_HEADER_KEY, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                headers = [
                    item
                    for item in message.get("headers", ())
                    if item[0].lower() != _HEADER_KEY
                ]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        with request_ids.bound(request_id):
            await self.app(scope, receive, send_with_id)
