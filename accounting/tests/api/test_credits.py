import decimal
import uuid

import pytest

from accounting import models, services
from accounting.tests import factories
from accounting.tests.api.conftest import BAD_DATES
from accounting.tests.conftest import ledger_state
from config.testing import assert_problem

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
        {"account_kind": "main", "currency": "USD", "amount": "90.45"},
        {"account_kind": "savings", "currency": "USD", "amount": "10.05"},
    ]
    assert body["transaction"]["counterparty_account"] is None
    assert body["transaction"]["conversion"] is None
    assert "Idempotent-Replayed" not in response.headers


@pytest.mark.parametrize(
    ("given", "dated"),
    [
        ("2026-11-03", "2026-11-03T00:00:00Z"),
        ("2026-11-03T23:30:00-01:00", "2026-11-04T00:30:00Z"),
        ("2026-11-03T10:00:00.1234567Z", "2026-11-03T10:00:00.123456Z"),
    ],
)
def test_a_dated_credit_says_when_it_happened(api_client, holder, given, dated):
    response = post(
        api_client, holder.pk, {"amount": "5.00", "effective_at": given}
    )

    assert response.status_code == 201, response.json()
    transaction = response.json()["transaction"]
    assert transaction["effective_at"] == dated
    assert transaction["occurred_at"] > dated


def test_a_dated_credit_retried_with_another_spelling_replays(
    api_client, holder
):
    """One instant, however written, is one request for its key."""
    first = post(
        api_client,
        holder.pk,
        {"amount": "5", "effective_at": "2026-11-03"},
        key="k-dated",
    )
    again = post(
        api_client,
        holder.pk,
        {"amount": "5.00", "effective_at": "2026-11-03T01:00:00+01:00"},
        key="k-dated",
    )
    other_day = post(
        api_client,
        holder.pk,
        {"amount": "5", "effective_at": "2026-11-04"},
        key="k-dated",
    )

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert_problem(other_day, 422, "idempotency_key_reused")


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
    before = ledger_state()
    reused = post(api_client, holder.pk, {"amount": "6"}, key="abc")
    other_currency = post(
        api_client, holder.pk, {"amount": "5", "currency": "EUR"}, key="abc"
    )

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert_problem(reused, 422, "idempotency_key_reused")
    assert_problem(other_currency, 422, "idempotency_key_reused")
    assert ledger_state() == before
    assert before["transactions"] == before["idempotency_keys"] == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": "1.001"}, "invalid_amount"),
        ({"amount": decimal.Decimal("1.001")}, "invalid_amount"),
        ({"amount": "1e3"}, "invalid_amount"),
        ({"amount": "NaN"}, "invalid_amount"),
        ({"amount": "Infinity"}, "invalid_amount"),
        ({"amount": "-Infinity"}, "invalid_amount"),
        ({"amount": "-5"}, "invalid_amount"),
        ({"amount": "-0.01"}, "invalid_amount"),
        ({"amount": "0"}, "invalid_amount"),
        ({"amount": "0.00"}, "invalid_amount"),
        ({"amount": "1000000000.01"}, "invalid_amount"),
        ({"amount": "1000000001"}, "invalid_amount"),
        ({"amount": "abc"}, "invalid_amount"),
        ({"amount": ""}, "invalid_amount"),
        ({"amount": "1,000"}, "invalid_amount"),
        ({"amount": " 5"}, "invalid_amount"),
        ({"amount": True}, "invalid_amount"),
        ({"amount": [5]}, "invalid_amount"),
        ({"amount": {"value": "5"}}, "invalid_amount"),
        ({}, "validation_error"),
        ({"amount": None}, "validation_error"),
        ({"amount": "1", "currency": "XXX"}, "unsupported_currency"),
        ({"amount": "1", "currency": ""}, "unsupported_currency"),
        ({"amount": "1", "currency": 840}, "unsupported_currency"),
        ({"amount": "1.5", "currency": "JPY"}, "invalid_amount"),
        ({"amount": "1", "source": "x" * 101}, "validation_error"),
        *BAD_DATES,
    ],
)
def test_bad_input_changes_nothing(api_client, funded_holder, body, code):
    before = ledger_state()

    response = post(api_client, funded_holder.pk, body)

    assert_problem(response, 400, code)
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"amount": 1.001}', "invalid_amount"),
        (b'{"amount": 0.001}', "invalid_amount"),
        (b'{"amount": 1e3}', "invalid_amount"),
        (b'{"amount": 1E3}', "invalid_amount"),
        # Any exponent, even one that lands on a whole or valid amount.
        (b'{"amount": 1.5e1}', "invalid_amount"),
        (b'{"amount": 1000e0}', "invalid_amount"),
        (b'{"amount": 1e-2}', "invalid_amount"),
        (b'{"amount": -5}', "invalid_amount"),
        (b'{"amount": -0.5}', "invalid_amount"),
        (b'{"amount": 0}', "invalid_amount"),
        (b'{"amount": 0.00}', "invalid_amount"),
        (b'{"amount": 1000000000.01}', "invalid_amount"),
        (b'{"amount": 1000000001}', "invalid_amount"),
        (b'{"amount": 100000000000000000000000}', "invalid_amount"),
        (b'{"amount": NaN}', "malformed_json"),
        (b'{"amount": Infinity}', "malformed_json"),
        (b'{"amount": -Infinity}', "malformed_json"),
        (b'{"amount": null}', "validation_error"),
    ],
)
def test_bad_json_numbers_change_nothing(api_client, funded_holder, raw, code):
    before = ledger_state()

    response = api_client.post(
        url(funded_holder.pk), data=raw, content_type="application/json"
    )

    assert_problem(response, 400, code)
    assert ledger_state() == before


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "caf\u00e9", "tab\there", "\x7f"]
)
def test_a_bad_idempotency_key_is_refused(api_client, funded_holder, key):
    before = ledger_state()

    response = post(api_client, funded_holder.pk, {"amount": "1"}, key=key)

    assert_problem(response, 400, "invalid_idempotency_key")
    assert ledger_state() == before


