"""The two back offices, as staff use them: side by side in one browser."""

import re
import time

import httpx
import pytest

from tests.e2e.conftest import ACCOUNTING_PORT, RUN_DIR, USERS_PORT

pytestmark = pytest.mark.e2e

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _staff() -> tuple[str, str]:
    values = dict(
        line.split("=", 1)
        for line in (RUN_DIR / "local.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return values["STAFF_EMAIL"], values["STAFF_PASSWORD"]


def _log_in(browser: httpx.Client, origin: str) -> None:
    email, password = _staff()
    form = browser.get(f"{origin}/admin/login/")
    token = CSRF_FIELD.search(form.text).group(1)
    done = browser.post(
        f"{origin}/admin/login/?next=/admin/",
        data={
            "username": email,
            "password": password,
            "csrfmiddlewaretoken": token,
            "next": "/admin/",
        },
        headers={"Referer": f"{origin}/admin/login/"},
    )
    assert done.status_code == 200, done.text[:500]
    assert "Log out" in done.text or "log out" in done.text.lower()


def test_staff_stay_logged_in_to_both_admins_at_once(stack):
    del stack  # the running processes
    users = f"http://127.0.0.1:{USERS_PORT}"
    accounting = f"http://127.0.0.1:{ACCOUNTING_PORT}"
    # One cookie jar for both, as a browser keeps cookies per host, not port.
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        _log_in(browser, accounting)
        _log_in(browser, users)

        pages = [
            f"{accounting}/admin/",
            f"{accounting}/admin/accounting/plan/",
            f"{accounting}/admin/accounting/plan/add/",
            f"{accounting}/admin/accounting/holder/",
            f"{accounting}/admin/accounting/transaction/",
            f"{users}/admin/",
            f"{users}/admin/users/user/",
        ]
        for page in pages:
            response = browser.get(page)
            assert response.status_code == 200, page
            assert "/admin/login/" not in str(response.url), (
                f"logged out of {page}"
            )


# A row's link; a searched list adds its filters to it (?_changelist_...).
CHANGE_LINK = re.compile(r'href="(/admin/users/user/[0-9a-f-]{36}/change/)[?"]')


def test_a_users_page_shows_their_money_from_accounting(stack):
    """The users admin reads accounting over HTTP, with its own credential.

    The staff account is a user too (seed_demo writes its event): once
    accounting has its holder, its page in the users admin shows the
    holder and its wallet, linked into the accounting admin.
    """
    del stack
    users = f"http://127.0.0.1:{USERS_PORT}"
    email, _ = _staff()
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        _log_in(browser, users)
        listing = browser.get(f"{users}/admin/users/user/", params={"q": email})
        page_path = CHANGE_LINK.search(listing.text).group(1)

        deadline = time.monotonic() + 30
        while True:
            page = browser.get(f"{users}{page_path}")
            assert page.status_code == 200
            if "does not know this user yet" not in page.text:
                break
            assert time.monotonic() < deadline, "no holder after 30 s"
            time.sleep(0.5)

    assert "Accounting unavailable" not in page.text
    assert "Money (accounting)" in page.text
    accounting_admin = f"http://127.0.0.1:{ACCOUNTING_PORT}/admin/accounting"
    assert f'href="{accounting_admin}/holder/' in page.text
    assert " USD</a>" in page.text
