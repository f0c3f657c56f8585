"""Webhooks through the gateway, to a real receiver that is down, then up.

A member registers an endpoint; their money moves while the receiver is
down; the Celery worker's tries are refused and logged; once the
receiver is back, beat's retries bring every event, once each, signed as
the public contract says (verified here with ``hmac``, as a receiver
would), numbered in order. A partner's key with ``webhooks:manage`` is
told when its batch completes.
"""

import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest

from accounting.tests.webhooks.receivers import Receiver
from tests.e2e.conftest import Stack
from tests.e2e.helpers import problem, sign_up, when_ready
from tests.e2e.test_84_batches import _partner_key, _send

pytestmark = pytest.mark.e2e

# The first retry comes 30 s (+-10%) after a failure; beat asks every 10 s.
RETRIED_WITHIN = 90.0


def _verified(secret: str, request) -> bool:
    """What a receiver checks: the signature, over the raw body."""
    parts = [
        part.partition("=")
        for part in request.headers["Webhook-Signature"].split(",")
    ]
    [stamp] = [value for name, _, value in parts if name == "t"]
    macs = [value for name, _, value in parts if name == "v1"]
    signed = f"{stamp}.".encode() + request.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(stamp)) <= 300
    return fresh and any(hmac.compare_digest(expected, m) for m in macs)


def _deliveries(api, auth, webhook_id: str) -> list[dict]:
    found = api.get(f"/webhooks/{webhook_id}/deliveries", headers=auth)
    assert found.status_code == 200, found.text
    return found.json()["results"]


def test_a_receiver_down_then_up_gets_every_event_once_signed(
    api: httpx.Client, stack: Stack
) -> None:
    member = sign_up(api)
    when_ready(
        lambda: api.post(
            "/credits", json={"amount": "50.00"}, headers=member.auth
        )
    )
    receiver = Receiver()
    receiver.start()
    try:
        made = api.post(
            "/webhooks",
            json={"url": receiver.url, "events": ["transaction.created"]},
            headers=member.auth,
        )
        assert made.status_code == 201, made.text
        webhook = made.json()
        secret = webhook["secret"]
        listed = api.get("/webhooks", headers=member.auth).json()["results"]
        assert [w["id"] for w in listed] == [webhook["id"]]
        assert "secret" not in listed[0]
        receiver.stop()

        moved = [
            api.post("/credits", json={"amount": "10.00"}, headers=member.auth),
            api.post(
                "/withdrawals", json={"amount": "3.00"}, headers=member.auth
            ),
        ]
        assert [m.status_code for m in moved] == [201, 201], moved[0].text
        ids = {m.json()["transaction"]["id"] for m in moved}

        # The worker tried at once and was refused; the log says so.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            log = _deliveries(api, member.auth, webhook["id"])
            if len(log) == 2 and all(d["attempts"] >= 1 for d in log):
                break
            time.sleep(0.5)
        assert {(d["status"], d["last_error"]) for d in log} == {
            ("pending", "connection_refused")
        }, log

        receiver.start()
        requests = receiver.wait(2, timeout=RETRIED_WITHIN)
    finally:
        receiver.stop()

    bodies = [json.loads(r.body) for r in requests]
    assert all(_verified(secret, r) for r in requests)
    assert {b["data"]["transaction"]["id"] for b in bodies} == ids
    assert [r.headers["Webhook-Id"] for r in requests] == [
        b["id"] for b in bodies
    ]
    assert sorted(b["sequence"] for b in bodies) == [1, 2]
    assert {b["account"]["user_id"] for b in bodies} == {member.id}
    log = _deliveries(api, member.auth, webhook["id"])
    assert {d["status"] for d in log} == {"delivered"}
    assert all(d["tries"][0]["status_code"] == 200 for d in log)
    # Exactly once each so far; a resend brings the same event again.
    resent = api.post(
        f"/webhooks/{webhook['id']}/deliveries/{log[0]['id']}/resend",
        headers=member.auth,
    )
    assert resent.status_code == 202, resent.text
    assert len(receiver.requests) == 2

    # Removed, it gets nothing more; another member cannot see it.
    stranger = sign_up(api)
    problem(
        api.get(f"/webhooks/{webhook['id']}", headers=stranger.auth),
        404,
        "webhook_not_found",
    )
    removed = api.delete(f"/webhooks/{webhook['id']}", headers=member.auth)
    assert removed.status_code == 204


def test_a_partner_is_told_when_its_batch_completes(
    api: httpx.Client, stack: Stack
) -> None:
    member = sign_up(api)
    when_ready(lambda: api.get("/balance", headers=member.auth))
    partner = _partner_key(stack, "credits:write", "webhooks:manage")
    receiver = Receiver()
    receiver.start()
    try:
        made = api.post(
            "/partner/webhooks",
            json={"url": receiver.url, "events": ["batch.completed"]},
            headers=partner,
        )
        assert made.status_code == 201, made.text
        secret = made.json()["secret"]
        batch = _send(
            api,
            partner,
            [{"user": member.id, "amount": "2.00", "currency": "USD",
              "reference": f"HOOK-{uuid.uuid4().hex[:8]}"}],
        )  # fmt: skip
        assert batch.status_code == 202, batch.text
        [request] = receiver.wait(1, timeout=30)
    finally:
        receiver.stop()

    body = json.loads(request.body)
    assert _verified(secret, request)
    assert body["type"] == "batch.completed"
    assert body["data"]["batch"]["id"] == batch.json()["id"]
    assert body["data"]["batch"]["items"]["applied"] == 1
    payroll_only = _partner_key(stack, "credits:write")
    problem(api.get("/partner/webhooks", headers=payroll_only), 403, None)
