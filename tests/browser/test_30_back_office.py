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


def approve_in_another_browser(
    browser: Browser,
    platform: Platform,
    approver: StaffUser,
    member: Member,
    note: str,
) -> str:
    """Approves, as a second staff member, the request about ``member``.

    In a browser context of its own (its own cookies), as another person.

    Returns:
        The text of the request's page, as the approver read it.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        admin_log_in(page, platform.accounting, approver)
        page.goto(f"{platform.accounting}/admin/accounting/staffrequest/")
        page.locator("#result_list tbody tr").filter(
            has_text=member.email
        ).get_by_role("link").first.click()
        read = page.locator("#content").inner_text()
        page.get_by_label(re.compile("^Note")).fill(note)
        screenshot(page, "accounting-staff-request")
        page.get_by_role("button", name="Approve and run").click()
        expect(page.locator(".messagelist")).to_contain_text(
            "Approved and done"
        )
        return read
    finally:
        context.close()


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

    approved = approve_in_another_browser(
        browser, platform, approver, member, "Ticket checked"
    )
    assert "1500.00 USD" in approved

    closed = withdraw(api, member, "1.00")
    assert closed.status_code == 422, closed.text
    assert closed.json()["code"] == "account_closed"


def test_the_dashboard_draws_its_charts_and_runs_verify_ledger(
    page: Page, platform: Platform, staff: StaffUser, api: httpx.Client
):
    credited(api, "25.00")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    admin_log_in(page, platform.accounting, staff)

    for chart in (
        "#chart-money-flows-USD",
        "#chart-savings-rate",
        "#chart-holders-per-plan",
        "#chart-holders-new",
    ):
        expect(page.locator(chart)).to_be_visible()
    # Chart.js drew on each canvas (its size is set by the library).
    drawn = page.eval_on_selector_all(
        "canvas", "cs => cs.map(c => c.getContext('2d') && c.width > 0)"
    )
    assert len(drawn) >= 4
    assert all(drawn)
    screenshot(page, "accounting-dashboard", full_page=True)

    page.locator("#ledger-check-run").click()
    expect(page.locator("#ledger-check-last")).to_contain_text(
        re.compile(r"all \d+ checks hold"), timeout=90_000
    )
    expect(page.locator("#ledger-check-last")).to_contain_text(staff.email)
    assert errors == []


def test_a_large_credit_is_reversed_with_a_second_staff_members_approval(
    page: Page,
    browser: Browser,
    platform: Platform,
    make_staff,
    api: httpx.Client,
):
    member = credited(api, "2000.00")
    asker, approver = make_staff(), make_staff()

    admin_log_in(page, platform.accounting, asker)
    page.goto(f"{platform.accounting}/admin/accounting/transaction/")
    page.get_by_role("textbox").first.fill(member.email)
    page.get_by_role("button", name="Search").click()
    page.locator("#result_list tbody tr").filter(has_text="Credit").get_by_role(
        "link"
    ).first.click()
    page.get_by_role("link", name="Reverse…").click()
    expect(page.locator("body")).to_contain_text("2000.00 USD")
    page.get_by_label("Reason").fill("Paid twice by the employer")
    page.get_by_role("button", name="Reverse").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "asked for approval by another"
    )
    # Asked, not done: the holder's money is still there.
    balance = api.get("/balance", headers=member.auth).json()
    assert balance["main"] == "2000.00", balance

    approve_in_another_browser(
        browser, platform, approver, member, "Employer confirmed"
    )

    listed = api.get("/transactions", headers=member.auth).json()["results"]
    reversal = next(t for t in listed if t["kind"] == "reversal")
    original = next(t for t in listed if t["kind"] == "credit")
    assert reversal["reverses"] == original["id"]
    assert original["reversed_by"] == reversal["id"]
    assert api.get("/balance", headers=member.auth).json()["main"] == "0.00"


def test_a_users_page_shows_their_money_from_accounting(
    page: Page, platform: Platform, staff: StaffUser, api: httpx.Client
):
    member = credited(api, "25.00")

    admin_log_in(page, platform.users, staff)
    page.goto(f"{platform.users}/admin/users/user/")
    page.get_by_role("textbox").first.fill(member.email)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=member.email).click()

    panel = page.locator("#accounting-panel")
    expect(panel.locator(".accounting-wallets")).to_contain_text("25.00 USD")
    expect(panel.locator(".accounting-transactions")).to_contain_text("salary")
    screenshot(page, "users-customer", full_page=True)
    # Its links lead into the accounting admin, to the same holder.
    user_page = page.url
    admin_log_in(page, platform.accounting, staff)
    page.goto(user_page)
    page.locator("#accounting-panel").get_by_role(
        "link", name=member.email, exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/admin/accounting/holder/"))
    expect(page.locator("body")).to_contain_text(member.email)
