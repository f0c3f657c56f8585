"""Personal finance through the gateway: reports, goals, group challenges.

Members label their money, read reports, set goals and save together in a
group whose contributions reach the other members over real WebSockets
(the gateway under its ASGI server, the Redis channel layer between its
worker processes). Every figure a test expects is worked out here from
the contract's rules and the amounts the test sent, never read back from
the answer under test.
"""

import concurrent.futures
import datetime as dt
import json
import time
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import Stack
from tests.e2e.helpers import (
    CENT,
    Member,
    amounts,
    instant,
    problem,
    sign_up,
    when_ready,
)

pytestmark = pytest.mark.e2e

# A member connected to a group must see a contribution within a second.
LIVE_WITHIN = 1.0


def _plan(api: httpx.Client, member: Member, percent: str) -> None:
    """Puts the member on the active percentage plan with that value."""
    response = when_ready(lambda: api.get("/plans", headers=member.auth))
    plans = response.json()["results"]
    plan = next(
        p for p in plans if p["kind"] == "percentage" and p["value"] == percent
    )
    chosen = when_ready(
        lambda: api.put(
            "/me/plan", json={"plan_id": plan["id"]}, headers=member.auth
        )
    )
    assert chosen.status_code == 200, chosen.text


def _post(api: httpx.Client, member: Member, path: str, body: dict) -> dict:
    response = when_ready(
        lambda: api.post(path, json=body, headers=member.auth)
    )
    assert response.status_code == 201, response.text
    return response.json()


def _get(api: httpx.Client, member: Member, path: str, **query) -> dict:
    response = api.get(path, params=query, headers=member.auth)
    assert response.status_code == 200, response.text
    return response.json()


def _rate(saved: Decimal, income: Decimal) -> str | None:
    if not income:
        return None
    return str((saved / income * 100).quantize(CENT, ROUND_HALF_EVEN))


def test_reports_sum_labelled_income_and_expenses(api: httpx.Client) -> None:
    member = sign_up(api)
    _plan(api, member, "10.00")
    credits = [
        ("1000.00", "Salary"),
        ("250.55", "  salary "),
        ("80.10", "Side  Gig"),
        ("19.99", None),
    ]
    saved = Decimal(0)
    for amount, source in credits:
        body = {"amount": amount} | ({"source": source} if source else {})
        answer = _post(api, member, "/credits", body)
        saved += Decimal(amounts(answer["transaction"]["splits"])["savings"])
    spent = [("42.10", "Groceries"), ("7.90", "groceries "), ("300.00", None)]
    for amount, category in spent:
        body = {"amount": amount} | ({"category": category} if category else {})
        answer = _post(api, member, "/withdrawals", body)
        assert answer["transaction"]["category"] == (
            " ".join(category.split()).casefold() if category else None
        )
    released = _post(
        api,
        member,
        "/transfers",
        {"kind": "savings_release", "amount": "5.00"},
    )
    assert released["transaction"]["kind"] == "savings_release"
    saved -= Decimal("5.00")
    income = sum(Decimal(a) for a, _ in credits)
    expenses = sum(Decimal(a) for a, _ in spent)

    by_source = _get(api, member, "/reports/summary", group_by="source")
    assert (by_source["currency"], by_source["group_by"]) == ("USD", "source")
    assert Decimal(by_source["income"]) == income
    assert Decimal(by_source["expenses"]) == expenses
    assert Decimal(by_source["saved"]) == saved
    assert by_source["savings_rate"] == _rate(saved, income)
    incomes = {g["key"]: Decimal(g["income"]) for g in by_source["groups"]}
    assert incomes == {
        "salary": Decimal("1250.55"),
        "side gig": Decimal("80.10"),
        None: Decimal("19.99"),
    }

    by_category = _get(api, member, "/reports/summary", group_by="category")
    spending = {g["key"]: Decimal(g["expenses"]) for g in by_category["groups"]}
    assert spending == {"groceries": Decimal("50.00"), None: Decimal("300.00")}
    assert sum(Decimal(g["saved"]) for g in by_category["groups"]) == saved

    month = _get(api, member, "/reports/summary", group_by="month")
    [only] = month["groups"]
    assert only["key"] == dt.datetime.now(dt.UTC).strftime("%Y-%m")
    assert only["transactions"] == len(credits) + len(spent) + 1

    # A range before any of it is empty; bad ranges are refused.
    empty = _get(
        api, member, "/reports/summary", group_by="month", to="2020-01-31"
    )
    assert (empty["income"], empty["groups"]) == ("0.00", [])
    assert empty["savings_rate"] is None
    for query, code in [
        ({}, "validation_error"),
        ({"group_by": "weekday"}, "validation_error"),
        ({"group_by": "month", "from": "yesterday"}, "invalid_datetime"),
        (
            {"group_by": "month", "from": "2026-02-01", "to": "2026-01-01"},
            "invalid_range",
        ),
    ]:
        problem(
            api.get("/reports/summary", params=query, headers=member.auth),
            400,
            code,
        )


