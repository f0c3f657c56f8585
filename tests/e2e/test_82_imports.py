"""Bank statements imported through the gateway, applied by the worker.

A statement larger than the gateway's 1 MiB body limit is streamed to
disk by the gateway's server, to accounting, and applied by the Celery
worker; sent again it applies nothing; its worker killed mid-way, the
import still applies each row exactly once. Every figure expected is
worked out here from the rows the test wrote.
"""

import datetime as dt
import os
import signal
import socket
import time
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.helpers import CENT, Member, problem, sign_up, when_ready

pytestmark = pytest.mark.e2e

# Long enough to see a worker killed in the middle of it.
ROWS = 40_000
APPLIED_WITHIN = 180.0


def _statement(rows: int, *, start: dt.date) -> tuple[bytes, dict]:
    """Returns a statement and what it should do, worked out row by row.

    Incomes of 10.00 to 99.99 split 10% to savings, expenses of 0.25 to
    7.00 from main, a bad amount every 997th row and a future date every
    1,009th; the days run over the 28 days before ``start``.
    """
    lines = ["Date;Amount;Memo;Category;Source"]
    main = savings = Decimal(0)
    refused: dict[int, str] = {}
    future = (start + dt.timedelta(days=400)).isoformat()
    for n in range(rows):
        line = n + 2
        day = (start - dt.timedelta(days=1 + n % 28)).isoformat()
        if n % 997 == 5:
            lines.append(f"{day};12,50;bad;;")
            refused[line] = "invalid_amount"
        elif n % 1009 == 7:
            lines.append(f"{future};1.00;later;;")
            refused[line] = "validation_error"
        elif n % 3 == 2:
            amount = Decimal(25 + n % 676) / 100
            lines.append(f"{day};-{amount};Shop {n % 40};groceries;")
            main -= amount
        else:
            amount = Decimal(1000 + n % 8999) / 100
            saved = (amount / 10).quantize(CENT, ROUND_HALF_EVEN)
            lines.append(f"{day};{amount};Pay {n};;salary")
            main += amount - saved
            savings += saved
    data = ("\n".join(lines) + "\n").encode()
    expected = {
        "main": main,
        "savings": savings,
        "refused": refused,
        "applied": rows - len(refused),
    }
    return data, expected


def _saver(api: httpx.Client) -> Member:
    member = sign_up(api)
    plans = when_ready(lambda: api.get("/plans", headers=member.auth))
    plan = next(
        p
        for p in plans.json()["results"]
        if p["kind"] == "percentage" and p["value"] == "10.00"
    )
    chosen = when_ready(
        lambda: api.put(
            "/me/plan", json={"plan_id": plan["id"]}, headers=member.auth
        )
    )
    assert chosen.status_code == 200, chosen.text
    return member


def _upload(api, member, data, **headers):
    return api.post(
        "/imports",
        params={
            "delimiter": "semicolon",
            "description_column": "memo",
        },
        content=data,
        headers={**member.auth, "Content-Type": "text/csv", **headers},
        timeout=120,
    )


def _finished(api, member, import_id: str) -> dict:
    deadline = time.monotonic() + APPLIED_WITHIN
    while time.monotonic() < deadline:
        found = api.get(f"/imports/{import_id}", headers=member.auth)
        assert found.status_code == 200, found.text
        document = found.json()
        if document["status"] in ("completed", "failed"):
            return document
        time.sleep(0.5)
    raise AssertionError(f"import {import_id} still {document['status']}")


def _balances(api, member) -> tuple[Decimal, Decimal]:
    found = api.get("/balance", headers=member.auth).json()
    return Decimal(found["main"]), Decimal(found["savings"])


