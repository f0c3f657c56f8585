"""Conditional requests and the gateway's cache, on the real processes.

Every read carries an ETag and a current If-None-Match is a 304; what the
gateway keeps (profile, plans, rates, categories, closed reports) is never
served once a change was made: through the API, by staff in either admin,
or by a Celery worker applying a user's deletion.
"""

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.e2e.conftest import ACCOUNTING_PORT, RUN_DIR, USERS_PORT
from tests.e2e.helpers import Member, problem, sign_up, when_ready

pytestmark = pytest.mark.e2e

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
USERS_ADMIN = f"http://127.0.0.1:{USERS_PORT}/admin"
ACCOUNTING_ADMIN = f"http://127.0.0.1:{ACCOUNTING_PORT}/admin"
EVENT_TIMEOUT = 30


def _staff() -> tuple[str, str]:
    values = dict(
        line.split("=", 1)
        for line in (RUN_DIR / "local.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return values["STAFF_EMAIL"], values["STAFF_PASSWORD"]


def _post_form(
    browser: httpx.Client, page: str, data: dict, *, target: str = ""
) -> httpx.Response:
    """Posts an admin form as a browser does: its CSRF token, its Referer."""
    form = browser.get(page)
    assert form.status_code == 200, page
    token = CSRF_FIELD.search(form.text).group(1)
    return browser.post(
        target or page,
        data={**data, "csrfmiddlewaretoken": token},
        headers={"Referer": page},
    )


def _confirmed_action(
    browser: httpx.Client, changelist: str, action: str, selected: str
) -> httpx.Response:
    """Runs an irreversible admin action: asked, then confirmed with a why."""
    chosen = {"action": action, "_selected_action": selected}
    asked = _post_form(browser, changelist, {**chosen, "index": "0"})
    assert "Are you sure?" in asked.text, asked.text[:500]
    return _post_form(
        browser,
        changelist,
        {**chosen, "confirmed": "yes", "reason": "End-to-end suite"},
    )


@pytest.fixture(scope="module")
def staff(stack) -> httpx.Client:
    """A browser logged in to both admins."""
    del stack
    email, password = _staff()
    browser = httpx.Client(follow_redirects=True, timeout=30)
    for admin in (USERS_ADMIN, ACCOUNTING_ADMIN):
        done = _post_form(
            browser,
            f"{admin}/login/",
            {"username": email, "password": password, "next": "/admin/"},
            target=f"{admin}/login/?next=/admin/",
        )
        assert done.status_code == 200, done.text[:500]
        assert "log out" in done.text.lower()
    yield browser
    browser.close()


def _get(api: httpx.Client, member: Member, path: str, etag: str = "", **q):
    headers = {**member.auth, **({"If-None-Match": etag} if etag else {})}
    return api.get(path, params=q, headers=headers)


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + EVENT_TIMEOUT
    while not check():
        assert time.monotonic() < deadline, (
            f"not within {EVENT_TIMEOUT}s: {what}"
        )
        time.sleep(0.2)


def test_reads_carry_an_etag_and_a_current_one_is_a_304(api):
    member = sign_up(api)

    full = _get(api, member, "/me")
    current = _get(api, member, "/me", full.headers["ETag"])
    weak_list = _get(api, member, "/me", f'"x", W/{full.headers["ETag"]}')
    malformed = _get(api, member, "/me", "not a tag")

    assert full.status_code == 200
    assert full.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in full.headers["Vary"]
    assert current.status_code == 304
    assert current.content == b""
    for name in ("ETag", "Cache-Control", "Vary"):
        assert current.headers[name] == full.headers[name]
    assert weak_list.status_code == 304
    assert malformed.status_code == 200
    refused = api.get("/me", headers={"If-None-Match": "*"})
    problem(refused, 401, "not_authenticated")
    assert "ETag" not in refused.headers


def test_a_profile_change_through_the_api_shows_at_once(api):
    member = sign_up(api, first_name="Ada")
    before = _get(api, member, "/me")
    assert _get(api, member, "/me", before.headers["ETag"]).status_code == 304

    patched = api.patch(
        "/me", json={"first_name": "Grace"}, headers=member.auth
    )
    after = _get(api, member, "/me", before.headers["ETag"])

    assert patched.status_code == 200, patched.text
    assert after.status_code == 200
    assert after.json()["first_name"] == "Grace"


def test_one_users_profile_is_never_anothers(api):
    ada, bob = sign_up(api, first_name="Ada"), sign_up(api, first_name="Bob")
    ada_tag = _get(api, ada, "/me").headers["ETag"]

    for _ in range(3):
        bob_me = _get(api, bob, "/me", ada_tag)
        assert bob_me.status_code == 200
        assert bob_me.json()["id"] == bob.id
        assert _get(api, ada, "/me").json()["id"] == ada.id


def test_a_user_edited_in_the_users_admin_shows_at_once(api, staff):
    member = sign_up(api, first_name="Ada", last_name="Lovelace")
    before = _get(api, member, "/me")
    _get(api, member, "/me")  # kept and revalidated

    page = f"{USERS_ADMIN}/users/user/{member.id}/change/"
    edited = _post_form(
        staff,
        page,
        {
            "email": member.email,
            "first_name": "Augusta",
            "last_name": "Lovelace",
            "is_active": "on",
        },
    )
    after = _get(api, member, "/me", before.headers["ETag"])

    assert edited.status_code == 200, edited.text[:500]
    assert after.status_code == 200
    assert after.json()["first_name"] == "Augusta"


def _plans_named(api: httpx.Client, member: Member, name: str) -> list[dict]:
    response = _get(api, member, "/plans")
    assert response.status_code == 200, response.text
    return [p for p in response.json()["results"] if p["name"] == name]


def test_a_plan_added_edited_and_withdrawn_in_the_admin_shows_at_once(
    api, staff
):
    member = sign_up(api)
    name = f"Zz e2e cache {uuid.uuid4().hex[:8]}"
    tag = _get(api, member, "/plans").headers["ETag"]
    fields = {
        "name": name,
        "kind": "percentage",
        "currency": "USD",
        "value": "7.00",
        "savings_hold_days": "0",
        "description": "",
    }

    added = _post_form(
        staff, f"{ACCOUNTING_ADMIN}/accounting/plan/add/", fields
    )
    listed = _get(api, member, "/plans", tag)
    (plan,) = _plans_named(api, member, name)
    edited = _post_form(
        staff,
        f"{ACCOUNTING_ADMIN}/accounting/plan/{plan['id']}/change/",
        {**fields, "value": "8.50"},
    )
    (changed,) = _plans_named(api, member, name)
    withdrawn = _confirmed_action(
        staff, f"{ACCOUNTING_ADMIN}/accounting/plan/", "deactivate", plan["id"]
    )

    assert added.status_code == 200, added.text[:500]
    assert listed.status_code == 200
    assert plan["value"] == "7.00"
    assert edited.status_code == 200, edited.text[:500]
    assert changed["value"] == "8.50"
    assert withdrawn.status_code == 200, withdrawn.text[:500]
    assert _plans_named(api, member, name) == []


def test_a_rate_published_in_the_admin_shows_at_once(api, staff):
    member = sign_up(api)
    before = _get(api, member, "/rates", base="GBP")
    rate = f"{23 + uuid.uuid4().int % 1000 / 1000:.4f}"

    published = _post_form(
        staff,
        f"{ACCOUNTING_ADMIN}/accounting/rate/add/",
        {
            "base": "GBP",
            "quote": "MXN",
            "rate": rate,
            "valid_from_0": "",
            "valid_from_1": "",
        },
    )
    after = _get(api, member, "/rates", before.headers["ETag"], base="GBP")

    assert published.status_code == 200, published.text[:500]
    assert after.status_code == 200
    by_quote = {r["quote"]: r["rate"] for r in after.json()["results"]}
    assert by_quote["MXN"].rstrip("0") == rate.rstrip("0")


def test_a_category_added_in_the_admin_shows_at_once(api, staff):
    member = sign_up(api)
    before = _get(api, member, "/categories")
    name = f"e2e cache {uuid.uuid4().hex[:8]}"

    added = _post_form(
        staff,
        f"{ACCOUNTING_ADMIN}/accounting/category/add/",
        {"name": name, "is_active": "on"},
    )
    after = _get(api, member, "/categories", before.headers["ETag"])

    assert added.status_code == 200, added.text[:500]
    assert after.status_code == 200
    assert {"name": name} in after.json()["results"]


def _last_month() -> tuple[dt.date, dt.date]:
    first = dt.datetime.now(dt.UTC).date().replace(day=1)
    end = first - dt.timedelta(days=1)
    return end.replace(day=1), end


def test_a_credit_written_back_into_a_closed_month_changes_its_report(api):
    member = sign_up(api)
    start, end = _last_month()
    query = {
        "group_by": "month",
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    first = when_ready(lambda: _get(api, member, "/reports/summary", **query))
    assert first.status_code == 200, first.text
    assert first.json()["income"] == "0.00"
    # Kept, then revalidated: still the same.
    same = _get(api, member, "/reports/summary", first.headers["ETag"], **query)
    assert same.status_code == 304

    credited = api.post(
        "/credits",
        json={
            "amount": "25.00",
            "effective_at": f"{start.isoformat()}T12:00:00Z",
        },
        headers=member.auth,
    )
    after = _get(
        api, member, "/reports/summary", first.headers["ETag"], **query
    )

    assert credited.status_code == 201, (
        "back-dated credits (effective_at) are needed: " + credited.text
    )
    assert after.status_code == 200
    assert after.json()["income"] == "25.00"


def test_money_now_is_tagged_but_read_afresh(api):
    member = sign_up(api)
    at = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    first = when_ready(lambda: _get(api, member, "/balance", at=at))
    assert first.status_code == 200, first.text
    current = _get(api, member, "/balance", first.headers["ETag"], at=at)
    credited = when_ready(
        lambda: api.post(
            "/credits", json={"amount": "10.00"}, headers=member.auth
        )
    )
    now = _get(api, member, "/accounts")
    again = _get(api, member, "/accounts", now.headers["ETag"])
    api.post("/credits", json={"amount": "1.00"}, headers=member.auth)
    moved = _get(api, member, "/accounts", now.headers["ETag"])

    assert current.status_code == 304
    assert credited.status_code == 201, credited.text
    assert again.status_code == 304
    assert moved.status_code == 200


def test_a_user_deleted_by_staff_is_refused_on_kept_answers(api, staff):
    member = sign_up(api)
    kept = {
        path: when_ready(lambda path=path: _get(api, member, path))
        for path in ("/me", "/plans", "/categories")
    }
    assert all(r.status_code == 200 for r in kept.values())

    deleted = _confirmed_action(
        staff, f"{USERS_ADMIN}/users/user/", "soft_delete", member.id
    )
    assert deleted.status_code == 200, deleted.text[:500]

    me = _get(api, member, "/me", kept["/me"].headers["ETag"])
    problem(me, 401, "user_inactive")
    # The catalog is accounting's: refused once a worker has applied the
    # deletion the users service sent it through the outbox.
    for path in ("/plans", "/categories"):
        _eventually(
            lambda path=path: (
                _get(api, member, path, kept[path].headers["ETag"]).status_code
                == 401
            ),
            f"{path} refused after the deletion",
        )
