"""POST /holders/{id}/withdrawals: money out of main."""

import uuid

import pytest

from accounting import models, services
from accounting.tests.api.conftest import BAD_DATES
from accounting.tests.conftest import ledger_state
from config.testing import assert_problem

pytestmark = pytest.mark.django_db


def url(user_id):
    return f"/internal/v1/holders/{user_id}/withdrawals"


def post(api_client, user_id, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api_client.post(url(user_id), body, format="json", **headers)


def test_a_withdrawal_with_a_category(api_client, funded_holder):
    response = post(
        api_client,
        funded_holder.pk,
        {"amount": "10.5", "category": "groceries", "description": "Market"},
    )

    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response.headers
    body = response.json()
    txn = body["transaction"]
    assert (txn["kind"], txn["amount"], txn["currency"]) == (
        "withdrawal",
        "10.50",
        "USD",
    )
    assert (txn["category"], txn["description"], txn["source"]) == (
        "groceries",
        "Market",
        "",
    )
    assert (txn["plan"], txn["counterparty_account"], txn["conversion"]) == (
        None,
        None,
        None,
    )
    assert txn["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "-10.50"}
    ]
    assert body["balances"] == {"main": "79.50", "savings": "10.00"}
    detail = api_client.get(
        f"/internal/v1/holders/{funded_holder.pk}/transactions/{txn['id']}"
    )
    assert detail.json() == txn
    listed = api_client.get(
        f"/internal/v1/holders/{funded_holder.pk}/transactions",
        {"kind": "withdrawal"},
    ).json()["results"]
    assert listed == [txn]


@pytest.mark.parametrize("category", ["absent", None, "", "   "])
def test_no_category_is_null(api_client, funded_holder, category):
    body = {"amount": "1"}
    if category != "absent":
        body["category"] = category

    response = post(api_client, funded_holder.pk, body)

    assert response.status_code == 201, response.content
    assert response.json()["transaction"]["category"] is None
    assert models.Transaction.objects.get(kind="withdrawal").category is None


def test_a_jpy_withdrawal(api_client, wallets):
    services.credit_apply(holder_id=wallets.pk, amount=500, currency="JPY")

    response = post(api_client, wallets.pk, {"amount": 499, "currency": "JPY"})

    assert response.status_code == 201, response.content
    assert response.json()["balances"] == {"main": "1", "savings": "0"}


@pytest.mark.parametrize("amount", ["90.01", "100"])
def test_insufficient_funds_writes_nothing(api_client, funded_holder, amount):
    """Main holds 90.00; the 10.00 in savings is not withdrawn."""
    before = ledger_state()

    response = post(api_client, funded_holder.pk, {"amount": amount}, key="w")

    body = assert_problem(response, 422, "insufficient_funds")
    assert "90.00 USD" in body["detail"]
    assert ledger_state() == before


def test_a_closed_wallet_or_none(api_client, funded_holder):
    services.account_close(account=funded_holder.accounts.get(kind="savings"))
    before = ledger_state()

    closed = post(api_client, funded_holder.pk, {"amount": "1"})
    not_open = post(
        api_client, funded_holder.pk, {"amount": "1", "currency": "EUR"}
    )
    unknown = post(api_client, uuid.uuid4(), {"amount": "1"})

    assert_problem(closed, 422, "account_closed")
    assert_problem(not_open, 422, "account_not_open")
    assert_problem(unknown, 409, "account_not_ready")
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "validation_error"),
        ({"amount": "1.001"}, "invalid_amount"),
        ({"amount": "0"}, "invalid_amount"),
        ({"amount": "abc"}, "invalid_amount"),
        ({"amount": "1.5", "currency": "JPY"}, "invalid_amount"),
        ({"amount": "1", "currency": "XXX"}, "unsupported_currency"),
        ({"amount": "1", "category": "x" * 101}, "validation_error"),
        ({"amount": "1", "category": ["food"]}, "validation_error"),
        ({"amount": "1", "description": "x" * 501}, "validation_error"),
        *BAD_DATES,
    ],
)
def test_bad_input_changes_nothing(api_client, funded_holder, body, code):
    before = ledger_state()

    response = post(api_client, funded_holder.pk, body)

    assert_problem(response, 400, code)
    assert ledger_state() == before


def test_replay_and_key_reuse(api_client, funded_holder):
    body = {"amount": "5", "category": "rent", "description": "May"}
    first = post(api_client, funded_holder.pk, body, key="w-1")
    before = ledger_state()

    again = post(
        api_client,
        funded_holder.pk,
        {**body, "amount": "5.00", "currency": "USD"},
        key="w-1",
    )
    reused = [
        post(api_client, funded_holder.pk, {**body, **change}, key="w-1")
        for change in (
            {"amount": "6"},
            {"category": "food"},
            {"category": None},
            {"description": "June"},
            {"currency": "EUR"},
        )
    ]
    as_credit = api_client.post(
        f"/internal/v1/holders/{funded_holder.pk}/credits",
        {"amount": "5", "description": "May"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="w-1",
    )

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    for response in [*reused, as_credit]:
        assert_problem(response, 422, "idempotency_key_reused")
    assert ledger_state() == before


def test_a_blank_category_replays_as_none(api_client, funded_holder):
    first = post(api_client, funded_holder.pk, {"amount": "1"}, key="w-2")
    again = post(
        api_client, funded_holder.pk, {"amount": "1", "category": ""}, key="w-2"
    )

    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