def _workers(marker: str) -> list[int]:
    """The accounting Celery workers of this stack (found by its marker)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            marker.encode() in environ
            and b"worker" in command
            and (b"accounting" in command)
        ):
            pids.append(int(entry.name))
    return pids


def test_a_large_statement_applies_once_whatever_is_sent_again(
    api: httpx.Client, stack: Stack
) -> None:
    member = _saver(api)
    today = dt.datetime.now(dt.UTC).date()
    data, expected = _statement(ROWS, start=today.replace(day=1))
    assert len(data) > 1024 * 1024  # past the gateway's usual body limit

    accepted = _upload(api, member, data, **{"Idempotency-Key": "stmt-1"})
    assert accepted.status_code == 202, accepted.text
    job = accepted.json()
    assert (job["status"], job["size_bytes"]) == ("queued", len(data))
    again = _upload(api, member, data, **{"Idempotency-Key": "stmt-1"})
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == job["id"]

    done = _finished(api, member, job["id"])

    assert done["status"] == "completed", done
    assert done["rows"] == {
        "read": ROWS,
        "applied": expected["applied"],
        "duplicate": 0,
        "refused": len(expected["refused"]),
    }
    shown = {r["line"]: r["code"] for r in done["refusals"]}
    assert shown == dict(sorted(expected["refused"].items())[:100])
    assert _balances(api, member) == (expected["main"], expected["savings"])

    # The same file without a key: a new import, every row a duplicate.
    resent = _upload(api, member, data)
    assert resent.status_code == 202
    assert resent.json()["id"] != job["id"]
    twice = _finished(api, member, resent.json()["id"])
    assert twice["rows"]["applied"] == 0
    assert twice["rows"]["duplicate"] == expected["applied"]
    assert _balances(api, member) == (expected["main"], expected["savings"])

    # Dated: last month's report counts them; the history lists them.
    month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    report = api.get(
        "/reports/summary",
        params={"group_by": "month"},
        headers=member.auth,
    ).json()
    counted = sum(g["transactions"] for g in report["groups"])
    assert counted == expected["applied"]
    assert month in {g["key"] for g in report["groups"]}
    listed = api.get(
        "/transactions", params={"limit": 1}, headers=member.auth
    ).json()["results"][0]
    assert listed["effective_at"] < listed["occurred_at"]

    # Another key with another file is a new import; the first key with
    # another file is refused.
    reused = _upload(
        api, member, data + b"2026-01-01;1.00;x;;\n",
        **{"Idempotency-Key": "stmt-1"},
    )  # fmt: skip
    problem(reused, 422, "idempotency_key_reused")


def test_a_worker_killed_mid_import_applies_every_row_once(
    api: httpx.Client, stack: Stack
) -> None:
    member = _saver(api)
    first = dt.datetime.now(dt.UTC).date().replace(day=1)
    data, expected = _statement(ROWS, start=first)
    marker = f"SAVINGS_E2E_RUN={stack.env['SAVINGS_E2E_RUN']}"

    accepted = _upload(api, member, data)
    assert accepted.status_code == 202, accepted.text
    import_id = accepted.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = api.get(f"/imports/{import_id}", headers=member.auth).json()
        if rows["rows"]["applied"] > 0:
            break
        time.sleep(0.05)
    assert 0 < rows["rows"]["applied"] < expected["applied"], rows
    workers = _workers(marker)
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)

    done = _finished(api, member, import_id)

    assert done["status"] == "completed", done
    assert done["rows"]["applied"] == expected["applied"]
    assert done["rows"]["refused"] == len(expected["refused"])
    assert done["rows"]["duplicate"] == 0
    assert _balances(api, member) == (expected["main"], expected["savings"])
    assert not set(_workers(marker)) & set(workers)


def test_a_statement_declared_too_large_is_refused_before_it_is_read(
    api: httpx.Client, stack: Stack
) -> None:
    member = sign_up(api)
    origin = urlsplit(stack.origin)
    with socket.create_connection((origin.hostname, origin.port)) as peer:
        peer.sendall(
            b"POST /api/v1/imports HTTP/1.1\r\n"
            + f"Host: {origin.netloc}\r\n".encode()
            + f"Authorization: Bearer {member.access}\r\n".encode()
            + b"Content-Type: text/csv\r\n"
            + f"Content-Length: {40 * 1024 * 1024}\r\n\r\n".encode()
            + b"date,amount\n"
        )
        peer.settimeout(10)
        received = b""
        while chunk := peer.recv(65536):  # the server closes after it
            received += chunk
    answer = received.decode()

    head, _, body = answer.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 413"), answer
    assert "connection: close" in head.lower()
    assert '"code": "payload_too_large"' in body
