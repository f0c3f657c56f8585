"""A partner's large batch through the gateway's real HTTP server.

The gateway's ASGI app (``config/integration/asgi.py``) reads a whole body
before a thread takes the request, refusing anything over 1 MiB, except
on the paths of ``SPOOLED_BODY_PATHS``, whose bodies are spooled to disk
up to their own bound when the request could be served (credentials, the
path's media type). A partner's batch is such a body: these tests send
them to a real uvicorn serving that app, with accounting faked as in the
other tests (its clients live in this process).
"""

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from config import bounds
from config.http11 import ProblemH11Protocol
from integration.clients import Service
from integration.tests import factories

PATH = "/api/v1/partner/credit-batches"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """The gateway's ASGI app on a real uvicorn, as the Procfile runs it."""
    from config.integration.asgi import application  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            http=ProblemH11Protocol,
            lifespan="off",
            log_level="critical",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def accepted(upstream, partner) -> dict:
    """Accounting takes the partner's batch: its answer."""
    document = factories.CreditBatchPayloadFactory()
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        f"/internal/v1/partner-keys/{partner['key_id']}/credit-batches",
        status=202,
        json=document,
    )
    return document


def _batch(size: int) -> bytes:
    """A valid batch of about ``size`` bytes (items of about 200)."""
    item = {
        "user": "a-rather-long-address-for-a-payslip@example.com",
        "amount": "1234.56",
        "currency": "USD",
        "reference": "PAYROLL-2026-11-" + "0" * 40,
    }
    count = min(size // 200, bounds.CREDIT_BATCH_MAX_ITEMS)
    items = [
        {**item, "reference": f"{item['reference']}{n:06d}"}
        for n in range(count)
    ]
    body = json.dumps({"items": items}).encode()
    # Whitespace is JSON too: it brings the body to the size asked for.
    return body[:-1] + b" " * max(0, size - len(body)) + b"}"


def _post(
    origin: str,
    body: bytes,
    *,
    authorization: str | None,
    content_type: str = "application/json",
    chunked: bool = False,
) -> httpx.Response:
    headers = {"Content-Type": content_type, "Idempotency-Key": "nov"}
    if authorization is not None:
        headers["Authorization"] = authorization
    content = (
        (body[i : i + 256 * 1024] for i in range(0, len(body), 256 * 1024))
        if chunked
        else body
    )
    with httpx.Client(base_url=origin, timeout=60) as client:
        return client.post(PATH, content=content, headers=headers)


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8"]
)
def test_a_2_mb_batch_is_taken_whole(
    origin, upstream, partner, accepted, *, chunked, content_type
):
    body = _batch(2 * MIB)

    response = _post(
        origin,
        body,
        authorization=f"Bearer {partner['raw_key']}",
        content_type=content_type,
        chunked=chunked,
    )

    assert response.status_code == 202, response.text
    assert response.json() == accepted
    assert response.headers["Location"].endswith(f"{PATH}/{accepted['id']}")
    sent = upstream.last.json
    assert sent == json.loads(body)
    assert len(sent["items"]) == 10_000


def test_a_body_of_8_mib_exactly_is_read(origin, upstream, partner, accepted):
    response = _post(
        origin,
        _batch(bounds.CREDIT_BATCH_MAX_BYTES),
        authorization=f"Bearer {partner['raw_key']}",
    )

    assert response.status_code == 202, response.text


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_a_body_over_8_mib_is_413_before_the_app(
    origin, upstream, partner, chunked
):
    response = _post(
        origin,
        _batch(bounds.CREDIT_BATCH_MAX_BYTES + 1),
        authorization=f"Bearer {partner['raw_key']}",
        chunked=chunked,
    )

    _problem(response, 413, "payload_too_large")
    assert upstream.sent == [], "not even the key was verified"


@pytest.mark.parametrize(
    ("authorization", "content_type"),
    [
        pytest.param(None, "application/json", id="no-credentials"),
        pytest.param("Bearer {key}", "text/csv", id="not-json"),
        pytest.param("Bearer {key}", "application/*", id="a-wildcard"),
    ],
)
def test_what_could_not_be_served_keeps_the_usual_1_mib(
    origin, upstream, partner, authorization, content_type
):
    if authorization is not None:
        authorization = authorization.format(key=partner["raw_key"])

    response = _post(
        origin,
        _batch(2 * MIB),
        authorization=authorization,
        content_type=content_type,
    )

    _problem(response, 413, "payload_too_large")
    assert upstream.sent == []


def test_a_users_token_is_credentials_enough_to_spool_but_not_to_send(
    origin, upstream
):
    token = factories.access_token()

    response = _post(origin, _batch(2 * MIB), authorization=f"Bearer {token}")

    _problem(response, 401, "not_authenticated")
    assert upstream.sent == []


def test_a_small_batch_is_read_as_any_body(origin, upstream, partner, accepted):
    response = _post(
        origin, _batch(1000), authorization=f"Bearer {partner['raw_key']}"
    )

    assert response.status_code == 202, response.text
