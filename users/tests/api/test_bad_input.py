"""Bad input to the users service: a problem with a stable code, and no change.

Every refused request leaves the users, their versions, the outbox, the
idempotency keys and the refresh tokens as they were
(:func:`users.tests.conftest.users_state`, taken before and after).
"""

import base64
import datetime as dt
import json
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from config.testing import assert_problem
from users.models import User
from users.tests.conftest import users_state
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/internal/v1/users"
TOKENS = "/internal/v1/tokens"
REFRESH = "/internal/v1/tokens/refresh"
LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.fixture
def member(api_client: APIClient) -> dict[str, Any]:
    """A user signed up with a key (outbox row, key) and logged in."""
    signup = {"email": "ada@example.com", "password": PASSWORD}
    created = api_client.post(USERS, signup, HTTP_IDEMPOTENCY_KEY="k-1")
    assert created.status_code == 201
    tokens = api_client.post(TOKENS, signup).json()
    return {"id": created.json()["id"], **signup, **tokens}


def _writes(member: dict[str, Any]) -> dict[str, tuple[str, str, dict]]:
    """Each write endpoint: (method, path, a body it accepts)."""
    return {
        "signup": (
            "post",
            USERS,
            {"email": "grace@example.com", "password": PASSWORD},
        ),
        "update": ("patch", f"{USERS}/{member['id']}", {"first_name": "G"}),
        "login": (
            "post",
            TOKENS,
            {"email": member["email"], "password": PASSWORD},
        ),
        "refresh": ("post", REFRESH, {"refresh": member["refresh"]}),
    }


BAD_BODIES = {
    "unclosed": (b"{", "application/json", 400, "malformed_json"),
    "trailing-comma": (
        b'{"a": 1, }',
        "application/json",
        400,
        "malformed_json",
    ),
    "nan": (b'{"a": NaN}', "application/json", 400, "malformed_json"),
    "not-utf8": (b"\xff\xfe{}", "application/json", 400, "malformed_json"),
    "array": (b"[]", "application/json", 400, "validation_error"),
    "text": (None, "text/plain", 415, "unsupported_media_type"),
    "form": (
        None,
        "application/x-www-form-urlencoded",
        415,
        "unsupported_media_type",
    ),
    "over-1MiB": (None, "application/json", 413, "payload_too_large"),
}


@pytest.mark.parametrize("write", ["signup", "update", "login", "refresh"])
@pytest.mark.parametrize("bad", BAD_BODIES.values(), ids=BAD_BODIES)
def test_an_unreadable_body_changes_nothing(
    api_client: APIClient, member: dict, write: str, bad: tuple
) -> None:
    method, path, valid = _writes(member)[write]
    raw, content_type, status, code = bad
    document = json.dumps(valid).encode()
    if status == 413:
        # A valid document padded with whitespace one byte past the limit.
        raw = document + b" " * (LIMIT + 1 - len(document))
    elif raw is None:
        raw = document  # readable JSON, sent under the wrong media type
    before = users_state()

    response = getattr(api_client, method)(
        path, data=raw, content_type=content_type
    )

    assert_problem(response, status, code)
    assert users_state() == before


