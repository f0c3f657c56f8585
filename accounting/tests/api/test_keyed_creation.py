"""POST goals and POST groups honour Idempotency-Key, as money POSTs do."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounting import models
from accounting.tests.conftest import ledger_state
from config.testing import assert_problem, documented_problems

pytestmark = pytest.mark.django_db

BODY = {"name": "Summer trip", "target_amount": "300", "currency": "usd"}
# What a creation endpoint writes: its rows, and the ledger and keys.
CREATIONS = pytest.mark.parametrize(
    ("suffix", "model"),
    [("goals", models.Goal), ("groups", models.SavingsGroup)],
)


def post(api_client, holder, suffix, body=BODY, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api_client.post(
        f"/internal/v1/holders/{holder.pk}/{suffix}",
        body,
        format="json",
        **headers,
    )


def state(model):
    return model.objects.count(), ledger_state()


@CREATIONS
def test_a_retry_replays_the_first_answer(api_client, holder, suffix, model):
    first = post(api_client, holder, suffix, key="trip")
    before = state(model)

    # The same request, written differently: "300.00" is "300", USD "usd".
    again = post(
        api_client,
        holder,
        suffix,
        {**BODY, "target_amount": "300.00", "currency": "USD"},
        key="trip",
    )

    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert state(model) == before
    assert before[0] == 1


@CREATIONS
def test_another_body_under_the_key_is_refused(
    api_client, holder, suffix, model
):
    post(api_client, holder, suffix, key="trip")
    before = state(model)

    response = post(
        api_client, holder, suffix, {**BODY, "name": "Winter"}, key="trip"
    )

    assert_problem(response, 422, "idempotency_key_reused")
    assert state(model) == before


@CREATIONS
def test_a_key_is_one_operation(api_client, holder, suffix, model):
    """A key used to set a goal is spent for a group, and the other way."""
    other = "groups" if suffix == "goals" else "goals"
    post(api_client, holder, other, key="trip")
    before = state(model)

    response = post(api_client, holder, suffix, key="trip")

    assert_problem(response, 422, "idempotency_key_reused")
    assert state(model) == before


@CREATIONS
@pytest.mark.parametrize("key", ["", "x" * 256, "café"])
def test_a_malformed_key_is_refused(api_client, holder, suffix, model, key):
    before = state(model)

    response = post(api_client, holder, suffix, key=key)

    assert_problem(response, 400, "invalid_idempotency_key")
    assert state(model) == before


@CREATIONS
def test_without_a_key_each_request_creates(api_client, holder, suffix, model):
    first = post(api_client, holder, suffix)
    second = post(api_client, holder, suffix)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert model.objects.count() == 2
    assert not models.IdempotencyKey.objects.exists()


@pytest.mark.parametrize("suffix", ["goals", "groups"])
def test_the_schema_documents_the_key_and_its_problems(suffix):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][f"/internal/v1/holders/{{user_id}}/{suffix}"][
        "post"
    ]

    key = next(p for p in operation["parameters"] if p["in"] == "header")
    assert key["name"] == "Idempotency-Key"
    assert key["schema"]["pattern"] == "^[ -~]+$"
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
    codes = documented_problems(operation)
    assert "invalid_idempotency_key" in codes["400"]
    assert "idempotency_key_in_flight" in codes["409"]
    assert codes["422"] == {"idempotency_key_reused"}
