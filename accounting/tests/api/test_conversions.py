"""POST /holders/{id}/conversions: between a holder's own wallets."""

import datetime as dt
import decimal
import uuid

import pytest
from django.utils import timezone

from accounting import models, selectors, services
from accounting.tests.api.conftest import RATES_FROM
from accounting.tests.conftest import ledger_state
from config import timeparse
from config.testing import assert_problem

pytestmark = pytest.mark.django_db


def url(user_id):
    return f"/internal/v1/holders/{user_id}/conversions"


def post(api_client, user_id, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api_client.post(url(user_id), body, format="json", **headers)


def convert(from_currency, to_currency, amount, **extra):
    return {
        "from_currency": from_currency,
        "to_currency": to_currency,
        "amount": amount,
        **extra,
    }


def test_a_conversion_records_both_sides_and_the_rate(
    api_client, wallets, rates
):
    response = post(
        api_client, wallets.pk, convert("USD", "EUR", "50", description="Trip")
    )

    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response.headers
    body = response.json()
    txn = body["transaction"]
    assert (txn["kind"], txn["amount"], txn["currency"]) == (
        "conversion",
        "50.00",
        "USD",
    )
    assert txn["description"] == "Trip"
    assert txn["counterparty_account"] is None
    assert txn["conversion"] == {
        "to_amount": "46.00",
        "to_currency": "EUR",
        "rate": "0.92",
    }
    assert txn["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "-50.00"},
        {"account_kind": "main", "currency": "EUR", "amount": "46.00"},
    ]
    assert body["rate"] == {
        "base": "USD",
        "quote": "EUR",
        "rate": "0.92",
        "valid_from": timeparse.format_instant(RATES_FROM),
    }
    assert body["balances"] == {"main": "40.00", "savings": "10.00"}
    assert body["to_balances"] == {"main": "46.00", "savings": "0.00"}
    stored = models.Transaction.objects.get(pk=txn["id"])
    assert stored.rate == rates["USD", "EUR"]
    assert [f for f in selectors.ledger_verify() if f.count] == []
    # Listed under either currency, and by kind.
    path = f"/internal/v1/holders/{wallets.pk}/transactions"
    for query in ({"currency": "EUR"}, {"kind": "conversion"}):
        assert api_client.get(path, query).json()["results"] == [txn]
    eur = api_client.get(
        f"/internal/v1/holders/{wallets.pk}/balance", {"currency": "EUR"}
    ).json()
    assert eur["main"] == "46.00"


@pytest.mark.parametrize(
    ("pair", "amount", "to_amount"),
    [
        (("USD", "JPY"), "1.00", "150"),
        (("USD", "JPY"), "0.01", "2"),  # 1.5 yen, half to even: 2
        (("JPY", "USD"), "3", "0.02"),  # 1.5 cents: 2
        (("JPY", "USD"), "5", "0.02"),  # 2.5 cents: 2
        (("JPY", "USD"), "7", "0.04"),  # 3.5 cents: 4
        (("EUR", "USD"), "0.01", "0.01"),
    ],
)
@pytest.mark.usefixtures("rates")
def test_rounding_is_half_even_to_the_target_minor_unit(
    api_client, wallets, pair, amount, to_amount
):
    services.credit_apply(holder_id=wallets.pk, amount=1000, currency="JPY")
    services.credit_apply(holder_id=wallets.pk, amount=1000, currency="EUR")

    response = post(api_client, wallets.pk, convert(*pair, amount))

    assert response.status_code == 201, response.content
    assert response.json()["transaction"]["conversion"]["to_amount"] == (
        to_amount
    )


def test_a_conversion_keeps_the_rate_it_used(api_client, wallets, rates):
    first = post(api_client, wallets.pk, convert("USD", "EUR", "10")).json()
    newer = services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal("0.95"),
        valid_from=timezone.now(),
        created_by="staff@example.com",
    )

    second = post(api_client, wallets.pk, convert("USD", "EUR", "10")).json()
    old = api_client.get(
        f"/internal/v1/holders/{wallets.pk}/transactions/"
        f"{first['transaction']['id']}"
    ).json()

    assert old == first["transaction"]
    assert old["conversion"] == {
        "to_amount": "9.20",
        "to_currency": "EUR",
        "rate": "0.92",
    }
    assert second["transaction"]["conversion"]["rate"] == "0.95"
    assert second["transaction"]["conversion"]["to_amount"] == "9.50"
    assert second["rate"]["valid_from"] == timeparse.format_instant(
        newer.valid_from
    )
    assert (
        models.Transaction.objects.get(pk=first["transaction"]["id"]).rate
        == (rates["USD", "EUR"])
    )


def test_a_rate_valid_later_is_not_used(api_client, wallets, rates):
    services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal("2"),
        valid_from=timezone.now() + dt.timedelta(days=1),
    )

    response = post(api_client, wallets.pk, convert("USD", "EUR", "1"))

    assert response.json()["transaction"]["conversion"]["rate"] == "0.92"


