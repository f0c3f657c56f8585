"""Money movement through the gateway: transfers, withdrawals, conversions.

Two or more members move money between themselves and their own wallets;
each scenario checks what both sides see (responses, transaction lists,
balances now and as of an instant) and that refused requests change
nothing.
"""

import concurrent.futures
import datetime as dt
import uuid
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import pytest

from tests.conftest import wait_until
from tests.e2e.helpers import (
    Member,
    amounts,
    instant,
    problem,
    rfc3339,
    sign_up,
    when_ready,
)

pytestmark = pytest.mark.e2e


def _credit(api: httpx.Client, member: Member, amount: str, **extra) -> dict:
    response = when_ready(
        lambda: api.post(
            "/credits", json={"amount": amount, **extra}, headers=member.auth
        )
    )
    assert response.status_code == 201, response.text
    return response.json()


def _accounts(api: httpx.Client, member: Member) -> dict[tuple, dict]:
    response = when_ready(lambda: api.get("/accounts", headers=member.auth))
    assert response.status_code == 200, response.text
    return {
        (account["kind"], account["currency"]): account
        for account in response.json()["results"]
    }


def _main_id(api: httpx.Client, member: Member, currency: str = "USD") -> str:
    return _accounts(api, member)[("main", currency)]["id"]


def _balance(api: httpx.Client, member: Member, **query: str) -> dict:
    response = api.get("/balance", params=query, headers=member.auth)
    assert response.status_code == 200, response.text
    return response.json()


def _open(api: httpx.Client, member: Member, currency: str) -> dict:
    response = when_ready(
        lambda: api.post(
            "/accounts", json={"currency": currency}, headers=member.auth
        )
    )
    assert response.status_code == 201, response.text
    return response.json()


def _transactions(api: httpx.Client, member: Member, **query: str) -> list:
    response = api.get("/transactions", params=query, headers=member.auth)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_a_transfer_reaches_the_recipient_once(api):
    alice, bob = sign_up(api), sign_up(api)
    _credit(api, alice, "100.00")
    bob_main = _main_id(api, bob)
    before = dt.datetime.now(dt.timezone.utc)
    key = {"Idempotency-Key": f"transfer-{uuid.uuid4()}"}
    body = {"to_account": bob_main, "amount": "30.25", "description": "rent"}

    sent = api.post("/transfers", json=body, headers={**alice.auth, **key})
    again = api.post("/transfers", json=body, headers={**alice.auth, **key})

    assert sent.status_code == 201, sent.text
    out = sent.json()["transaction"]
    assert out["kind"] == "transfer_out"
    assert (out["amount"], out["currency"]) == ("30.25", "USD")
    assert out["counterparty_account"] == bob_main
    assert amounts(out["splits"]) == {"main": "-30.25"}
    assert sent.json()["balances"] == {"main": "69.75", "savings": "0.00"}
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == sent.json()
    [incoming] = _transactions(api, bob, kind="transfer_in")
    assert (incoming["amount"], incoming["description"]) == ("30.25", "rent")
    assert incoming["counterparty_account"] == _main_id(api, alice)
    assert amounts(incoming["splits"]) == {"main": "30.25"}
    assert _balance(api, bob)["main"] == "30.25"
    assert _balance(api, alice)["main"] == "69.75"
    assert _balance(api, bob, at=rfc3339(before))["main"] == "0.00"
    at_transfer = rfc3339(instant(incoming["occurred_at"]))
    assert _balance(api, bob, at=at_transfer)["total"] == "30.25"


