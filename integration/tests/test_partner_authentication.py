"""Partners' API keys: verified by accounting, once, on partner endpoints."""

import uuid

import httpx
import pytest
from rest_framework.test import APIClient

from config.testing import assert_problem
from integration import authentication
from integration.clients import Service
from integration.tests import factories
from integration.tests.conftest import INVALID_API_KEY

VERIFY = "/internal/v1/partner-keys/verify"


def _batch_url(batch_id: str) -> str:
    return f"/api/v1/partner/credit-batches/{batch_id}"


def _client(authorization: str | None) -> APIClient:
    client = APIClient(raise_request_exception=False)
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def _answer_batch(upstream, partner_id: str, batch: dict) -> None:
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        f"/internal/v1/partners/{partner_id}/credit-batches/{batch['id']}",
        json=batch,
    )


def test_a_live_key_is_verified_once_and_names_its_partner_upstream(
    upstream, partner_keys, partner, partner_api
):
    batch = factories.CreditBatchPayloadFactory()
    _answer_batch(upstream, partner["partner_id"], batch)

    response = partner_api.get(_batch_url(batch["id"]))

    assert response.status_code == 200, response.content
    assert response.json() == batch
    # The limits and the view shared one verdict: one call to verify.
    assert partner_keys.verified == [partner["raw_key"]]
    verify, read = upstream.sent
    assert (verify.path, verify.json) == (VERIFY, {"key": partner["raw_key"]})
    assert verify.request.headers["Authorization"].startswith("Service ")
    partner_path = f"/internal/v1/partners/{partner['partner_id']}/"
    assert read.path.startswith(partner_path)


def test_a_refused_key_is_verified_once_too(upstream, partner_keys):
    raw_key, _ = partner_keys.issue()
    partner_keys.revoke(raw_key)

    response = _client(f"Bearer {raw_key}").get(_batch_url(uuid.uuid4()))

    body = assert_problem(response, 401, "invalid_api_key")
    assert body["detail"] == INVALID_API_KEY
    assert partner_keys.verified == [raw_key]
    assert [sent.path for sent in upstream.sent] == [VERIFY]


def test_a_revoked_key_stops_working_on_the_next_request(
    upstream, partner_keys, partner, partner_api
):
    batch = factories.CreditBatchPayloadFactory()
    _answer_batch(upstream, partner["partner_id"], batch)
    assert partner_api.get(_batch_url(batch["id"])).status_code == 200

    partner_keys.revoke(partner["raw_key"])

    assert_problem(
        partner_api.get(_batch_url(batch["id"])), 401, "invalid_api_key"
    )


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("spk_short", id="too-short"),
        pytest.param("spk_" + "a" * 44, id="too-long"),
        pytest.param("spk_" + "a" * 42 + "!", id="not-url-safe"),
        pytest.param("spk_" + "é" * 43, id="not-ascii"),
        pytest.param("spk_" + "a" * 8000, id="huge"),
    ],
)
def test_a_key_of_another_shape_is_refused_without_asking(
    upstream, partner_keys, key
):
    response = _client(f"Bearer {key}").get(_batch_url(uuid.uuid4()))

    body = assert_problem(response, 401, "invalid_api_key")
    assert body["detail"] == INVALID_API_KEY
    assert upstream.sent == []


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="none"),
        pytest.param("Basic dXNlcjpwYXNz", id="another-scheme"),
        pytest.param("bearer {key}", id="lowercase-scheme"),
        pytest.param("Bearer {key} extra", id="three-parts"),
        pytest.param("Bearer", id="no-token"),
    ],
)
def test_without_a_partner_key_a_partner_endpoint_is_not_authenticated(
    upstream, partner, authorization
):
    if authorization is not None:
        authorization = authorization.format(key=partner["raw_key"])

    response = _client(authorization).get(_batch_url(uuid.uuid4()))

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert upstream.sent == []


