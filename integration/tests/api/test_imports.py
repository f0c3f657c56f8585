"""POST /imports and GET /imports/{id} at the gateway."""

import uuid

import pytest

from config.testing import assert_problem
from integration.clients import Service
from integration.tests import factories

STATEMENT = b"date,amount\n2026-11-02,25.00\n"


def _import(**fields):
    return {
        "id": str(uuid.uuid4()),
        "status": "queued",
        "currency": "USD",
        "size_bytes": len(STATEMENT),
        "sha256": "0" * 64,
        "rows": {"read": 0, "applied": 0, "duplicate": 0, "refused": 0},
        "refusals": [],
        "error": None,
        "created_at": "2026-11-21T10:00:00Z",
        "completed_at": None,
        **fields,
    }


def _accepted(upstream, user_id, **headers):
    document = _import()
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        f"/internal/v1/holders/{user_id}/imports",
        status=202,
        json=document,
        headers=headers,
    )
    return document


def _post(auth_api, data=STATEMENT, query="", **extra):
    return auth_api.generic(
        "POST",
        f"/api/v1/imports{query}",
        data,
        content_type=extra.pop("content_type", "text/csv"),
        **extra,
    )


def test_the_statement_goes_to_accounting_as_it_came(
    auth_api, upstream, user_id
):
    document = _accepted(upstream, user_id)

    response = _post(
        auth_api,
        query="?delimiter=semicolon&date_column=Booking%20date&currency=eur",
        HTTP_IDEMPOTENCY_KEY="nov-statement",
    )

    assert response.status_code == 202, response.content
    assert response.json() == document
    sent = upstream.last.request
    assert sent.content == STATEMENT
    assert sent.headers["Content-Type"] == "text/csv"
    assert sent.headers["Content-Length"] == str(len(STATEMENT))
    assert "Transfer-Encoding" not in sent.headers
    assert sent.headers["Idempotency-Key"] == "nov-statement"
    assert dict(sent.url.params) == {
        "currency": "EUR",
        "delimiter": "semicolon",
        "date_column": "Booking date",
    }


def test_a_replay_says_so(auth_api, upstream, user_id):
    _accepted(upstream, user_id, **{"Idempotent-Replayed": "true"})

    response = _post(auth_api, HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 202
    assert response["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("?delimiter=pipe", "delimiter", "validation_error"),
        ("?currency=XYZ", "currency", "unsupported_currency"),
        ("?amount_column=" + "a" * 201, "amount_column", "validation_error"),
        ("?sheet=1", "sheet", "validation_error"),
    ],
)
def test_bad_options_are_refused_before_accounting(
    auth_api, upstream, query, field, code
):
    response = _post(auth_api, query=query)

    problem = assert_problem(response, 400, code)
    assert field in problem["errors"]
    assert upstream.sent == []


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid_import"),
        (413, "payload_too_large"),
        (422, "idempotency_key_reused"),
        (409, "account_not_ready"),
    ],
)
def test_accountings_judgement_passes_through(
    auth_api, upstream, user_id, status, code
):
    body = factories.problem(status, code, "From accounting.")
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        f"/internal/v1/holders/{user_id}/imports",
        status=status,
        json=body,
    )

    assert assert_problem(_post(auth_api), status, code) == body


def test_an_import_is_read_back(auth_api, upstream, user_id):
    document = _import(
        status="completed",
        rows={"read": 2, "applied": 1, "duplicate": 0, "refused": 1},
        refusals=[
            {"line": 3, "code": "invalid_amount", "detail": "Not an amount."}
        ],
        completed_at="2026-11-21T10:00:01Z",
    )
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        f"/internal/v1/holders/{user_id}/imports/{document['id']}",
        json=document,
    )

    response = auth_api.get(f"/api/v1/imports/{document['id']}")

    assert response.status_code == 200
    assert response.json() == document


def test_an_import_id_that_is_not_a_uuid_is_not_found(auth_api, upstream):
    assert_problem(auth_api.get("/api/v1/imports/nope"), 404, "not_found")
    assert upstream.sent == []


def test_an_import_needs_a_token(api, upstream):
    response = api.generic(
        "POST", "/api/v1/imports", STATEMENT, content_type="text/csv"
    )

    assert_problem(response, 401, "not_authenticated")
    assert upstream.sent == []


def test_no_body_at_all_is_an_empty_statement_for_accounting(
    auth_api, upstream, user_id
):
    body = factories.problem(400, "invalid_import", "The file is empty.")
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        f"/internal/v1/holders/{user_id}/imports",
        status=400,
        json=body,
    )

    response = auth_api.generic("POST", "/api/v1/imports", b"", content_type="")

    assert assert_problem(response, 400, "invalid_import") == body
    assert upstream.last.request.headers["Content-Length"] == "0"