def test_refused_transfers_change_nothing(api):
    alice, bob = sign_up(api), sign_up(api)
    _credit(api, alice, "20.00")
    accounts = _accounts(api, bob)
    _open(api, bob, "EUR")
    bob_eur = _main_id(api, bob, "EUR")
    own = _main_id(api, alice)
    cases = [
        ({"to_account": own, "amount": "1.00"}, 422, "same_account"),
        (
            {"to_account": str(uuid.uuid4()), "amount": "1.00"},
            404,
            "account_not_found",
        ),
        (
            {"to_account": accounts[("savings", "USD")]["id"], "amount": "1"},
            404,
            "account_not_found",
        ),
        (
            {"to_account": bob_eur, "amount": "1.00"},
            422,
            "currency_mismatch",
        ),
        (
            {"to_account": accounts[("main", "USD")]["id"], "amount": "20.01"},
            422,
            "insufficient_funds",
        ),
        (
            {"to_account": accounts[("main", "USD")]["id"], "amount": "1.001"},
            400,
            "invalid_amount",
        ),
        (
            {
                "to_account": accounts[("main", "USD")]["id"],
                "amount": "1.5",
                "currency": "JPY",
            },
            400,
            "invalid_amount",
        ),
        ({"to_account": "not-a-uuid", "amount": "1.00"}, 400, None),
    ]

    for body, status, code in cases:
        problem(
            api.post("/transfers", json=body, headers=alice.auth),
            status,
            code,
        )

    assert _balance(api, alice)["main"] == "20.00"
    assert _balance(api, bob)["total"] == "0.00"
    assert _transactions(api, bob) == []
    assert [t["kind"] for t in _transactions(api, alice)] == ["credit"]


def test_withdrawal_with_a_category(api):
    member = sign_up(api)
    _credit(api, member, "50.00")

    spent = api.post(
        "/withdrawals",
        json={"amount": "12.34", "category": "groceries"},
        headers=member.auth,
    )
    too_much = api.post(
        "/withdrawals", json={"amount": "37.67"}, headers=member.auth
    )

    assert spent.status_code == 201, spent.text
    transaction = spent.json()["transaction"]
    assert (transaction["kind"], transaction["category"]) == (
        "withdrawal",
        "groceries",
    )
    assert amounts(transaction["splits"]) == {"main": "-12.34"}
    assert spent.json()["balances"] == {"main": "37.66", "savings": "0.00"}
    problem(too_much, 422, "insufficient_funds")
    assert _balance(api, member)["main"] == "37.66"


def test_conversion_at_the_published_rate(api):
    member = sign_up(api)
    _credit(api, member, "100.00")
    rates = api.get("/rates", params={"base": "USD"}, headers=member.auth)
    assert rates.status_code == 200, rates.text
    by_quote = {r["quote"]: r for r in rates.json()["results"]}
    assert set(by_quote) >= {"EUR", "GBP", "MXN", "JPY"}
    assert {r["base"] for r in rates.json()["results"]} == {"USD"}
    problem(
        api.post(
            "/conversions",
            json={"from_currency": "USD", "to_currency": "EUR", "amount": 1},
            headers=member.auth,
        ),
        422,
        "account_not_open",
    )
    opened = _open(api, member, "EUR")
    assert {a["kind"] for a in opened["results"]} == {"main", "savings"}
    assert _open(api, member, "EUR") == opened  # idempotent per currency
    _open(api, member, "JPY")

    to_eur = api.post(
        "/conversions",
        json={"from_currency": "USD", "to_currency": "EUR", "amount": "33.33"},
        headers=member.auth,
    )
    to_jpy = api.post(
        "/conversions",
        json={"from_currency": "USD", "to_currency": "JPY", "amount": "10.01"},
        headers=member.auth,
    )

    assert to_eur.status_code == 201, to_eur.text
    rate = Decimal(by_quote["EUR"]["rate"])
    expected = (Decimal("33.33") * rate).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )
    body = to_eur.json()
    assert body["rate"]["rate"] == by_quote["EUR"]["rate"]
    conversion = body["transaction"]["conversion"]
    assert conversion == {
        "to_amount": str(expected),
        "to_currency": "EUR",
        "rate": by_quote["EUR"]["rate"],
    }
    assert body["balances"]["main"] == "66.67"
    assert body["to_balances"]["main"] == str(expected)
    assert to_jpy.status_code == 201, to_jpy.text
    yen = (Decimal("10.01") * Decimal(by_quote["JPY"]["rate"])).quantize(
        Decimal(1), rounding=ROUND_HALF_EVEN
    )
    assert to_jpy.json()["transaction"]["conversion"]["to_amount"] == str(yen)
    assert _balance(api, member, currency="JPY")["main"] == str(yen)
    eur_history = _transactions(api, member, currency="EUR")
    assert [t["kind"] for t in eur_history] == ["conversion"]


