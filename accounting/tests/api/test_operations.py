import pytest
from django.core.management import call_command
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from accounting import apis, services, wire
from accounting.tests import factories


def test_healthz_needs_nothing(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_database_is_down(client, monkeypatch):
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    try:
        response = client.get("/readyz")
    finally:
        connection.close()
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "database_unavailable"


@pytest.mark.django_db
def test_the_schema_is_served_and_valid(api_client):
    response = api_client.get("/internal/v1/schema/")
    assert response.status_code == 200
    schema = response.json()
    paths = set(schema["paths"])
    assert "/internal/v1/holders/{user_id}/credits" in paths
    assert "/internal/v1/holders/{user_id}/transactions/{transaction_id}" in (
        paths
    )
    as_yaml = api_client.get("/internal/v1/schema/", {"format": "yaml"})
    assert as_yaml.content.startswith(b"openapi: 3")


def test_the_schema_generates_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    credit = schema["paths"]["/internal/v1/holders/{user_id}/credits"]["post"]
    assert set(credit["responses"]) == {"201", "400", "401", "409", "422"}
    assert any(p["name"] == "Idempotency-Key" for p in credit["parameters"])


@pytest.mark.django_db
def test_wire_documents_match_the_documented_serializers(holder):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    result = services.credit_apply(
        holder_id=holder.pk, amount=1234, currency="USD"
    )
    documents = [
        (apis.CreditCreateApi.OutputSerializer, result.body),
        (apis.HolderPlanSerializer, wire.holder_plan_data(holder)),
        (
            apis.AccountListApi.OutputSerializer,
            {"results": [wire.account_data(a) for a in holder.accounts.all()]},
        ),
    ]
    for serializer_class, document in documents:
        serializer = serializer_class(data=document)
        assert serializer.is_valid(), serializer.errors
