"""Bearer JWT authentication, verified locally, failing as problems."""

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from rest_framework.test import APIClient
from rest_framework_simplejwt.authentication import (
    JWTStatelessUserAuthentication,
)

from integration.clients import Service
from integration.tests import factories

ME = "/api/v1/me"


def _get(token: str | None, header: str | None = None):
    client = APIClient(raise_request_exception=False)
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    elif token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(ME)


def _assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert response.json()["status"] == status


def test_a_valid_token_names_the_user_upstream(upstream):
    user_id = str(uuid.uuid4())
    user = factories.UserPayloadFactory(id=user_id)
    upstream.add(
        Service.USERS, "GET", f"/internal/v1/users/{user_id}", json=user
    )

    response = _get(factories.access_token(user_id=user_id))

    assert response.status_code == 200
    assert response.json() == user
    assert upstream.last.path == f"/internal/v1/users/{user_id}"


def test_a_missing_token_is_not_authenticated(upstream):
    response = _get(None)
    _assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert upstream.sent == []


def test_another_scheme_is_not_authenticated(upstream):
    _assert_problem(_get(None, "Basic dXNlcjpwYXNz"), 401, "not_authenticated")
    assert upstream.sent == []


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _tampered() -> str:
    header, payload, signature = factories.access_token().split(".")
    forged = factories.access_token(user_id=str(uuid.uuid4())).split(".")[1]
    assert forged != payload
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(
            lambda: factories.access_token(exp=int(time.time()) - 1),
            id="expired",
        ),
        pytest.param(_tampered, id="tampered"),
        pytest.param(
            lambda: factories.access_token(key=_other_key()), id="other-key"
        ),
        pytest.param(
            lambda: factories.access_token(token_type="refresh"),
            id="refresh-token",
        ),
        pytest.param(
            lambda: factories.access_token(iss="someone-else"),
            id="other-issuer",
        ),
        pytest.param(
            lambda: factories.access_token(user_id="../../admin"),
            id="user-id-not-uuid",
        ),
        pytest.param(lambda: "not-a-jwt", id="garbage"),
    ],
)
def test_a_bad_token_is_invalid(upstream, header):
    response = _get(header())
    _assert_problem(response, 401, "invalid_token")
    assert response.json()["detail"] == (
        "The access token is invalid or expired."
    )
    assert upstream.sent == []


def test_a_token_without_user_id_is_invalid(upstream):
    claims = factories.AccessClaimsFactory()
    del claims["user_id"]
    token = jwt.encode(claims, factories.private_key(), algorithm="RS256")
    _assert_problem(_get(token), 401, "invalid_token")


def test_a_malformed_header_is_invalid(upstream):
    _assert_problem(_get(None, "Bearer a b"), 401, "invalid_token")


def test_a_deleted_users_token_is_refused_upstream(upstream):
    user_id = str(uuid.uuid4())
    upstream.add(
        Service.USERS,
        "GET",
        f"/internal/v1/users/{user_id}",
        status=401,
        json=factories.problem(401, "user_inactive", "The user is closed."),
    )
    response = _get(factories.access_token(user_id=user_id))
    _assert_problem(response, 401, "user_inactive")
    assert response.json()["detail"] == "The user is closed."


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_a_token_is_checked_once_per_request(upstream, monkeypatch, valid):
    """The limits and the view share one verdict on the signature."""
    user_id = str(uuid.uuid4())
    upstream.add(
        Service.USERS,
        "GET",
        f"/internal/v1/users/{user_id}",
        json=factories.UserPayloadFactory(id=user_id),
    )
    checks = []
    check = JWTStatelessUserAuthentication.get_validated_token

    def counted(self, raw_token):
        checks.append(raw_token)
        return check(self, raw_token)

    monkeypatch.setattr(
        JWTStatelessUserAuthentication, "get_validated_token", counted
    )
    token = factories.access_token(user_id=user_id)

    response = _get(token if valid else token[:-4] + "AAAA")

    assert response.status_code == (200 if valid else 401)
    assert len(checks) == 1
