"""POST /tokens and /tokens/refresh of the internal API."""

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKENS = "/internal/v1/tokens"
REFRESH = "/internal/v1/tokens/refresh"


def test_login_returns_tokens(api_client: APIClient) -> None:
    user = UserFactory()

    response = api_client.post(
        TOKENS, {"email": user.email.upper(), "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.JWT_ACCESS_TOKEN_LIFETIME
    claims = jwt.decode(
        body["access"],
        settings.SIMPLE_JWT["VERIFYING_KEY"],
        algorithms=["RS256"],
        issuer=settings.JWT_ISSUER,
    )
    assert claims["user_id"] == str(user.id)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ada@example.com", "password": "wrong"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "garbage", "password": PASSWORD},
    ],
)
def test_login_failure_never_says_why(
    api_client: APIClient, body: dict
) -> None:
    UserFactory(email="ada@example.com")

    response = api_client.post(TOKENS, body)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["detail"] == "Invalid email or password."


def test_login_needs_both_fields(api_client: APIClient) -> None:
    response = api_client.post(TOKENS, {"email": "ada@example.com"})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "password" in response.json()["errors"]


def test_refresh_rotates(api_client: APIClient) -> None:
    user = UserFactory()
    tokens = api_client.post(
        TOKENS, {"email": user.email, "password": PASSWORD}
    ).json()

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 200
    assert response.json()["refresh"] != tokens["refresh"]
    assert response.json()["token_type"] == "Bearer"
    again = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_token"


def test_refresh_of_a_deleted_user_fails(api_client: APIClient) -> None:
    user = UserFactory()
    tokens = api_client.post(
        TOKENS, {"email": user.email, "password": PASSWORD}
    ).json()
    assert api_client.delete(f"/internal/v1/users/{user.id}").status_code == 204

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    login = api_client.post(TOKENS, {"email": user.email, "password": PASSWORD})
    assert login.json()["code"] == "invalid_credentials"


def test_refresh_garbage_and_missing(api_client: APIClient) -> None:
    garbage = api_client.post(REFRESH, {"refresh": "x.y.z"})
    missing = api_client.post(REFRESH, {})

    assert (garbage.status_code, garbage.json()["code"]) == (
        401,
        "invalid_token",
    )
    assert (missing.status_code, missing.json()["code"]) == (
        400,
        "validation_error",
    )