@pytest.mark.parametrize("write", ["signup", "update", "login", "refresh"])
def test_a_body_of_exactly_1_mib_is_read(
    api_client: APIClient, member: dict, write: str
) -> None:
    method, path, valid = _writes(member)[write]
    document = json.dumps(valid).encode()
    raw = document + b" " * (LIMIT - len(document))

    response = getattr(api_client, method)(
        path, data=raw, content_type="application/json"
    )

    assert response.status_code in {200, 201}, response.content


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unusable_refresh_token(kind: str, member: dict) -> Any:
    """Builds a refresh token the service must refuse."""
    header, payload, signature = member["refresh"].split(".")
    claims = jwt.decode(member["refresh"], options={"verify_signature": False})
    expired = RefreshToken.for_user(User.objects.get(pk=member["id"]))
    expired.set_exp(lifetime=-dt.timedelta(seconds=1))
    other_id = str(UserFactory().id)
    flipped = "A" if signature[-2] != "A" else "B"
    return {
        "expired": str(expired),
        "tampered-claims": (
            f"{header}.{_b64({**claims, 'user_id': other_id})}.{signature}"
        ),
        "tampered-signature": (
            f"{header}.{payload}.{signature[:-2]}{flipped}{signature[-1]}"
        ),
        "unsigned": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "hs256-forged": jwt.encode(claims, "k" * 32, algorithm="HS256"),
        "access-token": member["access"],
        "garbage": "x.y.z",
        "blank": "",
        "null": None,
    }.get(kind)


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("expired", 401, "invalid_token"),
        ("tampered-claims", 401, "invalid_token"),
        ("tampered-signature", 401, "invalid_token"),
        ("unsigned", 401, "invalid_token"),
        ("hs256-forged", 401, "invalid_token"),
        ("access-token", 401, "invalid_token"),
        ("garbage", 401, "invalid_token"),
        ("missing", 400, "validation_error"),
        ("blank", 400, "validation_error"),
        ("null", 400, "validation_error"),
    ],
)
def test_an_unusable_refresh_token_changes_nothing(
    api_client: APIClient, member: dict, kind: str, status: int, code: str
) -> None:
    token = _unusable_refresh_token(kind, member)
    body = {} if kind == "missing" else {"refresh": token}
    before = users_state()

    response = api_client.post(REFRESH, body, format="json")

    assert_problem(response, status, code)
    assert users_state() == before


def test_a_deleted_users_tokens_change_nothing(
    api_client: APIClient, member: dict
) -> None:
    assert api_client.delete(f"{USERS}/{member['id']}").status_code == 204
    before = users_state()

    refresh = api_client.post(REFRESH, {"refresh": member["refresh"]})
    login = api_client.post(
        TOKENS, {"email": member["email"], "password": PASSWORD}
    )
    read = api_client.get(f"{USERS}/{member['id']}")
    update = api_client.patch(f"{USERS}/{member['id']}", {"first_name": "G"})
    delete = api_client.delete(f"{USERS}/{member['id']}")

    assert_problem(refresh, 401, "invalid_token")
    assert_problem(login, 401, "invalid_credentials")
    for response in (read, update, delete):
        assert_problem(response, 401, "user_inactive")
    assert users_state() == before
    assert User.objects.get(pk=member["id"]).deleted_at <= timezone.now()


REUSED = (422, "idempotency_key_reused")
INVALID_KEY = (400, "invalid_idempotency_key")


@pytest.mark.parametrize(
    ("key", "body", "expected"),
    [
        ("k-1", {"email": "grace@example.com"}, REUSED),
        ("k-1", {"email": "ada@example.com", "first_name": "Augusta"}, REUSED),
        ("x" * 256, {"email": "grace@example.com"}, INVALID_KEY),
        ("", {"email": "grace@example.com"}, INVALID_KEY),
        ("clé", {"email": "grace@example.com"}, INVALID_KEY),
    ],
)
def test_a_reused_or_invalid_idempotency_key_changes_nothing(
    api_client: APIClient, member: dict, key: str, body: dict, expected: tuple
) -> None:
    """``k-1`` signed up ada@example.com (no names) in ``member``."""
    before = users_state()

    response = api_client.post(
        USERS, {"password": PASSWORD, **body}, HTTP_IDEMPOTENCY_KEY=key
    )

    assert_problem(response, *expected)
    assert users_state() == before


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "not_authenticated"),
        ("Bearer a.user.jwt", "not_authenticated"),
        ("Service wrong", "invalid_token"),
    ],
)
@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_write_without_the_service_credential_changes_nothing(
    member: dict, authorization: str | None, code: str, method: str
) -> None:
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    before = users_state()

    response = getattr(client, method)(
        f"{USERS}/{member['id']}", {"first_name": "G"}, format="json"
    )

    assert_problem(response, 401, code)
    assert users_state() == before
