"""Client-side steps the scenarios repeat: sign up, log in, retry, check.

Everything here speaks the public contract (the gateway's OpenAPI schema)
and nothing else, so the tests hold whatever the services look like inside.
"""

import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal

import httpx

PROBLEM_JSON = "application/problem+json"
CENT = Decimal("0.01")
READY_TIMEOUT = 60


@dataclasses.dataclass
class Member:
    """A signed-up user with fresh tokens."""

    id: str
    email: str
    password: str
    access: str
    refresh: str

    @property
    def auth(self) -> dict[str, str]:
        """The Authorization header for the member's access token."""
        return {"Authorization": f"Bearer {self.access}"}


def new_email() -> str:
    """Returns an address no earlier run has used."""
    return f"e2e-{uuid.uuid4().hex[:16]}@example.com"


def new_password() -> str:
    """Returns a password Django's validators accept."""
    return f"Tulip-{uuid.uuid4().hex[:10]}-Harbor"


def sign_up(api: httpx.Client, **extra: str) -> Member:
    """Signs up a new user and logs in.

    Args:
        api: Client for ``/api/v1``.
        **extra: Optional ``first_name``/``last_name``.

    Returns:
        The member with its tokens.
    """
    email, password = new_email(), new_password()
    created = api.post(
        "/auth/signup", json={"email": email, "password": password, **extra}
    )
    assert created.status_code == 201, created.text
    tokens = log_in(api, email, password)
    return Member(
        id=created.json()["id"],
        email=email,
        password=password,
        access=tokens["access"],
        refresh=tokens["refresh"],
    )


def log_in(api: httpx.Client, email: str, password: str) -> dict:
    """Obtains tokens; fails the test if the gateway refuses."""
    response = api.post(
        "/auth/token", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


def problem(response: httpx.Response, status: int, code: str | None) -> dict:
    """Asserts an RFC 9457 problem response and returns its body.

    Args:
        response: The response to check.
        status: The expected HTTP status.
        code: The expected stable code, or None to accept any.

    Returns:
        The problem document.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


# Answers that mean "the same request, a little later".
_NOT_YET = {(409, "account_not_ready"), (429, "rate_limited")}


def _code(response: httpx.Response) -> str | None:
    """Returns a problem's code, or None for any other answer."""
    if not response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        return None
    return response.json().get("code")


def when_ready(
    send: Callable[[], httpx.Response], *, timeout: float = READY_TIMEOUT
) -> httpx.Response:
    """Repeats a request while the platform says "not yet", as a client would.

    Right after sign-up the user's creation event may still be on its way to
    accounting: the contract answers 409 ``account_not_ready`` with
    ``Retry-After``. A client over its limits (many requests at once) is
    answered 429 ``rate_limited`` with ``Retry-After``; neither request
    ran. This backs off (honouring Retry-After, at most 2 s a time) until
    another answer comes, within ``timeout``.

    Args:
        send: Sends the request once.
        timeout: Seconds before giving up.

    Returns:
        The first response that is neither.
    """
    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        response = send()
        if (response.status_code, _code(response)) not in _NOT_YET:
            return response
        assert time.monotonic() < deadline, (
            f"accounts still not ready after {timeout}s: {response.text}"
        )
        retry_after = float(response.headers.get("Retry-After", delay))
        time.sleep(min(max(delay, min(retry_after, 2.0)), 2.0))
        delay = min(delay * 2, 2.0)


def split(amount: str, percent: str) -> tuple[str, str]:
    """The contract's percentage split, in USD.

    Args:
        amount: The credit, e.g. ``"123.45"``.
        percent: The plan's value, e.g. ``"10.00"``.

    Returns:
        ``(main, savings)`` as decimal strings.
    """
    total = Decimal(amount)
    savings = (total * Decimal(percent) / 100).quantize(
        CENT, rounding=ROUND_HALF_EVEN
    )
    return str(total - savings), str(savings)


def instant(value: str) -> dt.datetime:
    """Parses an RFC 3339 instant from a response (UTC, ``Z``)."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() == dt.timedelta(0), value
    return parsed


def rfc3339(moment: dt.datetime) -> str:
    """Formats an aware instant as RFC 3339 UTC with microseconds and Z."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def amounts(splits: list[dict]) -> dict[str, str]:
    """Maps a transaction's splits to ``{account_kind: amount}``."""
    return {part["account_kind"]: part["amount"] for part in splits}


def ledger_snapshot(api: httpx.Client, member: Member) -> dict:
    """What bad input must leave alone: balances, accounts and history."""
    balance = api.get("/balance", headers=member.auth)
    accounts = api.get("/accounts", headers=member.auth)
    history = api.get(
        "/transactions", params={"limit": 500}, headers=member.auth
    )
    for response in (balance, accounts, history):
        assert response.status_code == 200, response.text
    now = balance.json()
    listed = accounts.json()
    listed = listed["results"] if isinstance(listed, dict) else listed
    return {
        "balance": (now["currency"], now["main"], now["savings"], now["total"]),
        "accounts": sorted(
            (a["id"], a["kind"], a["currency"], a["balance"]) for a in listed
        ),
        "transactions": [t["id"] for t in history.json()["results"]],
    }


def group_create(
    api: httpx.Client, owner: Member, *others: Member, name: str = "Group"
) -> str:
    """Creates a savings group of 500.00 USD with members; returns its id."""
    created = when_ready(
        lambda: api.post(
            "/groups",
            json={"name": name, "target_amount": "500.00"},
            headers=owner.auth,
        )
    )
    assert created.status_code == 201, created.text
    group_id = created.json()["id"]
    for other in others:
        added = api.post(
            f"/groups/{group_id}/members",
            json={"email": other.email},
            headers=owner.auth,
        )
        assert added.status_code == 201, added.text
    return group_id
