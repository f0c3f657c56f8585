"""Identity through the gateway: sign-up, tokens, /me and its propagation."""

import psycopg
import pytest

from tests.conftest import wait_until
from tests.e2e.helpers import (
    log_in,
    new_email,
    new_password,
    problem,
    sign_up,
    when_ready,
)

pytestmark = pytest.mark.e2e


def test_sign_up_returns_the_user(api):
    email = new_email()

    response = api.post(
        "/auth/signup",
        json={
            "email": email,
            "password": new_password(),
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
    )

    assert response.status_code == 201, response.text
    user = response.json()
    assert set(user) >= {"id", "email", "first_name", "last_name"}
    assert user["email"] == email
    assert (user["first_name"], user["last_name"]) == ("Ada", "Lovelace")
    assert user["date_joined"].endswith("Z")


def test_duplicate_email_and_weak_password_are_refused(api):
    member = sign_up(api)

    taken = api.post(
        "/auth/signup",
        json={"email": member.email, "password": new_password()},
    )
    weak = api.post(
        "/auth/signup", json={"email": new_email(), "password": "123"}
    )

    problem(taken, 409, "email_taken")
    assert problem(weak, 400, None)["errors"]["password"]


def test_tokens_refresh_and_bad_credentials(api):
    member = sign_up(api)

    refreshed = api.post(
        "/auth/token/refresh", json={"refresh": member.refresh}
    )
    wrong = api.post(
        "/auth/token", json={"email": member.email, "password": "x" * 12}
    )
    unknown = api.post(
        "/auth/token", json={"email": new_email(), "password": "x" * 12}
    )

    assert refreshed.status_code == 200, refreshed.text
    access = refreshed.json()["access"]
    me = api.get("/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200
    assert me.json()["id"] == member.id
    # Bad credentials: one answer, whatever part was wrong.
    wrong_body = problem(wrong, 401, None)
    unknown_body = problem(unknown, 401, None)
    assert wrong_body["code"] == unknown_body["code"]
    assert wrong_body["detail"] == unknown_body["detail"]


def test_me_without_or_with_a_tampered_token_is_refused(api):
    member = sign_up(api)
    header, payload, signature = member.access.split(".")
    tampered = ".".join([header, payload, signature[::-1]])

    problem(api.get("/me"), 401, "not_authenticated")
    problem(
        api.get("/me", headers={"Authorization": f"Bearer {tampered}"}),
        401,
        "invalid_token",
    )


def test_me_patch_reaches_accounting(api, stack):
    member = sign_up(api, first_name="Grace")
    # The holder exists in accounting once /accounts answers.
    accounts = when_ready(lambda: api.get("/accounts", headers=member.auth))
    assert accounts.status_code == 200, accounts.text
    new = new_email()

    patched = api.patch(
        "/me",
        json={"email": new, "first_name": "Grace", "last_name": "Hopper"},
        headers=member.auth,
    )

    assert patched.status_code == 200, patched.text
    assert patched.json()["email"] == new
    assert api.get("/me", headers=member.auth).json()["last_name"] == "Hopper"
    assert log_in(api, new, member.password)["access"]

    def holder_email() -> str | None:
        # No public endpoint shows the holder's email: read accounting's DB.
        with psycopg.connect(stack.accounting_db) as conn:
            row = conn.execute(
                "SELECT email FROM accounting_holder WHERE user_id = %s",
                (member.id,),
            ).fetchone()
        return row[0] == new if row else None

    wait_until(holder_email, timeout=30, what="the new email in accounting")


def test_password_change_needs_the_current_password(api):
    member = sign_up(api)
    password = new_password()

    missing = api.patch("/me", json={"password": password}, headers=member.auth)
    changed = api.patch(
        "/me",
        json={"password": password, "current_password": member.password},
        headers=member.auth,
    )

    problem(missing, 400, "current_password_required")
    assert changed.status_code == 200, changed.text
    assert log_in(api, member.email, password)["access"]
    problem(
        api.post(
            "/auth/token",
            json={"email": member.email, "password": member.password},
        ),
        401,
        None,
    )
