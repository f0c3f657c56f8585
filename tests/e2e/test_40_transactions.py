"""Transaction history: ranges, keyset pagination, detail, ownership."""

import datetime as dt

import httpx
import pytest

from tests.e2e.helpers import (
    Member,
    instant,
    problem,
    rfc3339,
    sign_up,
    when_ready,
)

pytestmark = pytest.mark.e2e

AMOUNTS = ("1.00", "2.00", "3.00", "4.00", "5.00")


@pytest.fixture(scope="module")
def history(api) -> tuple[Member, list[dict]]:
    """A member with five credits, oldest first."""
    member = sign_up(api)
    transactions = []
    for amount in AMOUNTS:
        response = when_ready(
            lambda amount=amount: api.post(
                "/credits", json={"amount": amount}, headers=member.auth
            )
        )
        assert response.status_code == 201, response.text
        transactions.append(response.json()["transaction"])
    return member, transactions


def _walk(
    api: httpx.Client, member: Member, params: dict
) -> tuple[list[dict], int]:
    """Follows ``next`` from the first page to the last."""
    response = api.get("/transactions", params=params, headers=member.auth)
    results, pages = [], 0
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        results.extend(page["results"])
        pages += 1
        assert pages <= 10, "pagination does not end"
        if page["next"] is None:
            return results, pages
        response = api.get(page["next"], headers=member.auth)


def test_pages_follow_next_newest_first(api, history):
    member, transactions = history

    results, pages = _walk(api, member, {"limit": 2})

    assert pages == 3
    assert [t["id"] for t in results] == [t["id"] for t in transactions][::-1]
    assert [t["amount"] for t in results] == list(AMOUNTS)[::-1]


def test_pages_in_ascending_order(api, history):
    member, transactions = history

    results, _ = _walk(api, member, {"limit": 3, "order": "asc"})

    assert [t["id"] for t in results] == [t["id"] for t in transactions]


def test_range_selects_the_transactions_between(api, history):
    member, transactions = history
    times = [instant(t["occurred_at"]) for t in transactions]
    # Bounds strictly between transactions: inclusive or not, same answer.
    start = times[0] + (times[1] - times[0]) / 2
    end = times[3] + (times[4] - times[3]) / 2

    results, _ = _walk(
        api,
        member,
        {"from": rfc3339(start), "to": rfc3339(end), "limit": 2},
    )
    inverted = api.get(
        "/transactions",
        params={"from": rfc3339(end), "to": rfc3339(start)},
        headers=member.auth,
    )
    offsetless = api.get(
        "/transactions",
        params={"from": "2026-01-01T00:00:00"},
        headers=member.auth,
    )

    assert [t["amount"] for t in results] == ["4.00", "3.00", "2.00"]
    problem(inverted, 400, "invalid_range")
    problem(offsetless, 400, "invalid_datetime")


def test_a_whole_day_by_date(api, history):
    member, transactions = history
    day = instant(transactions[0]["occurred_at"]).date()
    tomorrow = day + dt.timedelta(days=1)

    today, _ = _walk(
        api, member, {"from": day.isoformat(), "to": day.isoformat()}
    )
    after, _ = _walk(api, member, {"from": tomorrow.isoformat()})

    same_day = [
        t for t in transactions if instant(t["occurred_at"]).date() == day
    ]
    assert {t["id"] for t in today} == {t["id"] for t in same_day}
    assert {t["id"] for t in after} == {
        t["id"] for t in transactions if t not in same_day
    }


def test_transaction_detail_and_another_users_transaction(api, history):
    member, transactions = history
    stranger = sign_up(api)
    wanted = transactions[2]

    mine = api.get(f"/transactions/{wanted['id']}", headers=member.auth)
    theirs = when_ready(
        lambda: api.get(f"/transactions/{wanted['id']}", headers=stranger.auth)
    )

    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["id"] == wanted["id"]
    assert body["amount"] == "3.00"
    assert body["kind"] == "credit"
    assert body["splits"] == wanted["splits"]
    assert body["occurred_at"] == wanted["occurred_at"]
    problem(theirs, 404, None)