def test_records_of_earlier_days_land_on_their_days(api: httpx.Client) -> None:
    """Dated income and expenses: reports and history by date, money now."""
    member = sign_up(api)
    _plan(api, member, "10.00")
    today = dt.datetime.now(dt.UTC).date()
    # A day of the month before this one; an instant early today (this
    # month, before now), written at another offset.
    last_month = today.replace(day=1) - dt.timedelta(days=20)
    early_today = f"{today.isoformat()}T00:30:00+00:30"
    before = _get(api, member, "/balance")
    paid = _post(
        api,
        member,
        "/credits",
        {
            "amount": "120.00",
            "source": "freelance",
            "effective_at": last_month.isoformat(),
        },
    )
    spent = _post(
        api,
        member,
        "/withdrawals",
        {
            "amount": "30.00",
            "category": "rent",
            "effective_at": early_today,
        },
    )
    now = _post(api, member, "/credits", {"amount": "10.00"})

    # The money moved now, split by today's plan.
    assert paid["balances"] == {"main": "108.00", "savings": "12.00"}
    assert spent["balances"] == {"main": "78.00", "savings": "12.00"}
    dated = paid["transaction"]
    assert dated["effective_at"] == f"{last_month.isoformat()}T00:00:00Z"
    assert dated["occurred_at"] > dated["effective_at"]
    assert spent["transaction"]["effective_at"] == f"{today}T00:00:00Z"
    undated = now["transaction"]
    assert undated["effective_at"] == undated["occurred_at"]
    # Balances as of an instant are the ledger's: before the credit was
    # booked there was nothing, whatever its date.
    was = _get(api, member, "/balance", at=dated["occurred_at"])
    assert was["total"] == "120.00"
    ago = _get(api, member, "/balance", at=before["at"])
    assert ago["total"] == "0.00"

    # The history lists by date: newest first, the dated ones in place.
    listed = _get(api, member, "/transactions")["results"]
    ids = [t["id"] for t in listed]
    assert ids == [undated["id"], spent["transaction"]["id"], dated["id"]]
    in_last_month = _get(
        api,
        member,
        "/transactions",
        **{
            "from": last_month.replace(day=1).isoformat(),
            "to": (today.replace(day=1) - dt.timedelta(days=1)).isoformat(),
        },
    )["results"]
    assert [t["id"] for t in in_last_month] == [dated["id"]]

    # Reports put each on its month; last month's report is one query
    # away from a cache, yet shows a record entered after it was read.
    month_key = last_month.strftime("%Y-%m")
    by_month = _get(api, member, "/reports/summary", group_by="month")
    groups = {g["key"]: g for g in by_month["groups"]}
    assert groups[month_key]["income"] == "120.00"
    assert groups[month_key]["saved"] == "12.00"
    closed = {"group_by": "source", "to": last_month.isoformat()}
    first = _get(api, member, "/reports/summary", **closed)
    assert first["income"] == "120.00"
    _post(
        api,
        member,
        "/credits",
        {"amount": "5.00", "effective_at": last_month.isoformat()},
    )
    second = _get(api, member, "/reports/summary", **closed)
    assert second["income"] == "125.00"

    # Never in the future, and a date must be one.
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    for body, code in [
        ({"amount": "1", "effective_at": tomorrow}, "validation_error"),
        ({"amount": "1", "effective_at": "last week"}, "invalid_datetime"),
    ]:
        for path in ("/credits", "/withdrawals"):
            refused = problem(
                api.post(path, json=body, headers=member.auth), 400, code
            )
            assert list(refused["errors"]) == ["effective_at"]
    assert _get(api, member, "/balance")["total"] == "105.00"


