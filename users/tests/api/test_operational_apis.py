"""/healthz, /readyz, the OpenAPI schema and unknown URLs."""

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config.testing import documented_problems


def test_healthz_needs_no_credential() -> None:
    response = APIClient().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database() -> None:
    response = APIClient().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.fixture
def database_down() -> Iterator[None]:
    """Points the default connection at a closed port, then back."""
    connection.close()
    port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = 1
    yield
    connection.close()
    connection.settings_dict["PORT"] = port


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_database_is_down(database_down: None) -> None:
    del database_down

    response = APIClient().get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "database_unavailable"


def test_schema_needs_the_credential(api_client: APIClient) -> None:
    assert APIClient().get("/internal/v1/schema/").status_code == 401

    response = api_client.get("/internal/v1/schema/?format=json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) >= {
        "/internal/v1/users",
        "/internal/v1/users/{user_id}",
        "/internal/v1/tokens",
        "/internal/v1/tokens/refresh",
    }


def test_schema_generates_without_warnings(tmp_path) -> None:
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--fail-on-warn", "--file", str(target))

    text = target.read_text()
    assert "serviceToken" in text
    assert "email_taken" in text


def test_the_schema_is_json_when_json_is_accepted(api_client) -> None:
    response = api_client.get(
        "/internal/v1/schema/", HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["openapi"].startswith("3.")
    as_yaml = api_client.get("/internal/v1/schema/", {"format": "yaml"})
    assert as_yaml.content.startswith(b"openapi: 3")


# Per operation, every problem code it documents.
SERVICE_CREDENTIAL = {"not_authenticated", "invalid_token"}
JSON_BODY = {
    "400": {"malformed_json", "validation_error"},
    "413": {"payload_too_large"},
    "415": {"unsupported_media_type"},
}
UNKNOWN_USER = {"401": {"user_inactive"}, "404": {"not_found"}}
OUTAGE = {"503": {"database_unavailable"}}
PROBLEMS = {
    ("post", "/internal/v1/users"): {
        **OUTAGE,
        **JSON_BODY,
        "400": JSON_BODY["400"] | {"weak_password", "invalid_idempotency_key"},
        "401": SERVICE_CREDENTIAL,
        "409": {"email_taken", "idempotency_key_in_flight"},
        "422": {"idempotency_key_reused"},
    },
    ("get", "/internal/v1/users/{user_id}"): {
        **OUTAGE,
        **UNKNOWN_USER,
        "401": SERVICE_CREDENTIAL | {"user_inactive"},
    },
    ("patch", "/internal/v1/users/{user_id}"): {
        **OUTAGE,
        **JSON_BODY,
        **UNKNOWN_USER,
        "400": JSON_BODY["400"]
        | {
            "weak_password",
            "current_password_required",
            "invalid_current_password",
        },
        "401": SERVICE_CREDENTIAL | {"user_inactive"},
        "409": {"email_taken"},
    },
    ("delete", "/internal/v1/users/{user_id}"): {
        **OUTAGE,
        **UNKNOWN_USER,
        "401": SERVICE_CREDENTIAL | {"user_inactive"},
    },
    ("post", "/internal/v1/tokens"): {
        **OUTAGE,
        **JSON_BODY,
        "401": SERVICE_CREDENTIAL | {"invalid_credentials"},
    },
    ("post", "/internal/v1/tokens/refresh"): {
        **OUTAGE,
        **JSON_BODY,
        "401": SERVICE_CREDENTIAL,
    },
    ("get", "/healthz"): {},
    ("get", "/readyz"): OUTAGE,
}


def test_every_error_is_a_documented_problem() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    documented = {
        (method, path): documented_problems(operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }

    assert documented == PROBLEMS


def test_unknown_url_is_a_problem(api_client: APIClient) -> None:
    response = api_client.get("/internal/v1/nothing")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
