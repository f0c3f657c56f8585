"""A user's page shows their money, read from a real accounting service.

Accounting runs under gunicorn on its own database (``accounting_server``):
the panel's figures are what accounting's own services wrote. When it is
unreachable, silent, failing or refuses the credential, the page still
renders, with a note, never a 500.
"""

import re
import time

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from config.testing import assert_branded
from users import clients
from users.models import User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

UNAVAILABLE = "Accounting unavailable"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(
        User.objects.create_superuser("root@example.com", PASSWORD)
    )
    return client


@pytest.fixture
def accounting(settings, accounting_server):
    """The admin's client pointed at the real accounting service."""
    settings.ACCOUNTING_SERVICE_URL = accounting_server.url
    settings.ACCOUNTING_USERS_TOKEN = accounting_server.users_token
    settings.ACCOUNTING_ADMIN_URL = f"{accounting_server.url}/admin/"
    return accounting_server


def _page(staff_client: Client, user: User):
    response = staff_client.get(
        reverse("admin:users_user_change", args=[user.pk])
    )
    assert response.status_code == 200
    return response


def test_a_customers_money_as_accounting_holds_it(staff_client, accounting):
    user = UserFactory(id=accounting.open_id, email="ada@example.com")

    response = _page(staff_client, user)

    panel = response.context["accounting"]
    admin = f"{accounting.url}/admin/accounting"
    assert panel["state"] == "ok"
    assert panel["holder"]["plan"]["name"] == "Save 10%"
    assert panel["holder"]["closed_at"] is None
    assert panel["holder"]["url"] == f"{admin}/holder/{user.pk}/change/"
    assert [
        (w["currency"], w["main"]["balance"], w["savings"]["balance"])
        for w in panel["wallets"]
    ] == [
        ("EUR", "0.00 EUR", "0.00 EUR"),
        # 90.00 of the 100.00 credit, less 0.01 + 0.02 + ... + 0.11.
        ("USD", "89.34 USD", "10.00 USD"),
    ]
    transactions = panel["transactions"]
    assert len(transactions) == 10
    assert [t["amount"] for t in transactions[:2]] == ["0.11 USD", "0.10 USD"]
    assert {t["kind"] for t in transactions} == {"withdrawal"}
    html = response.content.decode()
    assert "89.34 USD" in html
    assert f'href="{admin}/holder/{user.pk}/change/"' in html
    for wallet in panel["wallets"]:
        for kind in ("main", "savings"):
            assert f'href="{wallet[kind]["url"]}"' in html
    assert UNAVAILABLE not in html
    assert_branded(response, "users")


def test_the_links_open_the_accounting_admins_pages(staff_client, accounting):
    """Each link is a page of the accounting admin, for its staff."""
    user = UserFactory(id=accounting.open_id)
    panel = _page(staff_client, user).context["accounting"]
    links = [
        panel["holder"]["url"],
        *(
            w[kind]["url"]
            for w in panel["wallets"]
            for kind in w
            if kind != "currency"
        ),
        panel["transactions"][0]["url"],
    ]
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        login = f"{accounting.url}/admin/login/"
        token = CSRF_FIELD.search(browser.get(login).text).group(1)
        username, password = accounting.staff
        browser.post(
            login,
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token,
                "next": "/admin/",
            },
            headers={"Referer": login},
        )
        for link in links:
            page = browser.get(link)
            assert page.status_code == 200, link
            assert "/admin/login/" not in str(page.url), link
            assert "Change" in page.text or "View" in page.text, link


def test_a_deleted_users_closed_holder_is_shown(staff_client, accounting):
    user = UserFactory(id=accounting.closed_id)

    panel = _page(staff_client, user).context["accounting"]

    assert panel["state"] == "ok"
    assert panel["holder"]["closed_at"].tzinfo is not None
    page = _page(staff_client, user).content.decode()
    # Shown as every instant of the admins: to the second, in UTC.
    assert re.search(
        r'class="holder-closed">closed \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<',
        page,
    )


def test_a_user_accounting_does_not_know_yet(staff_client, accounting):
    del accounting
    response = _page(staff_client, UserFactory())

    assert response.context["accounting"] == {"state": "not_ready"}
    assert "does not know this user yet" in response.content.decode()


def _assert_unavailable(staff_client: Client) -> None:
    response = _page(staff_client, UserFactory())
    assert response.context["accounting"] == {"state": "unavailable"}
    html = response.content.decode()
    assert UNAVAILABLE in html
    # The rest of the page is there, and works.
    assert 'name="email"' in html


def test_accounting_down_the_page_still_renders(
    staff_client, settings, closed_port, caplog
):
    settings.ACCOUNTING_SERVICE_URL = closed_port

    _assert_unavailable(staff_client)

    assert "unreachable" in caplog.text


def test_accounting_silent_the_page_waits_briefly(
    staff_client, settings, silent_server, caplog
):
    settings.ACCOUNTING_SERVICE_URL = silent_server
    settings.ACCOUNTING_TIMEOUT = 0.3
    started = time.monotonic()

    _assert_unavailable(staff_client)

    assert time.monotonic() - started < 3
    assert "no answer in time" in caplog.text


def test_a_refused_credential_is_unavailable_too(
    staff_client, accounting, settings, caplog
):
    settings.ACCOUNTING_USERS_TOKEN = "not-the-right-one"

    _assert_unavailable(staff_client)

    assert "answered 401" in caplog.text
    del accounting


@pytest.mark.parametrize(
    "answer",
    [
        (500, b"oops", "answered 500"),
        (200, b"<html>", "not JSON"),
        (200, b'{"holder": {}}', "not a summary"),
        (200, b"[]", "not a summary"),
        (
            200,
            b'{"holder": {}, "accounts": [], "transactions": []}',
            "not the contract's",
        ),
        (
            200,
            b'{"holder": {"user_id": "x"}, "accounts": [1], '
            b'"transactions": []}',
            "not the contract's",
        ),
        (
            200,
            b'{"holder": {"user_id": "x", "closed_at": null}, "accounts": [],'
            b' "transactions": [{"id": "t", "amount": "1.00", '
            b'"currency": "USD", "effective_at": "yesterday"}]}',
            "not the contract's",
        ),
        (
            200,
            b'{"holder": {"user_id": "x", "closed_at": '
            b'"2026-13-45T00:00:00Z"}, "accounts": [], "transactions": []}',
            "not the contract's",
        ),
    ],
)
def test_an_answer_outside_the_contract_is_unavailable(
    staff_client, monkeypatch, answer, caplog
):
    """What a real accounting does not answer on demand: a stand-in."""
    status, body, reason = answer
    client = httpx.Client(
        base_url="http://accounting",
        transport=httpx.MockTransport(
            lambda request: httpx.Response(status, content=body)
        ),
    )
    monkeypatch.setattr(clients, "_client", client)

    _assert_unavailable(staff_client)

    assert reason in caplog.text


def test_the_panel_is_on_the_change_page_only(staff_client):
    add = staff_client.get(reverse("admin:users_user_add"))
    changed = staff_client.post(
        reverse("admin:users_user_change", args=[UserFactory().pk]), {}
    )

    assert "accounting" not in add.context
    assert changed.status_code == 200  # the form's errors, no panel
    assert "accounting" not in changed.context


def test_view_site_goes_to_the_gateways_landing_page(staff_client, settings):
    response = staff_client.get(reverse("admin:index"))

    assert response.context["site_url"] == settings.GATEWAY_PUBLIC_URL
    assert f'href="{settings.GATEWAY_PUBLIC_URL}"' in response.content.decode()