def test_refused_conversions_change_nothing(api):
    member = sign_up(api)
    _credit(api, member, "5.00")
    _open(api, member, "JPY")
    cases = [
        ({"from_currency": "USD", "to_currency": "USD"}, 400, "same_currency"),
        (
            {"from_currency": "USD", "to_currency": "XYZ"},
            400,
            "unsupported_currency",
        ),
        (
            {"from_currency": "USD", "to_currency": "JPY", "amount": "5.01"},
            422,
            "insufficient_funds",
        ),
        (
            {"from_currency": "JPY", "to_currency": "USD", "amount": "1.5"},
            400,
            "invalid_amount",
        ),
    ]

    for body, status, code in cases:
        problem(
            api.post(
                "/conversions",
                json={"amount": "1.00", **body},
                headers=member.auth,
            ),
            status,
            code,
        )

    assert _balance(api, member)["main"] == "5.00"
    assert _balance(api, member, currency="JPY")["main"] == "0"


def test_savings_go_back_to_main(api):
    member = sign_up(api)
    plans = api.get("/plans", headers=member.auth).json()["results"]
    plan = next(
        p for p in plans if p["kind"] == "percentage" and p["currency"] == "USD"
    )
    chosen = when_ready(
        lambda: api.put(
            "/me/plan", json={"plan_id": plan["id"]}, headers=member.auth
        )
    )
    assert chosen.status_code == 200, chosen.text
    credited = _credit(api, member, "200.00")
    saved = credited["balances"]["savings"]
    assert Decimal(saved) > 0

    released = api.post(
        "/transfers",
        json={"kind": "savings_release", "amount": saved},
        headers=member.auth,
    )
    more = api.post(
        "/transfers",
        json={"kind": "savings_release", "amount": "0.01"},
        headers=member.auth,
    )

    assert released.status_code == 201, released.text
    assert released.json()["transaction"]["kind"] == "savings_release"
    assert released.json()["balances"] == {
        "main": "200.00",
        "savings": "0.00",
    }
    problem(more, 422, "insufficient_funds")


def test_concurrent_withdrawals_never_overdraw(api):
    member = sign_up(api)
    _credit(api, member, "10.00")

    def withdraw(_: int) -> int:
        # Eight at once is over the member's 4 requests in flight: one
        # turned away (429, nothing applied) is sent again, as a client
        # would.
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            return when_ready(
                lambda: client.post(
                    "/withdrawals", json={"amount": "1.00"}, headers=member.auth
                )
            ).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(withdraw, range(25)))

    assert statuses.count(201) == 10
    assert statuses.count(422) == 15
    assert _balance(api, member)["main"] == "0.00"


def test_a_deleted_recipient_cannot_receive(api):
    alice, bob = sign_up(api), sign_up(api)
    _credit(api, alice, "10.00")
    bob_main = _main_id(api, bob)
    assert api.delete("/me", headers=bob.auth).status_code == 204

    wait_until(
        lambda: api.get("/accounts", headers=bob.auth).status_code == 401,
        timeout=30,
        what="the recipient's holder to close",
    )

    refused = api.post(
        "/transfers",
        json={"to_account": bob_main, "amount": "1.00"},
        headers=alice.auth,
    )

    problem(refused, 404, "account_not_found")
    assert _balance(api, alice)["main"] == "10.00"
