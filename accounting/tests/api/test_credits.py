import decimal
import uuid

import pytest

from accounting import models, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_counts

pytestmark = pytest.mark.django_db


def url(user_id):
    return f"/internal/v1/holders/{user_id}/credits"


def post(api_client, user_id, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api_client.post(url(user_id), body, format="json", **headers)


def test_credit_with_a_plan(api_client, holder):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())

    response = post(
        api_client,
        holder.pk,
        {"amount": "100.50", "source": "payroll", "description": "Pay"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["balances"] == {"main": "90.45", "savings": "10.05"}
    assert body["transaction"]["amount"] == "100.50"
    assert body["transaction"]["currency"] == "USD"
    assert body["transaction"]["source"] == "payroll"
    assert body["transaction"]["splits"] == [
        {"account_kind": "main", "amount": "90.45"},
        {"account_kind": "savings", "amount": "10.05"},
    ]
    assert "Idempotent-Replayed" not in response.headers


def test_a_json_number_is_parsed_exactly(api_client, holder):
    response = api_client.post(
        url(holder.pk),
        data=b'{"amount": 0.1, "currency": "usd"}',
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["balances"]["main"] == "0.10"


def test_replay_and_reuse_over_http(api_client, holder):
    first = post(api_client, holder.pk, {"amount": "5"}, key="abc")
    again = post(api_client, holder.pk, {"amount": "5.00"}, key="abc")
    reused = post(api_client, holder.pk, {"amount": "6"}, key="abc")

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert models.Transaction.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": "1.001"}, "invalid_amount"),
        ({"amount": decimal.Decimal("1.001")}, "invalid_amount"),
        ({"amount": "1e3"}, "invalid_amount"),
        ({"amount": "NaN"}, "invalid_amount"),
        ({"amount": "Infinity"}, "invalid_amount"),
        ({"amount": "-5"}, "invalid_amount"),
        ({"amount": "0"}, "invalid_amount"),
        ({"amount": "1000000000.01"}, "invalid_amount"),
        ({"amount": "abc"}, "invalid_amount"),
        ({"amount": True}, "invalid_amount"),
        ({}, "validation_error"),
        ({"amount": "1", "currency": "XXX"}, "unsupported_currency"),
        ({"amount": "1.5", "currency": "JPY"}, "invalid_amount"),
        ({"amount": "1", "source": "x" * 101}, "validation_error"),
    ],
)
def test_bad_input_changes_nothing(api_client, holder, body, code):
    before = ledger_counts()

    response = post(api_client, holder.pk, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert ledger_counts() == before


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
def test_a_bad_idempotency_key_is_refused(api_client, holder, key):
    response = post(api_client, holder.pk, {"amount": "1"}, key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert ledger_counts()[0] == 0


def test_errors_from_the_ledger(api_client, holder):
    plan = factories.PlanFactory(flat=True, flat_amount=500)
    services.plan_assign(holder=holder, plan=plan)

    flat = post(api_client, holder.pk, {"amount": "5.00"})
    not_open = post(api_client, holder.pk, {"amount": "5", "currency": "EUR"})
    unknown = post(api_client, uuid.uuid4(), {"amount": "5"})

    assert (flat.status_code, flat.json()["code"]) == (
        422,
        "amount_not_above_flat_amount",
    )
    assert (not_open.status_code, not_open.json()["code"]) == (
        422,
        "account_not_open",
    )
    assert (unknown.status_code, unknown.json()["code"]) == (
        409,
        "account_not_ready",
    )
    assert unknown.headers["Retry-After"] == "1"
    assert ledger_counts()[0] == 0


def test_malformed_json_and_wrong_media_type(api_client, holder):
    bad_json = api_client.post(
        url(holder.pk), data=b"{", content_type="application/json"
    )
    form = api_client.post(
        url(holder.pk), data="amount=5", content_type="text/plain"
    )
    assert bad_json.json()["code"] == "malformed_json"
    assert form.status_code == 415
    assert ledger_counts()[0] == 0
