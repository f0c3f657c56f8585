"""POST /goals and POST /groups forward Idempotency-Key, as money POSTs do.

Accounting stores the key with the goal or group and replays; the gateway
checks the key's form, forwards it, and passes the replay header and the
key's problems through unchanged.
"""

import pytest

from config.testing import assert_problem
from integration.clients import Service
from integration.tests import factories

# Per endpoint: a request, and a factory of accounting's answer.
CREATIONS = {
    "goals": (
        {"name": "Holidays", "target_amount": "1500"},
        factories.GoalPayloadFactory,
    ),
    "groups": (
        {"name": "Summer trip", "target_amount": "1000"},
        factories.GroupPayloadFactory,
    ),
}


def _answer(upstream, user_id, endpoint, *, status=201, json=None, **headers):
    """Makes accounting answer POST ``endpoint``; returns the body."""
    _, payload = CREATIONS[endpoint]
    body = payload() if json is None else json
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        f"/internal/v1/holders/{user_id}/{endpoint}",
        status=status,
        json=body,
        headers=headers,
    )
    return body


@pytest.mark.parametrize("endpoint", list(CREATIONS))
class TestKeyedCreation:
    def test_forwards_the_key_and_renders_the_answer(
        self, auth_api, upstream, user_id, endpoint
    ):
        result = _answer(upstream, user_id, endpoint)
        request, _ = CREATIONS[endpoint]

        response = auth_api.post(
            f"/api/v1/{endpoint}", request, HTTP_IDEMPOTENCY_KEY="trip-1"
        )

        assert response.status_code == 201
        assert response.json() == result
        assert "Idempotent-Replayed" not in response
        assert upstream.last.request.headers["Idempotency-Key"] == "trip-1"
        assert upstream.last.json["name"] == request["name"]

    def test_without_a_key_none_is_forwarded(
        self, auth_api, upstream, user_id, endpoint
    ):
        _answer(upstream, user_id, endpoint)
        request, _ = CREATIONS[endpoint]

        response = auth_api.post(f"/api/v1/{endpoint}", request)

        assert response.status_code == 201
        assert "Idempotency-Key" not in upstream.last.request.headers

    def test_a_replay_keeps_its_header(
        self, auth_api, upstream, user_id, endpoint
    ):
        result = _answer(
            upstream, user_id, endpoint, **{"Idempotent-Replayed": "true"}
        )
        request, _ = CREATIONS[endpoint]

        response = auth_api.post(
            f"/api/v1/{endpoint}", request, HTTP_IDEMPOTENCY_KEY="trip-1"
        )

        assert response.status_code == 201
        assert response.json() == result
        assert response["Idempotent-Replayed"] == "true"

    @pytest.mark.parametrize("key", ["", "k" * 256, "caf\u00e9"])
    def test_a_bad_key_is_refused_before_accounting(
        self, auth_api, upstream, endpoint, key
    ):
        request, _ = CREATIONS[endpoint]

        response = auth_api.post(
            f"/api/v1/{endpoint}", request, HTTP_IDEMPOTENCY_KEY=key
        )

        assert_problem(response, 400, "invalid_idempotency_key")
        assert upstream.sent == []

    @pytest.mark.parametrize(
        ("status", "code", "headers"),
        [
            (422, "idempotency_key_reused", {}),
            (409, "idempotency_key_in_flight", {"Retry-After": "1"}),
        ],
    )
    def test_the_keys_problems_pass_through(
        self, auth_api, upstream, user_id, endpoint, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        _answer(
            upstream, user_id, endpoint, status=status, json=body, **headers
        )
        request, _ = CREATIONS[endpoint]

        response = auth_api.post(
            f"/api/v1/{endpoint}", request, HTTP_IDEMPOTENCY_KEY="trip-1"
        )

        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value