def test_a_users_access_token_opens_no_partner_endpoint(upstream, auth_api):
    response = auth_api.get(_batch_url(uuid.uuid4()))

    assert_problem(response, 401, "not_authenticated")
    assert upstream.sent == []


def test_a_partner_key_opens_no_user_endpoint(upstream, partner_keys, partner):
    response = _client(f"Bearer {partner['raw_key']}").get("/api/v1/me")

    body = assert_problem(response, 401, "invalid_token")
    assert body["detail"] == "The access token is invalid or expired."
    assert upstream.sent == [], "no key is verified for a user endpoint"


def test_a_key_without_the_scope_is_forbidden_and_told_why(
    upstream, partner_keys
):
    raw_key, _ = partner_keys.issue(scopes=["webhooks:manage"])

    response = _client(f"Bearer {raw_key}").get(_batch_url(uuid.uuid4()))

    body = assert_problem(response, 403, "permission_denied")
    assert "`credits:write`" in body["detail"]
    assert [sent.path for sent in upstream.sent] == [VERIFY]


@pytest.mark.parametrize(
    ("status", "code", "headers"),
    [
        (503, "database_unavailable", {"Retry-After": "5"}),
        (401, "user_inactive", {}),
    ],
)
def test_what_accounting_answers_instead_passes_through(
    upstream, partner_keys, status, code, headers
):
    body = factories.problem(status, code, "From accounting.")
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        VERIFY,
        status=status,
        json=body,
        headers=headers,
    )

    response = _client(f"Bearer {factories.partner_key()}").get(
        _batch_url(uuid.uuid4())
    )

    assert assert_problem(response, status, code) == body
    for name, value in headers.items():
        assert response[name] == value
    assert len(upstream.sent) == 1, "the limits and the view asked once"


def test_accounting_out_of_reach_is_503_asked_once(settings, closed_url):
    settings.ACCOUNTING_SERVICE_URL = closed_url

    response = _client(f"Bearer {factories.partner_key()}").get(
        _batch_url(uuid.uuid4())
    )

    assert_problem(response, 503, "upstream_unavailable")
    assert response["Retry-After"] == "5"


_KEY = factories.PartnerKeyPayloadFactory()


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(None, id="no-body"),
        pytest.param([], id="a-list"),
        pytest.param({**_KEY, "key_id": "../admin"}, id="key-id-not-uuid"),
        pytest.param({**_KEY, "partner_id": 7}, id="partner-id-a-number"),
        pytest.param({**_KEY, "partner_id": None}, id="partner-id-null"),
        pytest.param({**_KEY, "scopes": "credits:write"}, id="scopes-text"),
        pytest.param({**_KEY, "scopes": [1]}, id="scope-a-number"),
        pytest.param({**_KEY, "rate_limit": None}, id="rate-null"),
        pytest.param({**_KEY, "rate_limit": "fast"}, id="rate-not-a-rate"),
        pytest.param(
            {k: v for k, v in _KEY.items() if k != "partner_name"},
            id="no-partner-name",
        ),
    ],
)
def test_a_verification_outside_the_contract_is_502(upstream, answer):
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        VERIFY,
        responder=lambda request: httpx.Response(200, json=answer),
    )

    response = _client(f"Bearer {factories.partner_key()}").get(
        _batch_url(uuid.uuid4())
    )

    assert_problem(response, 502, "bad_gateway")
    assert len(upstream.sent) == 1


def test_a_verified_key_is_a_principal_with_its_rate(upstream, partner_keys):
    raw_key, payload = partner_keys.issue(
        scopes=["credits:write", "webhooks:manage"], rate_limit="600/min"
    )

    principal = authentication.partner_key_verify(raw_key=raw_key)

    assert principal == authentication.PartnerPrincipal(
        key_id=payload["key_id"],
        partner_id=payload["partner_id"],
        partner_name="Acme Payroll",
        scopes=frozenset({"credits:write", "webhooks:manage"}),
        rate_limit=authentication.Rate(quota=600, window=60),
    )
    assert principal.is_authenticated
    assert not principal.is_anonymous