def test_goals_share_the_savings_balance(api: httpx.Client) -> None:
    member = sign_up(api)
    _plan(api, member, "25.00")
    answer = _post(api, member, "/credits", {"amount": "400.00"})
    savings = Decimal(answer["balances"]["savings"])
    assert savings == Decimal("100.00")
    later = (dt.date.today() + dt.timedelta(days=365)).isoformat()
    sooner = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    bike = _post(
        api,
        member,
        "/goals",
        {"name": "Bike", "target_amount": "150.00", "target_date": later},
    )
    trip = _post(
        api,
        member,
        "/goals",
        {"name": "Trip", "target_amount": "80", "target_date": sooner},
    )
    # The sooner goal is funded first; the bike gets what is left.
    assert (trip["saved"], trip["progress_percent"]) == ("80.00", "100.00")
    assert trip["on_track"] is True
    goals = {g["id"]: g for g in _get(api, member, "/goals")["results"]}
    left = savings - Decimal("80.00")
    assert goals[bike["id"]]["saved"] == f"{left:.2f}"
    assert goals[bike["id"]]["progress_percent"] == str(
        (left / Decimal(150) * 100).quantize(CENT, ROUND_DOWN)
    )

    patched = api.patch(
        f"/goals/{trip['id']}",
        json={"target_amount": "120.00", "target_date": None},
        headers=member.auth,
    )
    assert patched.status_code == 200, patched.text
    # Dated goals first: the bike takes everything; the trip is undated.
    assert (patched.json()["saved"], patched.json()["on_track"]) == (
        "0.00",
        None,
    )

    stranger = sign_up(api)
    problem(
        api.get(f"/goals/{bike['id']}", headers=stranger.auth),
        404,
        "goal_not_found",
    )
    problem(
        api.delete(f"/goals/{bike['id']}", headers=stranger.auth),
        404,
        "goal_not_found",
    )
    for target in ("0", "-5.00", "1.001"):
        problem(
            api.post(
                "/goals",
                json={"name": "Nope", "target_amount": target},
                headers=member.auth,
            ),
            400,
            "invalid_amount",
        )
    assert len(_get(api, member, "/goals")["results"]) == 2
    deleted = api.delete(f"/goals/{trip['id']}", headers=member.auth)
    assert deleted.status_code == 204
    problem(
        api.get(f"/goals/{trip['id']}", headers=member.auth),
        404,
        "goal_not_found",
    )


def _ws_url(stack: Stack, group_id: str, token: str | None) -> str:
    origin = urlsplit(stack.origin)
    url = f"ws://{origin.hostname}:{origin.port}/ws/groups/{group_id}/"
    return f"{url}?token={token}" if token else url


def _next_event(socket: ClientConnection) -> dict:
    return json.loads(socket.recv(timeout=LIVE_WITHIN))


