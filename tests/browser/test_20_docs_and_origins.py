"""The API docs and the admins load nothing from another origin; try-outs.

Every request a page makes is recorded from its first byte, until the
page has drawn what it is for and the network is quiet. A request the
page's own policy refused (``Content-Security-Policy``) never left the
browser, and does not count as going out.
"""

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import (
    Platform,
    StaffUser,
    admin_log_in,
    screenshot,
)
from tests.e2e.helpers import sign_up, when_ready


class Traffic:
    """What a tab asked for: every request, and those its policy refused."""

    def __init__(self, page: Page) -> None:
        self.requests: list[Request] = []
        self.refused: list[Request] = []
        page.context.on("request", self._sent)
        page.context.on("requestfailed", self._failed)

    def _sent(self, request: Request) -> None:
        self.requests.append(request)

    def _failed(self, request: Request) -> None:
        if request.failure == "csp":
            self.refused.append(request)

    def sent_elsewhere(self, origin: str) -> list[str]:
        """The URLs that left the browser for another origin than ours."""
        return [
            request.url
            for request in self.requests
            if request not in self.refused
            and not request.url.startswith((f"{origin}/", "data:", "blob:"))
        ]


def test_redoc_loads_nothing_from_elsewhere_not_even_a_logo(
    page: Page, platform: Platform
):
    traffic = Traffic(page)

    page.goto(f"{platform.gateway}/api/redoc/")
    # The menu's footer is the last thing ReDoc draws: the logo's place.
    expect(page.get_by_text("API docs by Redocly")).to_be_visible()
    expect(page.get_by_role("heading", name="Read my balance")).to_be_attached()
    page.wait_for_load_state("networkidle")

    assert traffic.sent_elsewhere(platform.gateway) == []
    assert any(r.url.endswith("/api/schema/") for r in traffic.requests)
    # The bundle did try its CDN logo: the page's policy stopped it.
    assert [r.url for r in traffic.refused] == [
        "https://cdn.redoc.ly/redoc/logo-mini.svg"
    ]
    screenshot(page, "api-redoc")


def test_swagger_try_out_of_balance_sends_no_at_nor_etag(
    page: Page, platform: Platform, api: httpx.Client
):
    member = sign_up(api)
    credited = when_ready(
        lambda: api.post(
            "/credits", json={"amount": "12.34"}, headers=member.auth
        )
    )
    assert credited.status_code == 201, credited.text
    traffic = Traffic(page)

    page.goto(f"{platform.gateway}/api/docs/")
    page.locator(".auth-wrapper .authorize").click()
    bearer = page.locator(".auth-container").filter(has_text="bearerAuth")
    bearer.get_by_label("auth-bearer-value").fill(member.access)
    bearer.get_by_role("button", name="Apply credentials").click()
    bearer.get_by_role("button", name="Close").click()

    balance = page.locator("#operations-Money-balance_retrieve")
    balance.locator(".opblock-summary").click()
    balance.get_by_role("button", name="Try it out").click()
    # Nothing filled in for the caller: no instant, no made-up ETag.
    for name in ("at", "If-None-Match"):
        field = balance.locator(f"tr[data-param-name='{name}'] input")
        expect(field).to_have_value("")
    with page.expect_response(re.compile(r"/api/v1/balance")) as answer:
        balance.get_by_role("button", name="Execute").click()

    sent = answer.value.request
    assert "at" not in parse_qs(urlsplit(sent.url).query)
    assert "if-none-match" not in sent.headers
    assert answer.value.status == 200
    # The balance now, not the zeros of an instant before the credit.
    assert answer.value.json()["main"] == "12.34"
    expect(balance.locator(".live-responses-table")).to_contain_text("12.34")
    assert traffic.sent_elsewhere(platform.gateway) == []
    screenshot(page, "api-swagger-balance")


@pytest.mark.parametrize("service", ["users", "accounting"])
def test_the_admins_load_nothing_from_elsewhere(
    page: Page, platform: Platform, staff: StaffUser, service: str
):
    origin = getattr(platform, service)
    traffic = Traffic(page)

    admin_log_in(page, origin, staff)
    models = page.locator("#content-main th[scope=row] a")
    pages = [models.nth(n).get_attribute("href") for n in range(2)]
    for path in [*pages, "/admin/"]:
        page.goto(f"{origin}{path}")
        page.wait_for_load_state("networkidle")

    assert len(traffic.requests) > 5
    assert traffic.sent_elsewhere(origin) == []
    assert traffic.refused == []
