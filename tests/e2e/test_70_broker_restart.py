"""A RabbitMQ restart during sign-ups delays user events but loses none.

Sign-ups keep coming while the broker is stopped and started again. Each
user's creation event waits in the users service's outbox until the beat
sweep (every 2 s here) republishes it; the accounting worker reconnects and
creates every holder. So every user that signed up gets its accounts.
"""

import threading
import time

import httpx
import pytest

from tests.e2e.helpers import log_in, new_email, new_password, when_ready

pytestmark = pytest.mark.e2e

SIGNUPS = 24
OUTAGE_SECONDS = 4
PROPAGATION_TIMEOUT = 120


def test_no_user_is_lost_when_the_broker_restarts(stack):
    signed_up: list[tuple[str, str, str]] = []
    failures: list[str] = []

    def sign_up_many() -> None:
        with httpx.Client(base_url=stack.gateway, timeout=30) as client:
            for _ in range(SIGNUPS):
                email, password = new_email(), new_password()
                response = client.post(
                    "/auth/signup", json={"email": email, "password": password}
                )
                if response.status_code == 201:
                    signed_up.append((response.json()["id"], email, password))
                else:
                    failures.append(f"{response.status_code} {response.text}")
                time.sleep(0.25)

    writer = threading.Thread(target=sign_up_many)
    writer.start()
    time.sleep(1)
    stack.broker.outage(OUTAGE_SECONDS)
    writer.join(timeout=180)

    assert not writer.is_alive(), "sign-ups did not finish"
    assert not failures, failures
    assert len(signed_up) == SIGNUPS
    with httpx.Client(base_url=stack.gateway, timeout=30) as api:
        deadline = time.monotonic() + PROPAGATION_TIMEOUT
        for user_id, email, password in signed_up:
            access = log_in(api, email, password)["access"]
            headers = {"Authorization": f"Bearer {access}"}
            accounts = when_ready(
                lambda headers=headers: api.get("/accounts", headers=headers),
                timeout=max(deadline - time.monotonic(), 1),
            )
            assert accounts.status_code == 200, (user_id, accounts.text)
            body = accounts.json()
            results = body["results"] if isinstance(body, dict) else body
            assert {a["kind"] for a in results} >= {"main", "savings"}
