"""What staff do in the accounting admin, and what the API then answers.

Each test works through the pages as staff would (links, forms, buttons)
and checks both what the page says and what a holder's API calls answer
afterwards.
"""

import csv
import io
import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    Platform,
    StaffUser,
    admin_log_in,
    screenshot,
)
from tests.e2e.helpers import Member, sign_up, when_ready


def credited(api: httpx.Client, amount: str) -> Member:
    """A new member whose USD main account was credited ``amount``."""
    member = sign_up(api)
    answer = when_ready(
        lambda: api.post(
            "/credits",
            json={"amount": amount, "description": "salary"},
            headers=member.auth,
        )
    )
    assert answer.status_code == 201, answer.text
    return member


def withdraw(api: httpx.Client, member: Member, amount: str) -> httpx.Response:
    """A withdrawal from the member's main USD account."""
    return api.post(
        "/withdrawals",
        json={"amount": amount, "description": "rent"},
        headers=member.auth,
    )


def open_holder(page: Page, platform: Platform, email: str) -> None:
    """Finds a holder by email in the accounting admin and opens them."""
    page.goto(f"{platform.accounting}/admin/accounting/holder/")
    page.get_by_role("textbox").first.fill(email)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=email).click()


def test_staff_export_the_transactions_a_search_shows(
    page: Page, platform: Platform, staff: StaffUser, api: httpx.Client
):
    member = credited(api, "25.00")
    credited(api, "30.00")  # another holder's, which the search leaves out

    admin_log_in(page, platform.accounting, staff)
    page.goto(f"{platform.accounting}/admin/accounting/transaction/")
    page.get_by_role("textbox").first.fill(member.email)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()

    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert download.value.suggested_filename.startswith(
        "accounting-transaction-"
    )
    assert [(r["holder_email"], r["kind"], r["amount"]) for r in rows] == [
        (member.email, "credit", "25.00")
    ]


def test_a_wallet_frozen_in_the_admin_stops_money_leaving_until_lifted(
    page: Page, platform: Platform, staff: StaffUser, api: httpx.Client
):
    member = credited(api, "40.00")
    admin_log_in(page, platform.accounting, staff)
    open_holder(page, platform, member.email)
    page.locator(".inline-group tr.has_original").filter(
        has_text=re.compile(r"\bmain USD\b")
    ).get_by_role("link", name="View").click()

    page.get_by_role("link", name="Freeze this wallet").click()
    page.get_by_label("Mode").select_option("debit")
    page.get_by_label("Reason").fill("Chargeback under review")
    screenshot(page, "accounting-freeze-form")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added")

    refused = withdraw(api, member, "5.00")
    still_in = api.post(
        "/credits", json={"amount": "1.00"}, headers=member.auth
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "account_frozen"
    assert "Chargeback" not in refused.text  # the reason is staff's
    assert still_in.status_code == 201, still_in.text

    page.locator("#result_list tbody tr").filter(
        has_text=member.email
    ).get_by_role("link").first.click()
    page.get_by_role("link", name="Lift", exact=True).click()
    page.get_by_label("Reason").fill("Chargeback withdrawn")
    page.get_by_role("button", name=re.compile("^Lift")).click()
    expect(page.locator(".messagelist")).to_contain_text("Freeze lifted")
    assert withdraw(api, member, "5.00").status_code == 201


def test_closing_a_rich_wallet_waits_for_a_second_staff_member(
    page: Page,
    browser: Browser,
    platform: Platform,
    make_staff,
    api: httpx.Client,
):
    member = credited(api, "1500.00")
    asker, approver = make_staff(), make_staff()

    admin_log_in(page, platform.accounting, asker)
    page.goto(f"{platform.accounting}/admin/accounting/account/")
    page.get_by_role("textbox").first.fill(member.email)
    page.get_by_role("button", name="Search").click()
    page.locator("#result_list tbody tr").filter(has_text="main").locator(
        "input.action-select"
    ).check()
    page.locator("select[name=action]").select_option("close_wallets")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Are you sure?")).to_be_visible()
    page.get_by_label(re.compile("^Reason")).fill("Holder is leaving")
    page.get_by_role("button", name="Yes, I'm sure").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "asked for approval by another"
    )
    assert withdraw(api, member, "1.00").status_code == 201  # still open

    second = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = second.new_page()
        admin_log_in(other, platform.accounting, approver)
        other.goto(f"{platform.accounting}/admin/accounting/staffrequest/")
        other.locator("#result_list tbody tr").filter(
            has_text=member.email
        ).get_by_role("link").first.click()
        expect(other.locator("body")).to_contain_text("1500.00 USD")
        other.get_by_label(re.compile("^Note")).fill("Ticket checked")
        screenshot(other, "accounting-staff-request")
        other.get_by_role("button", name="Approve and run").click()
        expect(other.locator(".messagelist")).to_contain_text(
            "Approved and done"
        )
    finally:
        second.close()

    closed = withdraw(api, member, "1.00")
    assert closed.status_code == 422, closed.text
    assert closed.json()["code"] == "account_closed"
