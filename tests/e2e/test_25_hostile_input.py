"""Hostile input of every shape, through the real gateway, changes nothing.

Every operation of the live public schema that reads a JSON body gets the
shapes a fuzzer or an attacker sends; raw sockets send what no HTTP client
library would. Each answer is a 4xx problem with a stable code, no 5xx,
and the member's balances, accounts and history stay exactly as they were.
"""

import contextlib
import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.helpers import ledger_snapshot, problem, sign_up, when_ready

pytestmark = pytest.mark.e2e

_ID = "3f2e1d0c-9b8a-4f6e-8d5c-4b3a2f1e0d9c"
_SHAPES = {
    "nested 5,000 levels": ("[" * 5000 + "]" * 5000, 400, "malformed_json"),
    "a key twice": (
        '{"amount": "1.00", "amount": "2.00"}',
        400,
        "malformed_json",
    ),
    "a lone surrogate": ('{"kind": "\\ud800"}', 400, "malformed_json"),
    "unknown members": ('{"date": "2026-01-01"}', 400, "validation_error"),
    "not an object": ('["amount", "1.00"]', 400, "validation_error"),
    "a number for text": ('{"name": 0, "email": 0}', 400, "validation_error"),
}


def _json_operations(stack: Stack) -> list[tuple[str, str, bool]]:
    """Each JSON operation: method, path, and whether a partner calls it."""
    schema = httpx.get(f"{stack.origin}/api/schema/?format=json").json()
    return [
        (
            method,
            path.replace("{id}", _ID).removeprefix("/api/v1"),
            {"partnerKey": []} in operation.get("security", []),
        )
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("post", "put", "patch")
        and "application/json"
        in operation.get("requestBody", {}).get("content", {})
    ]


def test_every_json_operation_refuses_every_hostile_shape(
    api: httpx.Client, stack: Stack
) -> None:
    member = sign_up(api)
    when_ready(
        lambda: api.post(
            "/credits", json={"amount": "5.00"}, headers=member.auth
        )
    )
    before = ledger_snapshot(api, member)
    operations = _json_operations(stack)
    assert len(operations) >= 15, operations
    issued = stack.manage(
        "accounting",
        "partner_key_issue",
        "Hostile Payroll",
        "--scope",
        "credits:write",
        "--scope",
        "webhooks:manage",
    )
    assert issued.returncode == 0, issued.stderr
    partner = {"Authorization": f"Bearer {issued.stdout.split()[-1]}"}
    assert any(by_partner for *_, by_partner in operations)

    for method, path, by_partner in operations:
        auth = partner if by_partner else member.auth
        for shape, (body, status, code) in _SHAPES.items():
            response = api.request(
                method,
                path,
                content=body,
                headers={**auth, "Content-Type": "application/json"},
            )
            if response.status_code == 404 and _ID in path:
                continue  # Unknown id first: refused all the same.
            assert response.status_code == status, (method, path, shape)
            problem(response, status, code)
        wildcard = api.request(
            method,
            path,
            content=b'{"amount": "1.00"}',
            headers={**auth, "Content-Type": "*/*"},
        )
        problem(wildcard, 415, "unsupported_media_type")
    # A statement is a file, not JSON: every hostile JSON body is 415.
    for body, _, _ in _SHAPES.values():
        refused = api.post(
            "/imports",
            content=body,
            headers={**member.auth, "Content-Type": "application/json"},
        )
        problem(refused, 415, "unsupported_media_type")

    assert ledger_snapshot(api, member) == before


@pytest.mark.parametrize(
    "query",
    ["at=", "at=2026-01-01&at=2026-02-01", "currency=", "sort=asc"],
)
def test_empty_repeated_and_unknown_parameters_are_refused(api, query):
    member = sign_up(api)
    response = when_ready(
        lambda: api.get(f"/balance?{query}", headers=member.auth)
    )
    problem(response, 400, "validation_error")


def _raw(stack: Stack, request: bytes) -> tuple[bytes, dict]:
    """Sends raw bytes to the gateway; returns the status line and body."""
    parts = urlsplit(stack.origin)
    with socket.create_connection((parts.hostname, parts.port), 10) as conn:
        # The server may answer and shut its side while we still send.
        with contextlib.suppress(OSError):
            conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"application/problem+json" in head.lower(), head
    return head.split(b"\r\n", 1)[0], json.loads(body)


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (
            b"GET /api/v1/plans HTTP/1.1\r\nHost: x\r\nX-Big: "
            + b"a" * (200 * 1024)
            + b"\r\n\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (
            b"GET /api/v1/plans HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n",
            400,
            "malformed_request",
        ),
        (b"\x16\x03\x01\x02\x00\x01\x00\r\n\r\n", 400, "malformed_request"),
    ],
    ids=["200-KiB-header", "header-without-colon", "tls-on-plain"],
)
def test_what_no_http_library_sends_is_a_problem(
    stack: Stack, request_bytes: bytes, status: int, code: str
) -> None:
    line, body = _raw(stack, request_bytes)
    assert line.startswith(f"HTTP/1.1 {status} ".encode()), line
    assert (body["status"], body["code"]) == (status, code)