def test_the_longest_idempotency_key_is_accepted(api_client, holder):
    response = post(api_client, holder.pk, {"amount": "1"}, key="k" * 255)

    assert response.status_code == 201
    assert models.IdempotencyKey.objects.get().key == "k" * 255


@pytest.mark.parametrize("amount", ["5.00", "5", "4.99", "0.01"])
def test_a_credit_not_above_the_flat_amount_changes_nothing(
    api_client, funded_holder, amount
):
    plan = factories.PlanFactory(flat=True, flat_amount=500)
    services.plan_assign(holder=funded_holder, plan=plan)
    before = ledger_state()

    response = post(api_client, funded_holder.pk, {"amount": amount})

    assert_problem(response, 422, "amount_not_above_flat_amount")
    assert ledger_state() == before


def test_errors_from_the_ledger(api_client, funded_holder):
    before = ledger_state()

    not_open = post(
        api_client, funded_holder.pk, {"amount": "5", "currency": "EUR"}
    )
    unknown = post(api_client, uuid.uuid4(), {"amount": "5"})

    assert_problem(not_open, 422, "account_not_open")
    assert_problem(unknown, 409, "account_not_ready")
    assert unknown.headers["Retry-After"] == "1"
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("post", "credits", {"amount": "5"}),
        ("put", "plan", {"plan_id": None}),
        ("post", "accounts", {"currency": "EUR"}),
    ],
)
def test_a_closed_holder_changes_nothing(
    api_client, funded_holder, method, suffix, body
):
    """A deleted user's token: the holder is closed, every write refused."""
    services.holder_apply_user_event(
        event=services.UserEvent.from_payload(
            factories.user_event(
                user_id=funded_holder.pk, version=2, is_active=False
            )
        )
    )
    before = ledger_state()

    response = getattr(api_client, method)(
        f"/internal/v1/holders/{funded_holder.pk}/{suffix}", body, format="json"
    )

    assert_problem(response, 401, "user_inactive")
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "not_authenticated"),
        ("Bearer a.user.jwt", "not_authenticated"),
        ("Service wrong", "invalid_token"),
    ],
)
def test_a_credit_without_the_service_credential_changes_nothing(
    client, funded_holder, authorization, code
):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    before = ledger_state()

    response = client.post(
        url(funded_holder.pk),
        {"amount": "5"},
        content_type="application/json",
        **headers,
    )

    assert_problem(response, 401, code)
    assert ledger_state() == before
