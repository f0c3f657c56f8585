"""The upstream clients: pooling, credentials and every error mapping."""

import logging

import httpx
import pytest
from django.test import override_settings

from config.errors import OUTAGE_RETRY_AFTER
from integration import clients
from integration.clients import Service, UpstreamProblemError
from integration.errors import GatewayError
from integration.tests import factories


def test_builds_one_pooled_client_per_service_from_settings(settings):
    settings.UPSTREAM_POOL_SIZE = 7
    settings.UPSTREAM_CONNECT_TIMEOUT = 1.5
    settings.UPSTREAM_READ_TIMEOUT = 4.0

    users = clients.get_client(Service.USERS)
    accounting = clients.get_client(Service.ACCOUNTING)

    assert clients.get_client(Service.USERS) is users
    assert users is not accounting
    assert str(users.base_url).rstrip("/") == settings.USERS_SERVICE_URL
    assert str(accounting.base_url).rstrip("/") == (
        settings.ACCOUNTING_SERVICE_URL
    )
    assert users.headers["Authorization"] == (
        f"Service {settings.USERS_SERVICE_TOKEN}"
    )
    assert accounting.headers["Authorization"] == (
        f"Service {settings.ACCOUNTING_SERVICE_TOKEN}"
    )
    assert users.timeout == httpx.Timeout(4.0, connect=1.5)
    pool = users._transport._pool
    assert pool._max_connections == 7
    assert pool._max_keepalive_connections == 7


def test_a_changed_setting_rebuilds_the_clients():
    before = clients.get_client(Service.USERS)
    with override_settings(USERS_SERVICE_URL="http://users.internal:9000"):
        during = clients.get_client(Service.USERS)
    assert before.is_closed
    assert during is not before
    assert str(during.base_url) == "http://users.internal:9000"
    assert during.is_closed


def test_an_unrelated_setting_keeps_the_clients():
    before = clients.get_client(Service.USERS)
    with override_settings(DEFAULT_CURRENCY="EUR"):
        assert clients.get_client(Service.USERS) is before
    assert not before.is_closed


def test_sends_credential_body_and_idempotency_key(upstream, settings):
    upstream.add(Service.ACCOUNTING, "POST", "/x", status=201, json={"a": 1})

    result = clients.call(
        Service.ACCOUNTING,
        "POST",
        "/x",
        body={"amount": "1.00"},
        idempotency_key="key-1",
    )

    assert result == clients.UpstreamResponse(201, {"a": 1}, {})
    sent = upstream.last.request
    assert sent.headers["Authorization"] == (
        f"Service {settings.ACCOUNTING_SERVICE_TOKEN}"
    )
    assert sent.headers["Idempotency-Key"] == "key-1"
    assert upstream.last.json == {"amount": "1.00"}


def test_no_idempotency_key_header_unless_given(upstream):
    upstream.add(Service.USERS, "GET", "/x", json={})
    clients.call(Service.USERS, "GET", "/x")
    assert "Idempotency-Key" not in upstream.last.request.headers


def test_decodes_numbers_exactly(upstream):
    upstream.add(
        Service.USERS,
        "GET",
        "/x",
        responder=lambda r: httpx.Response(200, content=b'{"n": 0.1}'),
    )
    body = clients.call(Service.USERS, "GET", "/x").body
    assert str(body["n"]) == "0.1"


def test_forwards_replay_and_retry_headers_of_a_success(upstream):
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        "/x",
        status=201,
        json={},
        headers={"Idempotent-Replayed": "true", "X-Internal": "no"},
    )
    result = clients.call(Service.ACCOUNTING, "POST", "/x")
    assert result.headers == {"Idempotent-Replayed": "true"}


def test_no_content_is_a_success_without_body(upstream):
    upstream.add(
        Service.USERS,
        "DELETE",
        "/x",
        responder=lambda r: httpx.Response(204),
    )
    result = clients.call(Service.USERS, "DELETE", "/x")
    assert (result.status, result.body) == (204, None)


def test_a_conditional_call_sends_the_tag_and_takes_a_304(upstream):
    upstream.add(
        Service.USERS,
        "GET",
        "/x",
        responder=lambda r: httpx.Response(
            304, headers={"ETag": '"v1"', "Retry-After": "1"}
        ),
    )

    result = clients.call(Service.USERS, "GET", "/x", if_none_match='"v1"')

    assert upstream.last.request.headers["If-None-Match"] == '"v1"'
    assert (result.status, result.body, result.etag) == (304, None, '"v1"')
    assert result.headers == {"Retry-After": "1"}


def test_a_304_without_a_tag_keeps_the_one_sent(upstream):
    upstream.add(
        Service.USERS, "GET", "/x", responder=lambda r: httpx.Response(304)
    )

    result = clients.call(Service.USERS, "GET", "/x", if_none_match='W/"a"')

    assert (result.status, result.etag) == (304, 'W/"a"')


