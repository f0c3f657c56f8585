"""Every way a request can be wrong answers a problem, never a page."""

import httpx
import pytest

from config.testing import assert_problem
from integration.clients import Service


def _problem(response, status: int, code: str) -> dict:
    body = assert_problem(response, status, code)
    assert body["type"] == f"urn:savings:problem:{code}"
    assert "Traceback" not in response.content.decode()
    return body


def test_an_unknown_url_is_not_found(api):
    _problem(api.get("/api/v1/nothing-here"), 404, "not_found")


def test_a_trailing_slash_is_not_redirected(auth_api):
    _problem(auth_api.get("/api/v1/accounts/"), 404, "not_found")


def test_a_wrong_method_is_not_allowed(auth_api, upstream):
    response = auth_api.delete("/api/v1/credits")
    _problem(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]
    assert upstream.sent == []


def test_a_wrong_content_type_is_unsupported(auth_api, upstream):
    response = auth_api.post(
        "/api/v1/credits", "amount=5", content_type="text/plain"
    )
    _problem(response, 415, "unsupported_media_type")
    assert upstream.sent == []


def test_a_form_post_is_unsupported(api, upstream):
    response = api.post(
        "/api/v1/auth/signup", {"email": "a@b.co"}, format="multipart"
    )
    _problem(response, 415, "unsupported_media_type")
    assert upstream.sent == []


def test_malformed_json_is_refused(api, upstream):
    response = api.post(
        "/api/v1/auth/token", '{"email": ', content_type="application/json"
    )
    _problem(response, 400, "malformed_json")
    assert upstream.sent == []


def test_a_body_over_one_mebibyte_is_too_large(auth_api, upstream):
    body = '{"amount": "1", "description": "' + "x" * (1024 * 1024) + '"}'
    response = auth_api.post(
        "/api/v1/credits", body, content_type="application/json"
    )
    _problem(response, 413, "payload_too_large")
    assert upstream.sent == []


def test_an_unexpected_error_is_an_internal_error_problem(
    auth_api, upstream, user_id
):
    def explode(request):
        raise RuntimeError("secret internals")

    upstream.add(
        Service.ACCOUNTING,
        "GET",
        f"/internal/v1/holders/{user_id}/accounts",
        responder=explode,
    )
    response = auth_api.get("/api/v1/accounts")
    body = _problem(response, 500, "internal_error")
    assert "secret internals" not in response.content.decode()
    assert body["detail"] == "An unexpected error occurred."


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        ("closed", 503, "upstream_unavailable"),
        ("silent", 504, "upstream_timeout"),
        ("garbage", 502, "bad_gateway"),
    ],
)
def test_upstream_failures_reach_the_caller_as_problems(
    auth_api, settings, request, *, failure, status, code
):
    settings.UPSTREAM_READ_TIMEOUT = 0.2
    settings.ACCOUNTING_SERVICE_URL = request.getfixturevalue(f"{failure}_url")
    response = auth_api.post("/api/v1/credits", {"amount": "5"})
    _problem(response, status, code)


def test_an_upstream_5xx_is_bad_gateway(auth_api, upstream, user_id):
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        f"/internal/v1/holders/{user_id}/balance",
        responder=lambda request: httpx.Response(500, text="Traceback ..."),
    )
    _problem(auth_api.get("/api/v1/balance"), 502, "bad_gateway")
