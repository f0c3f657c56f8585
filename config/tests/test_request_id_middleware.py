"""Where the id is taken or made: Django's middleware and the ASGI layer."""

import asyncio

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from config import request_ids
from config.request_id_middleware import (
    AsgiRequestIdMiddleware,
    RequestIdMiddleware,
)


def _seen_by_view() -> tuple[list[str | None], RequestIdMiddleware]:
    seen: list[str | None] = []

    def view(request):
        del request
        seen.append(request_ids.current())
        return HttpResponse("ok")

    return seen, RequestIdMiddleware(view)


@override_settings(REQUEST_ID_TRUSTED=True)
def test_a_service_takes_the_gateways_id():
    seen, middleware = _seen_by_view()
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="from-gateway")

    response = middleware(request)

    assert seen == ["from-gateway"]
    assert response["X-Request-ID"] == "from-gateway"
    assert request_ids.current() is None


@override_settings(REQUEST_ID_TRUSTED=True)
def test_a_service_makes_one_when_none_came():
    seen, middleware = _seen_by_view()

    response = middleware(RequestFactory().get("/"))

    assert request_ids.well_formed(seen[0])
    assert response["X-Request-ID"] == seen[0]


@override_settings(REQUEST_ID_TRUSTED=False)
def test_an_untrusted_header_is_ignored():
    seen, middleware = _seen_by_view()

    response = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="mine"))

    assert seen[0] != "mine"
    assert response["X-Request-ID"] == seen[0]


@override_settings(REQUEST_ID_TRUSTED=False)
def test_an_id_the_asgi_layer_gave_is_kept():
    seen, middleware = _seen_by_view()

    with request_ids.bound("from-asgi"):
        response = middleware(RequestFactory().get("/"))

    assert seen == ["from-asgi"]
    assert response["X-Request-ID"] == "from-asgi"


def _run(app, scope, messages_in=()):
    """Runs an ASGI app once; returns what it sent."""
    sent = []
    queue = list(messages_in)

    async def receive():
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def _http_scope(*headers: tuple[bytes, bytes]) -> dict:
    return {"type": "http", "path": "/", "headers": list(headers)}


def _answering_app(seen: list, *extra_headers: tuple[bytes, bytes]):
    async def app(scope, receive, send):
        del receive
        seen.append(request_ids.current())
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain"), *extra_headers],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def _answered_ids(message: dict) -> list[bytes]:
    return [
        value for name, value in message["headers"] if name == b"x-request-id"
    ]


def test_asgi_makes_an_id_current_and_answers_it():
    seen: list = []
    app = AsgiRequestIdMiddleware(_answering_app(seen), trusted=False)

    start, body = _run(app, _http_scope((b"x-request-id", b"client")))

    assert seen[0] != "client"
    assert _answered_ids(start) == [seen[0].encode()]
    assert (b"content-type", b"text/plain") in start["headers"]
    assert body == {"type": "http.response.body", "body": b"ok"}
    assert request_ids.current() is None


def test_asgi_takes_a_trusted_id_and_answers_it_once():
    seen: list = []
    app = AsgiRequestIdMiddleware(
        _answering_app(seen, (b"X-Request-ID", b"set-by-django")),
        trusted=True,
    )

    [start, _] = _run(app, _http_scope((b"x-request-id", b"edge-7")))

    assert seen == ["edge-7"]
    assert _answered_ids(start) == [b"edge-7"]
    assert b"set-by-django" not in str(start["headers"]).encode()


@pytest.mark.parametrize(
    "headers",
    [
        [(b"x-request-id", b"one"), (b"x-request-id", b"two")],
        [(b"x-request-id", b"bad\r\nvalue")],
        [(b"x-request-id", "caf\u00e9".encode())],
        [(b"x-request-id", b"x" * 4096)],
    ],
    ids=["twice", "crlf", "non-ascii", "huge"],
)
def test_asgi_replaces_an_unusable_trusted_header(headers):
    seen: list = []
    app = AsgiRequestIdMiddleware(_answering_app(seen), trusted=True)

    [start, _] = _run(app, _http_scope(*headers))

    assert request_ids.well_formed(seen[0])
    assert _answered_ids(start) == [seen[0].encode()]


def test_each_websocket_connection_has_its_id_for_its_life():
    seen: list = []
    app = AsgiRequestIdMiddleware(_answering_app(seen), trusted=False)
    scope = {"type": "websocket", "path": "/ws/", "headers": []}

    [accept] = _run(app, scope)
    [again] = _run(app, scope)

    assert _answered_ids(accept) == [seen[0].encode()]
    assert _answered_ids(again) == [seen[1].encode()]
    assert seen[0] != seen[1]


def test_other_scopes_pass_through_untouched():
    calls = []

    async def app(scope, receive, send):
        del receive, send
        calls.append((scope["type"], request_ids.current()))

    _run(AsgiRequestIdMiddleware(app, trusted=True), {"type": "lifespan"})

    assert calls == [("lifespan", None)]