def test_a_success_gives_its_tag_and_no_tag_is_sent_unasked(upstream):
    upstream.add(Service.USERS, "GET", "/x", json={}, headers={"ETag": '"v2"'})
    upstream.add(Service.USERS, "GET", "/y", json={})

    tagged = clients.call(Service.USERS, "GET", "/x")
    untagged = clients.call(Service.USERS, "GET", "/y")

    assert (tagged.etag, untagged.etag) == ('"v2"', None)
    assert "ETag" not in tagged.headers
    assert "If-None-Match" not in upstream.last.request.headers


def test_a_304_to_an_unconditional_call_is_bad_gateway(upstream):
    upstream.add(
        Service.USERS, "GET", "/x", responder=lambda r: httpx.Response(304)
    )

    error = _refusal(lambda: clients.call(Service.USERS, "GET", "/x"))

    assert error.code == "bad_gateway"


def test_passes_a_problem_through_unchanged(upstream):
    body = factories.problem(409, "account_not_ready", "Retry soon.")
    body["extra"] = {"kept": True}
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        "/x",
        status=409,
        json=body,
        headers={"Retry-After": "1"},
    )

    with pytest.raises(UpstreamProblemError) as caught:
        clients.call(Service.ACCOUNTING, "GET", "/x")

    assert caught.value.status == 409
    assert caught.value.code == "account_not_ready"
    assert caught.value.body == body
    assert caught.value.headers == {"Retry-After": "1"}


def _refusal(call) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        call()
    assert not isinstance(caught.value, UpstreamProblemError)
    return caught.value


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, json={"code": "internal_error"}),
        httpx.Response(503, content=b"<h1>Service Unavailable</h1>"),
        httpx.Response(503),
        httpx.Response(200, content=b"<html>oops</html>"),
        httpx.Response(200, content=b"\xff\xfe garbled"),
        httpx.Response(200),
        httpx.Response(302, headers={"Location": "/login"}),
        httpx.Response(404, content=b"<h1>Not Found</h1>"),
        httpx.Response(400, json=["not", "a", "problem"]),
        httpx.Response(400, json={"detail": "no code"}),
        httpx.Response(
            401,
            json={"code": "invalid_token"},
            headers={"WWW-Authenticate": "Service"},
        ),
    ],
    ids=[
        "500",
        "html-503",
        "empty-503",
        "html",
        "garbled",
        "empty-200",
        "redirect",
        "html-404",
        "list-problem",
        "codeless-problem",
        "credential-refused",
    ],
)
def test_unusable_answers_are_bad_gateway(upstream, caplog, response):
    upstream.add(Service.USERS, "GET", "/x", responder=lambda r: response)

    with caplog.at_level(logging.WARNING, logger="integration.clients"):
        error = _refusal(lambda: clients.call(Service.USERS, "GET", "/x"))

    assert error.code == "bad_gateway"
    assert caplog.records, "upstream failures are logged"


def test_a_services_own_outage_passes_through_with_its_retry_after(upstream):
    body = {"status": 503, "code": "database_unavailable", "detail": "Out."}
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        "/x",
        responder=lambda r: httpx.Response(
            503, json=body, headers={"Retry-After": "5"}
        ),
    )

    with pytest.raises(UpstreamProblemError) as caught:
        clients.call(Service.ACCOUNTING, "GET", "/x")

    assert (caught.value.status, caught.value.body) == (503, body)
    assert caught.value.headers == {"Retry-After": "5"}


def test_a_refused_connection_is_unavailable(settings, closed_url, caplog):
    settings.USERS_SERVICE_URL = closed_url
    with caplog.at_level(logging.WARNING, logger="integration.clients"):
        error = _refusal(lambda: clients.call(Service.USERS, "GET", "/x"))
    assert error.code == "upstream_unavailable"
    assert error.retry_after == OUTAGE_RETRY_AFTER
    assert "unreachable" in caplog.text


def test_an_unknown_host_is_unavailable(settings):
    settings.USERS_SERVICE_URL = "http://no-such-host.invalid"
    error = _refusal(lambda: clients.call(Service.USERS, "GET", "/x"))
    assert error.code == "upstream_unavailable"


def test_a_silent_server_is_a_timeout(settings, silent_url, caplog):
    settings.ACCOUNTING_SERVICE_URL = silent_url
    settings.UPSTREAM_READ_TIMEOUT = 0.2
    with caplog.at_level(logging.WARNING, logger="integration.clients"):
        error = _refusal(lambda: clients.call(Service.ACCOUNTING, "GET", "/x"))
    assert error.code == "upstream_timeout"
    assert "timed out" in caplog.text


def test_a_per_call_timeout_wins(settings, silent_url):
    settings.ACCOUNTING_SERVICE_URL = silent_url
    settings.UPSTREAM_READ_TIMEOUT = 30
    error = _refusal(
        lambda: clients.call(Service.ACCOUNTING, "GET", "/x", timeout=0.2)
    )
    assert error.code == "upstream_timeout"


def test_a_server_speaking_garbage_is_bad_gateway(settings, garbage_url):
    settings.USERS_SERVICE_URL = garbage_url
    error = _refusal(lambda: clients.call(Service.USERS, "GET", "/x"))
    assert error.code == "bad_gateway"
