"""Whole request bodies before the gateway's app (and a thread) sees them."""

import asyncio
import json

import pytest

from config import request_bodies
from config.request_bodies import WholeBodyMiddleware

LIMIT = 10


class _App:
    """An ASGI app that records what it received and answers 204."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict, list[dict]]] = []

    async def __call__(self, scope, receive, send):
        messages = [await receive()]
        if scope["type"] == "http":
            messages.append(await receive())
            await send({"type": "http.response.start", "status": 204})
            await send({"type": "http.response.body", "body": b""})
        self.calls.append((scope, messages))


def _serve(messages, *, headers=(), scope_type="http"):
    """Runs the middleware on one request; returns (app, what it sent)."""
    app = _App()
    queue = list(messages)
    sent: list[dict] = []

    async def receive():
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": scope_type, "headers": list(headers)}
    asyncio.run(WholeBodyMiddleware(app, max_bytes=LIMIT)(scope, receive, send))
    return app, sent


def _chunk(body: bytes, more: bool) -> dict:
    return {"type": "http.request", "body": body, "more_body": more}


def test_a_body_in_pieces_reaches_the_app_whole_then_the_client():
    app, sent = _serve(
        [_chunk(b"ab", True), _chunk(b"", True), _chunk(b"c", False)]
    )

    [(_, messages)] = app.calls
    assert messages == [
        {"type": "http.request", "body": b"abc", "more_body": False},
        {"type": "http.disconnect"},
    ]
    assert sent[0]["status"] == 204


def test_a_body_at_the_limit_is_served():
    app, _ = _serve([_chunk(b"x" * LIMIT, False)])

    assert app.calls[0][1][0]["body"] == b"x" * LIMIT


def _assert_too_large(app, sent):
    assert app.calls == []
    start, body = sent
    assert start["status"] == 413
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"connection"] == b"close"
    document = json.loads(body["body"])
    assert (document["status"], document["code"]) == (413, "payload_too_large")
    assert int(headers[b"content-length"]) == len(body["body"])


def test_a_body_over_the_limit_is_refused_without_the_app():
    _assert_too_large(*_serve([_chunk(b"x" * 6, True), _chunk(b"x" * 6, True)]))


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    app, sent = _serve(
        [_chunk(b"never read", False)],
        headers=[(b"content-length", str(LIMIT + 1).encode())],
    )

    _assert_too_large(app, sent)


def test_an_unreadable_declared_length_is_left_to_the_server():
    app, _ = _serve(
        [_chunk(b"ok", False)], headers=[(b"content-length", b"x1")]
    )

    assert app.calls[0][1][0]["body"] == b"ok"


def test_a_client_gone_before_its_body_ended_is_not_served():
    app, sent = _serve([_chunk(b"ab", True), {"type": "http.disconnect"}])

    assert app.calls == []
    assert sent == []


def test_other_connections_pass_through():
    app, sent = _serve([{"type": "websocket.connect"}], scope_type="websocket")

    assert app.calls[0][1] == [{"type": "websocket.connect"}]
    assert sent == []


# --- Spooled bodies (a statement to import) ----------------------------------

SPOOLED_LIMIT = 3 * LIMIT


class _Reader:
    """An ASGI app that reads the body piece by piece, as a2wsgi does."""

    def __init__(self) -> None:
        self.scope: dict | None = None
        self.pieces: list[bytes] = []

    async def __call__(self, scope, receive, send):
        self.scope = scope
        more = True
        while more:
            message = await receive()
            self.pieces.append(message["body"])
            more = message["more_body"]
        await send({"type": "http.response.start", "status": 202})
        await send({"type": "http.response.body", "body": b""})
        # As a server waits for the client to leave.
        self.after = await receive()


CREDENTIALED_CSV = [
    (b"authorization", b"Bearer t"),
    (b"content-type", b"text/csv"),
]


def _spool(
    messages,
    *,
    headers=CREDENTIALED_CSV,
    method="POST",
    path="/imports",
    middleware=None,
):
    app = _Reader()
    queue = list(messages)
    sent: list[dict] = []

    async def receive():
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": list(headers),
    }
    middleware = middleware or WholeBodyMiddleware(
        app, max_bytes=LIMIT, spooled={"/imports": (SPOOLED_LIMIT, "text/csv")}
    )
    middleware.app = app
    asyncio.run(middleware(scope, receive, send))
    return app, sent


def test_a_large_body_on_a_spooled_path_reaches_the_app_in_pieces(
    monkeypatch,
):
    monkeypatch.setattr(request_bodies, "SPOOL_PIECE_BYTES", 4)
    body = b"0123456789" * 2 + b"xyz"  # past max_bytes: on disk

    app, sent = _spool(
        [_chunk(body[:15], True), _chunk(body[15:], False)],
        headers=[*CREDENTIALED_CSV, (b"transfer-encoding", b"chunked")],
    )

    assert b"".join(app.pieces) == body
    assert app.after == {"type": "http.disconnect"}  # the client's own
    assert app.pieces[0] == b"0123"
    assert app.pieces[-1] == b"xyz"
    assert app.scope["headers"] == [
        *CREDENTIALED_CSV,
        (b"content-length", str(len(body)).encode()),
    ]
    assert sent[0]["status"] == 202


def test_a_body_of_whole_pieces_ends_with_an_empty_one(monkeypatch):
    monkeypatch.setattr(request_bodies, "SPOOL_PIECE_BYTES", 4)

    app, _ = _spool([_chunk(b"abcdefgh", False)])

    assert app.pieces == [b"abcd", b"efgh", b""]


def test_a_spooled_body_over_its_limit_is_413_unread():
    app, sent = _spool([_chunk(b"x" * SPOOLED_LIMIT, True), _chunk(b"y", True)])

    assert app.scope is None
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "payload_too_large"


def test_a_spooled_body_declared_over_its_limit_is_413_at_once():
    app, sent = _spool(
        [],
        headers=[
            *CREDENTIALED_CSV,
            (b"content-length", str(SPOOLED_LIMIT + 1).encode()),
        ],
    )

    assert app.scope is None
    assert sent[0]["status"] == 413


def test_a_client_gone_while_spooling_reaches_nobody():
    app, sent = _spool([_chunk(b"abc", True)])

    assert app.scope is None
    assert sent == []


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/imports", CREDENTIALED_CSV),
        ("POST", "/credits", CREDENTIALED_CSV),
        ("POST", "/imports", [(b"content-type", b"text/csv")]),
        ("POST", "/imports", [(b"authorization", b"Bearer t")]),
        (
            "POST",
            "/imports",
            [(b"authorization", b"t"), (b"content-type", b"text/plain")],
        ),
    ],
)
def test_what_could_not_be_served_keeps_the_usual_limit(method, path, headers):
    app, sent = _spool(
        [_chunk(b"x" * (LIMIT + 1), False)],
        method=method,
        path=path,
        headers=headers,
    )

    assert app.scope is None
    assert sent[0]["status"] == 413


def test_past_the_bodies_spooling_at_once_a_client_is_told_to_wait():
    middleware = WholeBodyMiddleware(
        None,
        max_bytes=LIMIT,
        spooled={"/imports": (SPOOLED_LIMIT, "text/csv")},
        max_spooling=1,
    )
    middleware.spooling = 1  # one statement still arriving

    app, sent = _spool([_chunk(b"date", False)], middleware=middleware)

    assert app.scope is None
    assert sent[0]["status"] == 429
    assert (b"retry-after", b"1") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["code"] == "rate_limited"
    middleware.spooling = 0
    app, sent = _spool([_chunk(b"date", False)], middleware=middleware)
    assert app.pieces == [b"date"]
    assert middleware.spooling == 0
