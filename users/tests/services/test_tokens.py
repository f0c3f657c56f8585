"""token_obtain and token_refresh: RS256 JWTs from simplejwt."""

import uuid

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from users import services
from users.errors import UsersError
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _claims(token: str) -> dict:
    """Verifies a token with the public key, as the gateway does."""
    return jwt.decode(
        token,
        settings.SIMPLE_JWT["VERIFYING_KEY"],
        algorithms=["RS256"],
        issuer=settings.JWT_ISSUER,
    )


def test_obtain_returns_rs256_tokens_naming_the_user() -> None:
    user = UserFactory(email="Ada@example.com")

    tokens = services.token_obtain(email="ada@EXAMPLE.com", password=PASSWORD)

    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == settings.JWT_ACCESS_TOKEN_LIFETIME
    assert jwt.get_unverified_header(tokens["access"])["alg"] == "RS256"
    access = _claims(tokens["access"])
    refresh = _claims(tokens["refresh"])
    assert access["user_id"] == str(user.id)
    assert uuid.UUID(access["user_id"]) == user.id
    assert access["token_type"] == "access"
    assert refresh["token_type"] == "refresh"
    assert refresh["user_id"] == str(user.id)
    lifetime = access["exp"] - access["iat"]  # Whole seconds, truncated.
    assert abs(lifetime - settings.JWT_ACCESS_TOKEN_LIFETIME) <= 1
    user.refresh_from_db()
    assert user.last_login is not None


def test_obtain_leaves_last_login_alone_when_told(settings) -> None:
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "UPDATE_LAST_LOGIN": False}
    user = UserFactory()

    services.token_obtain(email=user.email, password=PASSWORD)

    user.refresh_from_db()
    assert user.last_login is None


@pytest.mark.parametrize(
    ("attrs", "email", "password"),
    [
        ({}, "ada@example.com", "wrong-password"),
        ({}, "nobody@example.com", PASSWORD),
        ({}, "not an email", PASSWORD),
        ({"is_active": False}, "ada@example.com", PASSWORD),
        ({"deleted_at": timezone.now()}, "ada@example.com", PASSWORD),
    ],
)
def test_obtain_gives_one_answer_to_every_bad_login(
    attrs: dict, email: str, password: str
) -> None:
    UserFactory(email="ada@example.com", **attrs)

    with pytest.raises(UsersError) as caught:
        services.token_obtain(email=email, password=password)

    assert caught.value.code == "invalid_credentials"
    assert caught.value.detail == "Invalid email or password."


def test_refresh_rotates_and_blacklists_the_old_token() -> None:
    user = UserFactory()
    tokens = services.token_obtain(email=user.email, password=PASSWORD)

    renewed = services.token_refresh(refresh=tokens["refresh"])

    assert renewed["refresh"] != tokens["refresh"]
    assert _claims(renewed["access"])["user_id"] == str(user.id)
    assert renewed["token_type"] == "Bearer"
    with pytest.raises(UsersError) as caught:
        services.token_refresh(refresh=tokens["refresh"])
    assert caught.value.code == "invalid_token"
    assert services.token_refresh(refresh=renewed["refresh"])["access"]


def test_refresh_without_rotation_keeps_the_token(settings) -> None:
    settings.SIMPLE_JWT = {
        **settings.SIMPLE_JWT,
        "ROTATE_REFRESH_TOKENS": False,
    }
    user = UserFactory()
    tokens = services.token_obtain(email=user.email, password=PASSWORD)

    renewed = services.token_refresh(refresh=tokens["refresh"])

    assert renewed["refresh"] == tokens["refresh"]
    assert services.token_refresh(refresh=tokens["refresh"])["access"]


def test_rotation_without_blacklist_keeps_the_old_token_usable(
    settings,
) -> None:
    settings.SIMPLE_JWT = {
        **settings.SIMPLE_JWT,
        "BLACKLIST_AFTER_ROTATION": False,
    }
    user = UserFactory()
    tokens = services.token_obtain(email=user.email, password=PASSWORD)

    renewed = services.token_refresh(refresh=tokens["refresh"])

    assert renewed["refresh"] != tokens["refresh"]
    assert services.token_refresh(refresh=tokens["refresh"])["access"]


@pytest.mark.parametrize("attrs", [{"is_active": False}, {"deleted": True}])
def test_refresh_refuses_a_suspended_or_deleted_user(attrs: dict) -> None:
    user = UserFactory()
    tokens = services.token_obtain(email=user.email, password=PASSWORD)
    if attrs.get("deleted"):
        user.deleted_at = timezone.now()
    else:
        user.is_active = False
    user.save()

    with pytest.raises(UsersError) as caught:
        services.token_refresh(refresh=tokens["refresh"])

    assert caught.value.code == "invalid_token"


@pytest.mark.parametrize("kind", ["garbage", "access"])
def test_refresh_refuses_what_is_not_a_refresh_token(kind: str) -> None:
    user = UserFactory()
    tokens = services.token_obtain(email=user.email, password=PASSWORD)
    token = "not.a.jwt" if kind == "garbage" else tokens["access"]

    with pytest.raises(UsersError) as caught:
        services.token_refresh(refresh=token)

    assert caught.value.code == "invalid_token"
