"""The two back offices, as staff use them: side by side in one browser."""

import re

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
