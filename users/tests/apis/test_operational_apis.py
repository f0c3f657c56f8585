"""/healthz, /readyz, the OpenAPI schema and unknown URLs."""

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient


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


def test_unknown_url_is_a_problem(api_client: APIClient) -> None:
    response = api_client.get("/internal/v1/nothing")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
