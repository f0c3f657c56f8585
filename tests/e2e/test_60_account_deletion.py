"""DELETE /me: login stops, tokens are refused, accounting closes the holder."""

import pytest

from tests.conftest import wait_until
from tests.e2e.helpers import problem, sign_up, when_ready

pytestmark = pytest.mark.e2e


def test_deleted_user_is_refused_everywhere(api):
    member = sign_up(api)
    credited = when_ready(
        lambda: api.post(
            "/credits", json={"amount": "3.00"}, headers=member.auth
        )
    )
    assert credited.status_code == 201, credited.text

    deleted = api.delete("/me", headers=member.auth)

    assert deleted.status_code == 204, deleted.text
    problem(api.get("/me", headers=member.auth), 401, None)
    problem(
        api.post(
            "/auth/token",
            json={"email": member.email, "password": member.password},
        ),
        401,
        None,
    )
    problem(
        api.post("/auth/token/refresh", json={"refresh": member.refresh}),
        401,
        None,
    )

    def accounting_refuses() -> bool:
        # The deletion event closes the holder; its token then gets 401.
        return api.get("/accounts", headers=member.auth).status_code == 401

    wait_until(accounting_refuses, timeout=30, what="the holder to close")
    problem(api.get("/balance", headers=member.auth), 401, None)
