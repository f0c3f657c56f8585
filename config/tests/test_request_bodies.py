"""Whole request bodies before the gateway's app (and a thread) sees them."""

import asyncio
import json

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
