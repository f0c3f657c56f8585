"""Savings plans and credits: the split rules, balances now and in the past."""

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from tests.e2e.helpers import (
    Member,
    amounts,
    instant,
    ledger_snapshot,
    problem,
    rfc3339,
    sign_up,
    split,
    when_ready,
)

pytestmark = pytest.mark.e2e


def _plans(api: httpx.Client, member: Member) -> list[dict]:
    response = api.get("/plans", headers=member.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def _usd_plan(plans: list[dict], kind: str) -> dict:
    matching = [
        p for p in plans if p["kind"] == kind and p["currency"] == "USD"
    ]
    assert matching, f"no active USD {kind} plan among {plans}"
    return matching[0]


def _credit(api: httpx.Client, member: Member, amount: str) -> dict:
    response = when_ready(
        lambda: api.post(
            "/credits",
            json={"amount": amount, "description": "e2e"},
            headers=member.auth,
        )
    )
    assert response.status_code == 201, response.text
    return response.json()


def _choose(api: httpx.Client, member: Member, plan_id: str | None) -> dict:
    response = when_ready(
        lambda: api.put(
            "/me/plan", json={"plan_id": plan_id}, headers=member.auth
        )
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_plans_are_listed(api):
    member = sign_up(api)

    plans = _plans(api, member)

    kinds = {plan["kind"] for plan in plans}
    assert kinds >= {"percentage", "flat_amount"}
    for plan in plans:
        assert set(plan) >= {"id", "name", "kind", "value", "currency"}
        assert isinstance(plan["value"], str)


def test_credit_without_a_plan_goes_to_main(api):
    member = sign_up(api)

    body = _credit(api, member, "40.10")

    transaction = body["transaction"]
    assert transaction["kind"] == "credit"
    assert transaction["amount"] == "40.10"
    assert transaction["currency"] == "USD"
    assert transaction["plan"] is None
    assert amounts(transaction["splits"]).get("main") == "40.10"
    assert body["balances"] == {"main": "40.10", "savings": "0.00"}


def test_percentage_plan_splits_exactly(api):
    member = sign_up(api)
    plan = _usd_plan(_plans(api, member), "percentage")

    chosen = _choose(api, member, plan["id"])
    body = _credit(api, member, "123.45")

    assert chosen["plan"]["id"] == plan["id"]
    assert chosen["selected_at"].endswith("Z")
    assert (
        api.get("/me/plan", headers=member.auth).json()["plan"]["id"]
        == (plan["id"])
    )
    main, savings = split("123.45", plan["value"])
    parts = amounts(body["transaction"]["splits"])
    assert (parts["main"], parts["savings"]) == (main, savings)
    assert body["balances"] == {"main": main, "savings": savings}
    assert body["transaction"]["plan"]["id"] == plan["id"]


def test_flat_plan_takes_its_amount_and_refuses_smaller_credits(api):
    member = sign_up(api)
    plan = _usd_plan(_plans(api, member), "flat_amount")
    _choose(api, member, plan["id"])
    flat = plan["value"]

    refused = api.post("/credits", json={"amount": flat}, headers=member.auth)
    body = _credit(api, member, "12.34")

    problem(refused, 422, "amount_not_above_flat_amount")
    parts = amounts(body["transaction"]["splits"])
    assert parts["savings"] == flat
    assert parts["main"] == str(Decimal("12.34") - Decimal(flat))
    assert body["balances"] == {"main": parts["main"], "savings": flat}


def test_unknown_plan_and_clearing_the_plan(api):
    member = sign_up(api)
    plan = _usd_plan(_plans(api, member), "percentage")
    _choose(api, member, plan["id"])

    unknown = api.put(
        "/me/plan",
        json={"plan_id": "00000000-0000-4000-8000-000000000000"},
        headers=member.auth,
    )
    cleared = _choose(api, member, None)
    body = _credit(api, member, "10.00")

    problem(unknown, 404, "plan_not_found")
    assert cleared["plan"] is None
    assert body["balances"] == {"main": "10.00", "savings": "0.00"}


def test_balance_now_and_as_of_a_past_instant(api):
    member = sign_up(api)
    plan = _usd_plan(_plans(api, member), "percentage")
    first = _credit(api, member, "100.00")["transaction"]
    _choose(api, member, plan["id"])
    second = _credit(api, member, "50.00")["transaction"]
    main, savings = split("50.00", plan["value"])
    main_now = str(Decimal(main) + 100)

    now = api.get("/balance", headers=member.auth)
    at_first = api.get(
        "/balance",
        params={"at": rfc3339(instant(first["occurred_at"]))},
        headers=member.auth,
    )
    before = api.get(
        "/balance",
        params={
            "at": rfc3339(
                instant(first["occurred_at"]) - dt.timedelta(microseconds=1)
            )
        },
        headers=member.auth,
    )

    assert now.status_code == 200, now.text
    assert now.json()["currency"] == "USD"
    assert (now.json()["main"], now.json()["savings"]) == (main_now, savings)
    assert now.json()["total"] == "150.00"
    assert instant(second["occurred_at"]) <= instant(now.json()["at"])
    assert at_first.status_code == 200, at_first.text
    assert (at_first.json()["main"], at_first.json()["savings"]) == (
        "100.00",
        "0.00",
    )
    assert at_first.json()["total"] == "100.00"
    assert before.json()["total"] == "0.00"


def test_bad_money_input_is_refused_and_changes_nothing(api):
    member = sign_up(api)
    _credit(api, member, "1.00")
    before = ledger_snapshot(api, member)

    def send(content: bytes, content_type: str = "application/json"):
        return api.post(
            "/credits",
            content=content,
            headers={**member.auth, "Content-Type": content_type},
        )

    answers = [
        api.post("/credits", json={"amount": a}, headers=member.auth)
        for a in (
            "1.001",
            "-5",
            "0",
            "NaN",
            "Infinity",
            "1e3",
            "abc",
            "1000000000.01",
        )
    ]
    numbers = [
        send(raw)
        for raw in (
            b'{"amount": 1.001}',
            b'{"amount": 1e3}',
            b'{"amount": -5}',
            b'{"amount": 0}',
            b'{"amount": 1000000001}',
        )
    ]
    missing = api.post("/credits", json={}, headers=member.auth)
    currency = api.post(
        "/credits",
        json={"amount": "1.00", "currency": "XYZ"},
        headers=member.auth,
    )
    malformed = [send(b"{"), send(b'{"amount": NaN}')]
    wrong_type = send(b'{"amount": "5.00"}', "text/plain")
    too_large = send(
        b'{"amount": "5.00", "description": "' + b"x" * (1024 * 1024) + b'"}'
    )
    bad_at = [
        api.get("/balance", params={"at": at}, headers=member.auth)
        for at in ("yesterday", "2026-01-01T10:00:00")
    ]
    bad_window = [
        api.get("/transactions", params=window, headers=member.auth)
        for window in (
            {"from": "soon"},
            {"to": "later"},
            {"from": "2026-01-01T10:00:00"},
            {"to": "2026-01-01T10:00:00"},
        )
    ]
    reversed_window = api.get(
        "/transactions",
        params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        headers=member.auth,
    )

    for answer in answers + numbers:
        problem(answer, 400, "invalid_amount")
    problem(missing, 400, "validation_error")
    problem(currency, 400, "unsupported_currency")
    for answer in malformed:
        problem(answer, 400, "malformed_json")
    problem(wrong_type, 415, "unsupported_media_type")
    problem(too_large, 413, "payload_too_large")
    for answer in bad_at + bad_window:
        problem(answer, 400, "invalid_datetime")
    problem(reversed_window, 400, "invalid_range")
    after = ledger_snapshot(api, member)
    assert after == before
    assert after["balance"][3] == "1.00"
    assert len(after["transactions"]) == 1
