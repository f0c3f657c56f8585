"""POST /users and GET/PATCH/DELETE /users/{id} of the internal API."""

import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from config.testing import assert_problem
from users.models import IdempotencyKey, OutboxEvent, User
from users.tests.conftest import users_state
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/internal/v1/users"
SIGNUP = {
    "email": "Ada@Example.com",
    "password": PASSWORD,
    "first_name": "Ada",
    "last_name": "Lovelace",
}


def test_signup_returns_the_user(api_client: APIClient) -> None:
    response = api_client.post(USERS, SIGNUP, format="json")

    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {
        "id": str(user.id),
        "email": "Ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
    }
    assert "Idempotent-Replayed" not in response
    assert OutboxEvent.objects.count() == 1


def test_signup_names_are_optional(api_client: APIClient) -> None:
    response = api_client.post(
        USERS, {"email": "ada@example.com", "password": PASSWORD}
    )

    assert response.status_code == 201
    assert response.json()["first_name"] == ""


@pytest.mark.parametrize(
    "body",
    [
        {"password": PASSWORD},
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "ada@example.com"},
        {
            "email": "ada@example.com",
            "password": PASSWORD,
            "first_name": "x" * 151,
        },
    ],
)
def test_signup_bad_input_is_a_validation_error(
    api_client: APIClient, body: dict
) -> None:
    body = assert_problem(api_client.post(USERS, body), 400, "validation_error")

    assert body["errors"]
    assert not User.objects.exists()


def test_signup_weak_password(api_client: APIClient) -> None:
    response = api_client.post(USERS, {**SIGNUP, "password": "123"})

    body = assert_problem(response, 400, "weak_password")
    assert body["errors"]["password"]


def test_signup_duplicate_email(api_client: APIClient) -> None:
    UserFactory(email="ada@example.com")

    assert_problem(api_client.post(USERS, SIGNUP), 409, "email_taken")


def test_signup_malformed_json(api_client: APIClient) -> None:
    response = api_client.post(
        USERS, data="{nope", content_type="application/json"
    )

    assert_problem(response, 400, "malformed_json")


def test_internal_api_needs_the_service_credential() -> None:
    client = APIClient()
    assert_problem(client.post(USERS, SIGNUP), 401, "not_authenticated")
    client.credentials(HTTP_AUTHORIZATION="Service wrong")
    assert_problem(client.post(USERS, SIGNUP), 401, "invalid_token")
    assert not User.objects.exists()


def test_signup_replays_the_same_request(api_client: APIClient) -> None:
    first = api_client.post(USERS, SIGNUP, HTTP_IDEMPOTENCY_KEY="k-1")
    again = api_client.post(USERS, SIGNUP, HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert User.objects.count() == 1


def test_signup_key_reused_with_another_body(api_client: APIClient) -> None:
    api_client.post(USERS, SIGNUP, HTTP_IDEMPOTENCY_KEY="k-1")

    response = api_client.post(
        USERS, {**SIGNUP, "first_name": "Augusta"}, HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert_problem(response, 422, "idempotency_key_reused")
    assert User.objects.get().first_name == "Ada"


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there"])
def test_signup_invalid_idempotency_key(
    api_client: APIClient, key: str
) -> None:
    response = api_client.post(USERS, SIGNUP, HTTP_IDEMPOTENCY_KEY=key)

    assert_problem(response, 400, "invalid_idempotency_key")
    assert not User.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_signup_longest_valid_idempotency_key(api_client: APIClient) -> None:
    key = "~ !" + "x" * 252

    response = api_client.post(USERS, SIGNUP, HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 201
    assert IdempotencyKey.objects.get().key == key


@pytest.mark.django_db(transaction=True)
def test_signup_key_in_flight(
    api_client: APIClient, key_in_flight: str
) -> None:
    response = api_client.post(
        USERS, SIGNUP, HTTP_IDEMPOTENCY_KEY=key_in_flight
    )

    assert_problem(response, 409, "idempotency_key_in_flight")
    assert not User.objects.exists()
    other = api_client.post(USERS, SIGNUP, HTTP_IDEMPOTENCY_KEY="free")
    assert other.status_code == 201


def test_get_user(api_client: APIClient) -> None:
    user = UserFactory()

    response = api_client.get(f"{USERS}/{user.id}")

    assert response.status_code == 200
    assert response.json()["id"] == str(user.id)
    assert response.json()["email"] == user.email


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize(
    "attrs", [None, {"deleted_at": timezone.now()}, {"is_active": False}]
)
def test_unknown_deleted_or_suspended_user_is_inactive(
    api_client: APIClient, method: str, attrs: dict | None
) -> None:
    user_id = uuid.uuid4() if attrs is None else UserFactory(**attrs).id
    before = users_state()

    response = getattr(api_client, method)(
        f"{USERS}/{user_id}", {"first_name": "Grace"}, format="json"
    )

    assert_problem(response, 401, "user_inactive")
    assert users_state() == before


def test_user_id_must_be_a_uuid(api_client: APIClient) -> None:
    assert_problem(api_client.get(f"{USERS}/42"), 404, "not_found")


def test_patch_user(api_client: APIClient) -> None:
    user = UserFactory()

    response = api_client.patch(
        f"{USERS}/{user.id}",
        {"email": "grace@example.com", "first_name": "Grace", "last_name": ""},
    )

    assert response.status_code == 200
    assert response.json()["email"] == "grace@example.com"
    assert response.json()["first_name"] == "Grace"
    assert response.json()["last_name"] == ""
    user.refresh_from_db()
    assert user.version == 2


def test_patch_password(api_client: APIClient) -> None:
    user = UserFactory()
    new = "a-brand-new-passphrase"

    response = api_client.patch(
        f"{USERS}/{user.id}", {"password": new, "current_password": PASSWORD}
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(new)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"password": "a-brand-new-passphrase"},
            400,
            "current_password_required",
        ),
        (
            {"password": "a-brand-new-passphrase", "current_password": "x"},
            400,
            "invalid_current_password",
        ),
        (
            {"password": "123", "current_password": PASSWORD},
            400,
            "weak_password",
        ),
        ({"email": "taken@example.com"}, 409, "email_taken"),
        ({"email": "nope"}, 400, "validation_error"),
    ],
)
def test_patch_errors(
    api_client: APIClient, body: dict, status: int, code: str
) -> None:
    UserFactory(email="taken@example.com")
    user = UserFactory()
    before = users_state()

    assert_problem(api_client.patch(f"{USERS}/{user.id}", body), status, code)
    assert users_state() == before
    user.refresh_from_db()
    assert user.version == 1


def test_delete_user(api_client: APIClient) -> None:
    user = UserFactory()

    response = api_client.delete(f"{USERS}/{user.id}")

    assert response.status_code == 204
    user.refresh_from_db()
    assert user.is_deleted
    assert_problem(
        api_client.delete(f"{USERS}/{user.id}"), 401, "user_inactive"
    )