def test_group_contributions_reach_members_live(
    api: httpx.Client, stack: Stack
) -> None:
    ana, ben, cai = (sign_up(api, first_name=n) for n in ("Ana", "Ben", "Cai"))
    for member in (ana, ben, cai):
        _plan(api, member, "25.00")
    _post(api, cai, "/credits", {"amount": "200.00"})  # 50.00 saved
    group = _post(
        api,
        ana,
        "/groups",
        {"name": "Summer", "target_amount": "120.00", "currency": "USD"},
    )
    for email in (ben.email, cai.email):
        _post(api, ana, f"/groups/{group['id']}/members", {"email": email})
    problem(
        api.post(
            f"/groups/{group['id']}/members",
            json={"email": ben.email.upper()},
            headers=ben.auth,
        ),
        409,
        "already_member",
    )

    stranger = sign_up(api)
    when_ready(lambda: api.get("/accounts", headers=stranger.auth))
    with pytest.raises(InvalidStatus) as refused:
        connect(_ws_url(stack, group["id"], stranger.access)).close()
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        connect(_ws_url(stack, group["id"], "not-a-jwt")).close()

    with (
        connect(_ws_url(stack, group["id"], ana.access)) as ana_socket,
        connect(_ws_url(stack, group["id"], None)) as ben_socket,
    ):
        # Ben authenticates with his first message instead of the query.
        ben_socket.send(json.dumps({"type": "auth", "token": ben.access}))
        assert _next_event(ben_socket)["type"] == "auth_ok"
        sent_at = time.monotonic()
        answer = _post(
            api,
            cai,
            f"/groups/{group['id']}/contributions",
            {"amount": "30.00", "message": "Beach fund!"},
        )
        assert answer["transaction"]["kind"] == "group_contribution"
        assert answer["balances"]["savings"] == "20.00"
        for socket in (ana_socket, ben_socket):
            event = _next_event(socket)
            assert time.monotonic() - sent_at < LIVE_WITHIN + 0.5
            assert event == {
                **event,
                "type": "contribution",
                "user_id": cai.id,
                "amount": "30.00",
                "message": "Beach fund!",
                "total": "30.00",
            }
            assert instant(event["timestamp"]) == instant(
                answer["transaction"]["occurred_at"]
            )

    # Ben is offline now: what he missed is in the group on his return.
    _post(api, cai, f"/groups/{group['id']}/contributions", {"amount": "15"})
    seen = _get(api, ben, f"/groups/{group['id']}")
    assert (seen["total"], seen["progress_percent"]) == ("45.00", "37.50")
    board = [(m["user_id"], m["contributed"]) for m in seen["members"]]
    assert board == [(cai.id, "45.00"), (ana.id, "0.00"), (ben.id, "0.00")]

    # Refusals change nothing: not a member, too much, another currency.
    problem(
        api.post(
            f"/groups/{group['id']}/contributions",
            json={"amount": "1.00"},
            headers=stranger.auth,
        ),
        404,
        "group_not_found",
    )
    problem(
        api.post(
            f"/groups/{group['id']}/contributions",
            json={"amount": "5.01"},
            headers=cai.auth,
        ),
        422,
        "insufficient_funds",
    )
    problem(
        api.post(
            f"/groups/{group['id']}/contributions",
            json={"amount": "1.00", "currency": "EUR"},
            headers=cai.auth,
        ),
        422,
        "currency_mismatch",
    )
    problem(
        api.get(f"/groups/{group['id']}", headers=stranger.auth),
        404,
        "group_not_found",
    )
    assert _get(api, ana, f"/groups/{group['id']}")["total"] == "45.00"
    balances = _get(api, cai, "/balance")
    assert (balances["main"], balances["savings"]) == ("150.00", "5.00")


def test_concurrent_contributions_add_up_exactly(api: httpx.Client) -> None:
    members = [sign_up(api) for _ in range(3)]
    for member in members:
        _plan(api, member, "25.00")
        _post(api, member, "/credits", {"amount": "40.00"})  # 10.00 saved
    group = _post(
        api, members[0], "/groups", {"name": "Race", "target_amount": "25"}
    )
    for member in members[1:]:
        _post(
            api,
            members[0],
            f"/groups/{group['id']}/members",
            {"email": member.email},
        )

    def contribute(member: Member) -> int:
        # Twelve at once are over a user's requests in flight: the client
        # waits out 429 as told, and the request is sent again.
        return when_ready(
            lambda: api.post(
                f"/groups/{group['id']}/contributions",
                json={"amount": "1.00"},
                headers=member.auth,
            )
        ).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(contribute, members * 12))
    # Each member has 10.00 saved: ten of their twelve 1.00 pass.
    assert sorted(statuses) == [201] * 30 + [422] * 6
    seen = _get(api, members[0], f"/groups/{group['id']}")
    assert seen["total"] == "30.00"
    assert seen["progress_percent"] == "120.00"
    assert {m["contributed"] for m in seen["members"]} == {"10.00"}


def test_staff_plan_change_is_served_at_once(
    api: httpx.Client, stack: Stack
) -> None:
    member = sign_up(api)
    # Two reads: the second one is served from the shared cache.
    when_ready(lambda: api.get("/plans", headers=member.auth))
    plan = _get_list(api, member)[0]
    changed = stack.manage(
        "accounting",
        "shell",
        "-c",
        "from accounting.models import Plan; "
        f"p = Plan.objects.get(pk='{plan['id']}'); "
        "p.description = 'Changed by staff'; p.save()",
    )
    assert changed.returncode == 0, changed.stderr
    after = {p["id"]: p for p in _get_list(api, member)}
    assert after[plan["id"]]["description"] == "Changed by staff"


def _get_list(api: httpx.Client, member: Member) -> list:
    response = api.get("/plans", headers=member.auth)
    assert response.status_code == 200, response.text
    return response.json()["results"]
