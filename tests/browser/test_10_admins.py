"""Both admins as a new staff member meets them: log in, find, read."""

import re

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    Platform,
    StaffUser,
    admin_log_in,
    screenshot,
)
from tests.e2e.helpers import sign_up, when_ready

# An instant as both admins write it: ISO order, to the second, in UTC.
SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}( UTC)?$")


def model_link(page: Page, name: str) -> Locator:
    """A model's link in an admin index's list of apps."""
    return page.locator("#content-main th[scope=row]").get_by_role(
        "link", name=name, exact=True
    )


def test_staff_log_in_to_both_admins_in_one_browser(
    page: Page, platform: Platform, staff: StaffUser
):
    admin_log_in(page, platform.users, staff)
    expect(model_link(page, "Users")).to_be_visible()

    admin_log_in(page, platform.accounting, staff)
    expect(model_link(page, "Holders")).to_be_visible()
    screenshot(page, "accounting-index")

    # Both sessions hold (cookies are per host, not per port).
    page.goto(f"{platform.users}/admin/users/user/")
    expect(page).to_have_url(re.compile(r"/admin/users/user/$"))
    expect(page.get_by_role("link", name=staff.email)).to_be_visible()


def test_a_second_staff_member_logs_in_to_both_admins(
    page: Page, platform: Platform, make_staff
):
    second = make_staff()
    for origin in (platform.users, platform.accounting):
        admin_log_in(page, origin, second)
        expect(page.locator("#user-tools")).to_contain_text(
            re.compile(re.escape(second.email), re.IGNORECASE)
        )


def test_a_credit_through_the_api_shows_on_the_holder_and_account_pages(
    page: Page, platform: Platform, staff: StaffUser, api: httpx.Client
):
    member = sign_up(api)
    credited = when_ready(
        lambda: api.post(
            "/credits",
            json={"amount": "25.00", "description": "salary"},
            headers=member.auth,
        )
    )
    assert credited.status_code == 201, credited.text
    transaction_id = credited.json()["transaction"]["id"]

    admin_log_in(page, platform.accounting, staff)
    model_link(page, "Holders").click()
    page.get_by_role("textbox").first.fill(member.email)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=member.email).click()

    # The holder's page: its wallet, as money.
    main_row = page.locator(".inline-group tr.has_original").filter(
        has_text=re.compile(r"\bmain USD\b")
    )
    expect(main_row).to_contain_text("25.00 USD")
    main_row.get_by_role("link", name="View").click()

    # The account's page: its balance and its statement, newest first.
    expect(page.locator(".field-balance_now")).to_contain_text("25.00 USD")
    statement = page.locator("#statement")
    first = statement.locator("tbody tr").first
    expect(first).to_contain_text("25.00 USD")
    expect(first).to_contain_text("Credit")
    screenshot(page, "accounting-account", full_page=True)

    # Times to the second.
    expect(page.locator(".field-created_at .readonly")).to_have_text(SECONDS)

    # The whole list of the account's entries, one click away.
    statement.get_by_role("link", name="All entries of this account").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("25.00 USD")
    expect(rows.first.locator(".field-occurred_at")).to_have_text(SECONDS)

    # All entries, found by their transaction's id: both sides, as money.
    page.locator("#nav-sidebar").get_by_role("link", name="Entries").click()
    page.get_by_role("textbox", name="Search").fill(transaction_id)
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text("-25.00 USD")
    expect(rows.filter(has_text=member.email)).to_contain_text("main USD")
    screenshot(page, "accounting-entries", full_page=True)

    # The entry leads to its transaction.
    rows.first.get_by_role("link", name=transaction_id).click()
    expect(page.locator(".field-transaction_amount")).to_contain_text(
        "25.00 USD"
    )
    expect(page.locator(".field-occurred_at .readonly")).to_have_text(SECONDS)


def test_the_users_admin_shows_times_to_the_second(
    page: Page, platform: Platform, staff: StaffUser
):
    admin_log_in(page, platform.users, staff)
    model_link(page, "Users").click()
    row = page.locator("#result_list tbody tr").filter(has_text=staff.email)
    expect(row.locator(".field-date_joined")).to_have_text(SECONDS)
