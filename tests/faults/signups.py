"""Sign-ups that keep coming through the faults, and proof none was lost.

One thread signs a new user up every second or so. A sign-up that gets no
definitive answer (a broken connection, a 5xx, 429) is sent again with the
same email and password; ``409 email_taken`` after such a failure means the
first attempt did create the user and only its answer was lost. At the end
every user that exists must have its accounts in accounting: its creation
event went through the outbox, RabbitMQ and the accounting worker, whatever
was killed or restarted on the way.
"""

import threading
import time
import traceback

import httpx

from tests.e2e.helpers import log_in, new_email, new_password, when_ready

SIGNUP_TIMEOUT = 180
PAUSE = 1.0


class SignUps:
    """The sign-up thread's work and what it created.

    Attributes:
        created: ``(email, password)`` of every user that exists.
        retried: Why an attempt had to be sent again, one entry each.
        problems: Sign-ups refused for good or never answered.
    """

    def __init__(self, gateway: str, pause: float = PAUSE) -> None:
        self.gateway = gateway
        self.pause = pause
        self.created: list[tuple[str, str]] = []
        self.retried: list[str] = []
        self.problems: list[str] = []

    def run(self, stop: threading.Event, limit: int | None = None) -> None:
        """Signs users up until ``stop`` is set or ``limit`` exist."""
        with httpx.Client(base_url=self.gateway, timeout=30) as client:
            try:
                while not stop.is_set() and (
                    limit is None or len(self.created) < limit
                ):
                    self._sign_up(client, new_email(), new_password())
                    time.sleep(self.pause)
            except Exception:  # noqa: BLE001 (the test reports it)
                self.problems.append(traceback.format_exc())

    def _sign_up(self, client: httpx.Client, email: str, password: str) -> None:
        deadline = time.monotonic() + SIGNUP_TIMEOUT
        failed_before = False
        while time.monotonic() < deadline:
            try:
                response = client.post(
                    "/auth/signup", json={"email": email, "password": password}
                )
            except httpx.TransportError as error:
                self.retried.append(type(error).__name__)
                failed_before = True
                time.sleep(self.pause)
                continue
            status = response.status_code
            if status == 201:
                self.created.append((email, password))
                return
            if status == 409 and failed_before:  # the lost answer's user
                assert response.json()["code"] == "email_taken"
                self.created.append((email, password))
                return
            if status < 500 and status != 429:
                self.problems.append(f"{email}: {status} {response.text}")
                return
            self.retried.append(f"{status} {response.json().get('detail')}")
            failed_before = True
            time.sleep(self.pause)
        self.problems.append(f"{email}: no answer in {SIGNUP_TIMEOUT}s")

    def missing_accounts(self, timeout: float) -> list[str]:
        """The users without a main and a savings account.

        Args:
            timeout: Seconds all of them have to get their accounts
                (``409 account_not_ready`` until then); the test fails if
                one is still not ready after that.

        Returns:
            One line per user whose accounts are not there.
        """
        missing = []
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.gateway, timeout=30) as api:
            for email, password in self.created:
                access = log_in(api, email, password)["access"]
                headers = {"Authorization": f"Bearer {access}"}
                accounts = when_ready(
                    lambda headers=headers: api.get(
                        "/accounts", headers=headers
                    ),
                    timeout=max(deadline - time.monotonic(), 1),
                )
                if accounts.status_code != 200:
                    missing.append(f"{email}: {accounts.text}")
                    continue
                kinds = {a["kind"] for a in accounts.json()["results"]}
                if not kinds >= {"main", "savings"}:
                    missing.append(f"{email}: {accounts.text}")
        return missing
