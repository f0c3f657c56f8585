"""Idempotency-Key: a retried request never applies twice."""

import uuid

import pytest

from tests.e2e.helpers import (
    new_email,
    new_password,
    problem,
    sign_up,
    when_ready,
)

pytestmark = pytest.mark.e2e


def test_credit_replay_returns_the_original_and_applies_once(api):
    member = sign_up(api)
    headers = {**member.auth, "Idempotency-Key": f"credit-{uuid.uuid4()}"}
    body = {"amount": "7.25", "description": "rent share"}

    first = when_ready(lambda: api.post("/credits", json=body, headers=headers))
    again = api.post("/credits", json=body, headers=headers)
    reused = api.post(
        "/credits", json={**body, "amount": "8.00"}, headers=headers
    )

    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    problem(reused, 422, "idempotency_key_reused")
    assert api.get("/balance", headers=member.auth).json()["total"] == "7.25"
    listed = api.get("/transactions", headers=member.auth).json()["results"]
    assert [t["id"] for t in listed] == [first.json()["transaction"]["id"]]


def test_keys_are_scoped_to_the_caller(api):
    one, two = sign_up(api), sign_up(api)
    key = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}

    first = when_ready(
        lambda: api.post(
            "/credits", json={"amount": "1.00"}, headers={**one.auth, **key}
        )
    )
    second = when_ready(
        lambda: api.post(
            "/credits", json={"amount": "1.00"}, headers={**two.auth, **key}
        )
    )

    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert (
        first.json()["transaction"]["id"] != second.json()["transaction"]["id"]
    )


def test_signup_replay_creates_one_user(api):
    key = {"Idempotency-Key": f"signup-{uuid.uuid4()}"}
    body = {"email": new_email(), "password": new_password()}

    first = api.post("/auth/signup", json=body, headers=key)
    again = api.post("/auth/signup", json=body, headers=key)
    other = api.post(
        "/auth/signup",
        json={**body, "email": new_email()},
        headers=key,
    )

    assert first.status_code == 201, first.text
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    problem(other, 422, "idempotency_key_reused")


def test_too_long_a_key_is_refused(api):
    member = sign_up(api)

    response = api.post(
        "/credits",
        json={"amount": "1.00"},
        headers={**member.auth, "Idempotency-Key": "k" * 256},
    )

    problem(response, 400, "invalid_idempotency_key")
    total = when_ready(lambda: api.get("/balance", headers=member.auth))
    assert total.json()["total"] == "0.00"
