import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework import serializers

from accounting import models, selectors, services, wire
from accounting.api import accounts, movements, outputs
from accounting.api import rates as rate_apis
from accounting.tests import factories
from accounting.tests.api.conftest import main_account
from config.problems import OUTAGE_RETRY_AFTER
from config.testing import assert_problem, documented_problems


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


OPENAPI_JSON = "application/vnd.oai.openapi+json"


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/json", "application/json"),
        (OPENAPI_JSON, OPENAPI_JSON),
        ("application/yaml", "application/yaml"),
        ("*/*", OPENAPI_JSON),
    ],
)
def test_the_schema_is_served_as_asked(api_client, accept, content_type):
    response = api_client.get("/internal/v1/schema/", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == content_type
    assert b"openapi" in response.content[:40]


# What every money movement documents, besides its own codes.
MOVEMENT_CODES = {
    "400": {
        "malformed_json",
        "validation_error",
        "invalid_amount",
        "unsupported_currency",
        "invalid_idempotency_key",
    },
    "401": {"not_authenticated", "invalid_token", "user_inactive"},
    "404": {"not_found"},
    "409": {"account_not_ready", "idempotency_key_in_flight"},
    "413": {"payload_too_large"},
    "415": {"unsupported_media_type"},
    "422": {
        "account_not_open",
        "account_closed",
        "account_frozen",
        "idempotency_key_reused",
    },
    "503": {"database_unavailable"},
}
MOVEMENTS = {
    "credits": {"422": {"amount_not_above_flat_amount"}},
    "transfers": {
        "404": {"account_not_found"},
        "422": {
            "same_account",
            "currency_mismatch",
            "insufficient_funds",
            "savings_locked",
        },
    },
    "withdrawals": {"422": {"insufficient_funds"}},
    "conversions": {
        "400": {"same_currency"},
        "422": {"rate_unavailable", "amount_too_small", "insufficient_funds"},
    },
    "groups/{group_id}/contributions": {
        "404": {"group_not_found"},
        "422": {"currency_mismatch", "insufficient_funds"},
    },
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_generates_without_warnings(tmp_path, schema):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )
    validate_schema(schema)
    rates = schema["paths"]["/internal/v1/rates"]["get"]
    assert set(rates["responses"]) == {"200", "400", "401", "503"}
    assert [p["name"] for p in rates["parameters"]] == ["base", "holder"]
    components = schema["components"]["schemas"]
    assert components["TransactionKindEnum"]["enum"] == [
        "credit",
        "transfer_out",
        "transfer_in",
        "withdrawal",
        "conversion",
        "savings_release",
        "group_contribution",
        "reversal",
    ]
    # A transfer names its recipient; a savings release names none.
    transfer, release = (
        components[ref.split("/")[-1]]
        for ref in (
            each["$ref"] for each in components["TransferInputRequest"]["oneOf"]
        )
    )
    assert components["TransferToInputKindEnum"]["enum"] == ["transfer"]
    assert "to_account" in transfer["required"]
    assert components["SavingsReleaseInputKindEnum"]["enum"] == [
        "savings_release"
    ]
    assert release["required"] == ["amount", "kind"]
    assert release["properties"]["to_account"]["not"] == {"type": "string"}
    assert (
        transfer["additionalProperties"]
        is release["additionalProperties"]
        is False
    )


@pytest.mark.parametrize("suffix", list(MOVEMENTS))
def test_each_movement_documents_its_codes_and_the_shared_ones(schema, suffix):
    operation = schema["paths"][f"/internal/v1/holders/{{user_id}}/{suffix}"][
        "post"
    ]
    expected = {
        status: codes | MOVEMENTS[suffix].get(status, set())
        for status, codes in MOVEMENT_CODES.items()
    }
    assert documented_problems(operation) == expected
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


def test_every_error_is_a_documented_problem(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = documented_problems(operation)
            if path.startswith("/internal/"):
                assert {"not_authenticated", "invalid_token"} <= codes["401"]
                assert codes["503"] == {"database_unavailable"}
            # A holder's operations refuse a closed holder, but the
            # summary for staff, who look at deleted users too.
            if "{user_id}" in path and not path.endswith("/summary"):
                assert {"user_inactive"} <= codes["401"], (path, method)
            if "{user_id}" in path:
                assert "not_found" in codes["404"], (path, method)
                assert codes["409"] >= {"account_not_ready"}, (path, method)
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                assert "malformed_json" in codes["400"], (path, method)
            if body:
                assert set(codes) >= {"413", "415"}, (path, method)
    readyz = schema["paths"]["/readyz"]["get"]
    assert documented_problems(readyz) == {"503": {"database_unavailable"}}


def assert_same_shape(serializer, document, where="body"):
    """Fails unless document has exactly the serializer's fields, nested."""
    if isinstance(serializer, serializers.ListSerializer):
        for index, item in enumerate(document):
            assert_same_shape(serializer.child, item, f"{where}[{index}]")
        return
    assert set(document) == set(serializer.fields), where
    for name, field in serializer.fields.items():
        value = document[name]
        if isinstance(field, serializers.BaseSerializer) and value is not None:
            assert_same_shape(field, value, f"{where}.{name}")


@pytest.mark.django_db
def test_wire_documents_match_the_documented_serializers(holder, rates):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    credit = services.credit_apply(
        holder_id=holder.pk, amount=10_000, currency="USD"
    )
    recipient = factories.HolderFactory()
    transfer = services.transfer_apply(
        holder_id=holder.pk,
        to_account=uuid.UUID(main_account(recipient)),
        amount=100,
        currency="USD",
    )
    release = services.savings_release_apply(
        holder_id=holder.pk, amount=100, currency="USD"
    )
    withdrawal = services.withdrawal_apply(
        holder_id=holder.pk, amount=100, currency="USD", category="food"
    )
    services.account_open(holder=holder, currency="EUR")
    conversion = services.conversion_apply(
        holder_id=holder.pk, from_currency="USD", to_currency="EUR", amount=100
    )
    services.account_close(account=recipient.accounts.get(kind="main"))
    received = selectors.transactions_page(holder=recipient).results
    documents = [
        (movements.CreditCreateApi.OutputSerializer, credit.body),
        (movements.TransferCreateApi.OutputSerializer, transfer.body),
        (movements.TransferCreateApi.OutputSerializer, release.body),
        (movements.WithdrawalCreateApi.OutputSerializer, withdrawal.body),
        (movements.ConversionCreateApi.OutputSerializer, conversion.body),
        (
            outputs.TransactionSerializer,
            selectors.transaction_data(received[0]),
        ),
        (outputs.HolderPlanSerializer, wire.holder_plan_data(holder)),
        (
            accounts.AccountListApi.OutputSerializer,
            {
                "results": [
                    wire.account_data(a) for a in recipient.accounts.all()
                ]
            },
        ),
        (
            rate_apis.RateListApi.OutputSerializer,
            {
                "at": "2026-11-21T10:00:00Z",
                "results": [wire.rate_data(r) for r in rates.values()],
            },
        ),
    ]
    for serializer_class, document in documents:
        serializer = serializer_class(data=document)
        assert serializer.is_valid(), (serializer.errors, document)
        assert_same_shape(serializer_class(), document)
    # Every optional part was present somewhere above.
    assert conversion.body["transaction"]["conversion"] is not None
    assert transfer.body["transaction"]["counterparty_account"] is not None
    assert credit.body["transaction"]["plan"] is not None
    assert recipient.accounts.get(kind="main").closed_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_credit_while_the_database_is_out_is_503_and_retryable(
    api_client, holder, monkeypatch
):
    url = f"/internal/v1/holders/{holder.pk}/credits"
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    try:
        response = api_client.post(
            url, {"amount": "5.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
        )
    finally:
        connection.close()
        monkeypatch.undo()

    body = assert_problem(response, 503, "database_unavailable")
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER)
    assert "retry later" in body["detail"]
    # Nothing was written; the same request, once the database is back,
    # applies once.
    assert not models.Transaction.objects.exists()
    again = api_client.post(
        url, {"amount": "5.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert again.status_code == 201
    assert models.Transaction.objects.count() == 1