def test_same_currency(api_client, wallets, rates):
    before = ledger_state()

    response = post(api_client, wallets.pk, convert("USD", "usd", "1"))

    assert_problem(response, 400, "same_currency")
    assert ledger_state() == before


def test_no_rate_for_the_pair(api_client, wallets, rates):
    """EUR->JPY has no rate (JPY->EUR neither); USD->EUR's is not used."""
    services.credit_apply(holder_id=wallets.pk, amount=1000, currency="EUR")
    before = ledger_state()

    response = post(api_client, wallets.pk, convert("EUR", "JPY", "1"))

    body = assert_problem(response, 422, "rate_unavailable")
    assert "EUR/JPY" in body["detail"]
    assert ledger_state() == before


def test_no_rate_yet(api_client, wallets):
    services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal("0.9"),
        valid_from=timezone.now() + dt.timedelta(hours=1),
    )
    before = ledger_state()

    response = post(api_client, wallets.pk, convert("USD", "EUR", "1"))

    assert_problem(response, 422, "rate_unavailable")
    assert ledger_state() == before


def test_an_amount_that_rounds_to_nothing(api_client, wallets, rates):
    """1 JPY at 0.005 is half a cent: half-even, nothing; 2 JPY a cent."""
    services.credit_apply(holder_id=wallets.pk, amount=1000, currency="JPY")
    before = ledger_state()

    response = post(api_client, wallets.pk, convert("JPY", "USD", "1"))
    assert_problem(response, 422, "amount_too_small")
    assert ledger_state() == before
    two = post(api_client, wallets.pk, convert("JPY", "USD", "2"))

    assert two.status_code == 201, two.content
    assert two.json()["transaction"]["conversion"]["to_amount"] == "0.01"


def test_insufficient_funds_writes_nothing(api_client, wallets, rates):
    before = ledger_state()

    response = post(api_client, wallets.pk, convert("USD", "EUR", "90.01"))

    assert_problem(response, 422, "insufficient_funds")
    assert ledger_state() == before


def test_the_target_wallet_not_open(api_client, funded_holder, rates):
    before = ledger_state()

    response = post(api_client, funded_holder.pk, convert("USD", "EUR", "1"))

    assert_problem(response, 422, "account_not_open")
    assert ledger_state() == before


def test_a_closed_wallet_on_either_side(api_client, wallets, rates):
    services.account_close(
        account=wallets.accounts.get(currency="EUR", kind="main")
    )
    before = ledger_state()

    into = post(api_client, wallets.pk, convert("USD", "EUR", "1"))
    out_of = post(api_client, wallets.pk, convert("EUR", "USD", "1"))

    assert_problem(into, 422, "account_closed")
    assert_problem(out_of, 422, "account_closed")
    assert ledger_state() == before


def test_unknown_holder(api_client, rates):
    response = post(api_client, uuid.uuid4(), convert("USD", "EUR", "1"))

    assert_problem(response, 409, "account_not_ready")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (convert("JPY", "USD", "1.5"), "invalid_amount"),
        (convert("USD", "JPY", "0.001"), "invalid_amount"),
        (convert("USD", "EUR", "0"), "invalid_amount"),
        (convert("USD", "EUR", "-1"), "invalid_amount"),
        (convert("USD", "EUR", "1000000001"), "invalid_amount"),
        (convert("XXX", "EUR", "1"), "unsupported_currency"),
        (convert("USD", "ABC", "1"), "unsupported_currency"),
        (convert("USD", "", "1"), "unsupported_currency"),
        ({"from_currency": "USD", "amount": "1"}, "validation_error"),
        ({"to_currency": "EUR", "amount": "1"}, "validation_error"),
        ({"from_currency": "USD", "to_currency": "EUR"}, "validation_error"),
        (convert("USD", "EUR", "1", description="x" * 501), "validation_error"),
    ],
)
def test_bad_input_changes_nothing(api_client, wallets, rates, body, code):
    before = ledger_state()

    response = post(api_client, wallets.pk, body)

    assert_problem(response, 400, code)
    assert ledger_state() == before


def test_replay_and_key_reuse(api_client, wallets, rates):
    body = convert("USD", "EUR", "10")
    first = post(api_client, wallets.pk, body, key="c-1")
    services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal("0.5"),
        valid_from=timezone.now(),
    )
    before = ledger_state()

    again = post(
        api_client, wallets.pk, convert("usd", "EUR", "10.00"), key="c-1"
    )
    reused = [
        post(api_client, wallets.pk, changed, key="c-1")
        for changed in (
            convert("USD", "EUR", "11"),
            convert("USD", "JPY", "10"),
            convert("EUR", "USD", "10"),
            convert("USD", "EUR", "10", description="x"),
        )
    ]
    same = post(api_client, wallets.pk, convert("USD", "EUR", "10"), key="c-1")

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    # The replay is the first answer: the rate then, not the newer one.
    assert again.json() == first.json()
    assert again.json()["rate"]["rate"] == "0.92"
    for response in reused:
        assert_problem(response, 422, "idempotency_key_reused")
    assert same.json() == first.json()
    assert ledger_state() == before
