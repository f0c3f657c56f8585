"""A partner's payroll through the gateway: one batch, each user's plan.

A partner's key is issued as operators do (``manage.py
partner_key_issue``); its batch goes through the gateway, is applied by
the Celery worker, item by item by each user's own plan, and reads back
per item. Sent again it applies nothing; its worker killed mid-way, each
item still applies exactly once. Every figure expected is worked out
here from the items the test wrote.
"""

import os
import signal
import time
import uuid
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.helpers import CENT, Member, problem, sign_up, when_ready
from tests.e2e.test_82_imports import _saver, _workers

pytestmark = pytest.mark.e2e

APPLIED_WITHIN = 180.0


def _partner_key(stack: Stack, *scopes: str) -> dict[str, str]:
    """Issues a new partner's key; returns its Authorization header."""
    arguments = [arg for scope in scopes for arg in ("--scope", scope)]
    issued = stack.manage(
        "accounting",
        "partner_key_issue",
        f"E2E Payroll {uuid.uuid4().hex[:8]}",
        *arguments,
    )
    assert issued.returncode == 0, issued.stderr
    return {"Authorization": f"Bearer {issued.stdout.split()[-1]}"}


def _send(api, partner, items, key=None):
    return api.post(
        "/partner/credit-batches",
        json={"items": items},
        headers={**partner, "Idempotency-Key": key or str(uuid.uuid4())},
        timeout=120,
    )


def _finished(api, partner, batch_id: str) -> dict:
    deadline = time.monotonic() + APPLIED_WITHIN
    while time.monotonic() < deadline:
        found = api.get(f"/partner/credit-batches/{batch_id}", headers=partner)
        assert found.status_code == 200, found.text
        document = found.json()
        if document["status"] in ("completed", "failed"):
            return document
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} still {document['status']}")


def _items(api, partner, batch_id: str) -> list[dict]:
    found, url = [], f"/partner/credit-batches/{batch_id}/items?limit=2"
    while url is not None:
        page = api.get(url, headers=partner)
        assert page.status_code == 200, page.text
        found += page.json()["results"]
        url = page.json()["next"]
    return found


def _balances(api, member: Member) -> tuple[Decimal, Decimal]:
    found = when_ready(lambda: api.get("/balance", headers=member.auth))
    return Decimal(found.json()["main"]), Decimal(found.json()["savings"])


def test_a_batch_pays_each_user_by_their_plan_once(
    api: httpx.Client, stack: Stack
) -> None:
    saver, spender = _saver(api), sign_up(api)
    _balances(api, spender)  # the user's wallet exists in accounting
    partner = _partner_key(stack, "credits:write")
    items = [
        {"user": saver.email.upper(), "amount": "1000.00", "currency": "USD",
         "reference": "NOV-1"},
        {"user": spender.id, "amount": "250.55", "currency": "USD",
         "reference": "NOV-2"},
        {"user": "nobody@example.com", "amount": "1.00", "currency": "USD",
         "reference": "NOV-3"},
        {"user": spender.id, "amount": "5.00", "currency": "EUR",
         "reference": "NOV-4"},
    ]  # fmt: skip

    accepted = _send(api, partner, items, key="nov-payroll")
    assert accepted.status_code == 202, accepted.text
    batch = accepted.json()
    assert batch["items"]["total"] == 4
    assert accepted.headers["Location"].endswith(batch["id"])
    again = _send(api, partner, items, key="nov-payroll")
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == batch["id"]

    done = _finished(api, partner, batch["id"])

    assert done["status"] == "completed", done
    assert done["items"] == {
        "total": 4, "applied": 2, "refused": 2, "pending": 0,
    }  # fmt: skip
    outcomes = [
        (i["reference"], i["status"], (i["error"] or {}).get("code"))
        for i in _items(api, partner, batch["id"])
    ]
    assert outcomes == [
        ("NOV-1", "applied", None),
        ("NOV-2", "applied", None),
        ("NOV-3", "refused", "user_not_found"),
        ("NOV-4", "refused", "account_not_open"),
    ]
    assert _balances(api, saver) == (Decimal("900.00"), Decimal("100.00"))
    assert _balances(api, spender) == (Decimal("250.55"), Decimal(0))
    history = api.get("/transactions", headers=saver.auth).json()["results"]
    assert (history[0]["description"], history[0]["amount"]) == (
        "NOV-1",
        "1000.00",
    )

    # The same payments in a new batch: each reference is credited once.
    resent = _finished(
        api, partner, _send(api, partner, items[:2]).json()["id"]
    )
    assert resent["items"]["refused"] == 2
    codes = {i["error"]["code"] for i in _items(api, partner, resent["id"])}
    assert codes == {"duplicate_reference"}
    assert _balances(api, saver) == (Decimal("900.00"), Decimal("100.00"))

    # Another partner cannot read it; users and partners keep their doors.
    other = _partner_key(stack, "credits:write")
    problem(
        api.get(f"/partner/credit-batches/{batch['id']}", headers=other),
        404,
        "batch_not_found",
    )
    problem(api.get("/balance", headers=partner), 401, "invalid_token")
    problem(
        api.get(f"/partner/credit-batches/{batch['id']}", headers=saver.auth),
        401,
        None,
    )
    hooks_only = _partner_key(stack, "webhooks:manage")
    problem(_send(api, hooks_only, items), 403, "permission_denied")


def test_a_worker_killed_mid_batch_applies_every_item_once(
    api: httpx.Client, stack: Stack
) -> None:
    members = [_saver(api) for _ in range(4)]
    for member in members:
        _balances(api, member)
    partner = _partner_key(stack, "credits:write")
    marker = f"SAVINGS_E2E_RUN={stack.env['SAVINGS_E2E_RUN']}"
    items, expected = [], {m.id: [Decimal(0), Decimal(0)] for m in members}
    for n in range(8_000):
        member = members[n % 4]
        amount = Decimal(100 + n % 9_900) / 100
        saved = (amount / 10).quantize(CENT, ROUND_HALF_EVEN)
        expected[member.id][0] += amount - saved
        expected[member.id][1] += saved
        items.append(
            {"user": member.id, "amount": str(amount),
             "currency": "USD", "reference": f"RUN-{n}"}
        )  # fmt: skip

    accepted = _send(api, partner, items)
    assert accepted.status_code == 202, accepted.text
    batch_id = accepted.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = api.get(
            f"/partner/credit-batches/{batch_id}", headers=partner
        ).json()
        if state["items"]["applied"] > 0:
            break
        time.sleep(0.02)
    assert 0 < state["items"]["applied"] < len(items), state
    workers = _workers(marker)
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)

    done = _finished(api, partner, batch_id)

    assert done["status"] == "completed", done
    assert done["items"] == {
        "total": 8_000, "applied": 8_000, "refused": 0, "pending": 0,
    }  # fmt: skip
    for member in members:
        assert list(_balances(api, member)) == expected[member.id]
    assert not set(_workers(marker)) & set(workers)
