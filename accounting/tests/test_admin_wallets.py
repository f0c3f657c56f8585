"""Wallets in the admin: filters, closed_at, and closing through the service."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import formats, timezone

from accounting import errors, models, services
from accounting.tests import factories
from config.testing import run_confirmed_action

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accounting_account_changelist"
WORLD_USD = models.Account.system_id(models.Account.Kind.WORLD, "USD")


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


def close(client, *accounts):
    return run_confirmed_action(
        client, reverse(CHANGELIST), "close_wallets", [a.pk for a in accounts]
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def wallet(holder, currency="USD"):
    return list(holder.accounts.filter(currency=currency).order_by("kind"))


def test_close_a_wallet(staff, holder):
    services.account_open(holder=holder, currency="EUR")
    main, savings = wallet(holder)

    response = close(staff, main)

    assert response.status_code == 200
    assert messages_of(response) == ["1 wallet(s) closed (main and savings)."]
    for account in (main, savings):
        account.refresh_from_db()
        assert account.closed_at is not None
    # Only that currency's wallet; the holder stays open.
    assert all(a.closed_at is None for a in wallet(holder, "EUR"))
    holder.refresh_from_db()
    assert holder.closed_at is None
    # The same service as the API: the wallet accepts nothing now.
    with pytest.raises(errors.AccountClosedError):
        services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")


def test_closing_skips_system_accounts(staff, holder):
    services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")
    main, savings = wallet(holder)
    world = models.Account.objects.get(pk=WORLD_USD)

    response = close(staff, main, savings, world)

    assert messages_of(response) == [
        "1 wallet(s) closed (main and savings).",
        "1 system account(s) skipped: they never close.",
    ]
    world.refresh_from_db()
    assert world.closed_at is None
    main.refresh_from_db()
    assert main.closed_at is not None


def test_closing_only_system_accounts_closes_nothing(staff, holder):
    services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")

    response = close(staff, models.Account.objects.get(pk=WORLD_USD))

    assert messages_of(response) == [
        "1 system account(s) skipped: they never close."
    ]
    assert not models.Account.objects.filter(closed_at__isnull=False).exists()


def test_closing_again_keeps_the_first_instant(staff, holder):
    main, _ = wallet(holder)
    close(staff, main)
    main.refresh_from_db()
    first = main.closed_at

    close(staff, main)

    main.refresh_from_db()
    assert main.closed_at == first


def test_staff_who_may_only_view_cannot_close(client, holder):
    user = get_user_model().objects.create_user(
        username="viewer", password="pw", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_account"))
    client.force_login(user)
    main, _ = wallet(holder)

    listing = client.get(reverse(CHANGELIST))
    # Straight to the confirmed form, as a crafted post would.
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "close_wallets",
            "_selected_action": [str(main.pk)],
            "confirmed": "yes",
            "reason": "no right to",
        },
        follow=True,
    )

    assert listing.status_code == 200
    assert b"close_wallets" not in listing.content
    assert response.status_code == 200
    main.refresh_from_db()
    assert main.closed_at is None


def test_accounts_filtered_by_kind_currency_and_closed(staff, holder):
    other = factories.HolderFactory()
    services.account_open(holder=other, currency="EUR")
    services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")
    services.account_close(account=wallet(other, "EUR")[0])
    changelist = reverse(CHANGELIST)

    def found(**query):
        response = staff.get(changelist, query)
        assert response.status_code == 200
        return {
            (a.holder_id, a.kind, a.currency)
            for a in response.context["cl"].result_list
        }

    assert found(kind__exact="main", currency__exact="EUR") == {
        (other.pk, "main", "EUR")
    }
    assert found(closed="yes") == {
        (other.pk, "main", "EUR"),
        (other.pk, "savings", "EUR"),
    }
    assert (other.pk, "main", "EUR") not in found(closed="no")
    assert (holder.pk, "main", "USD") in found(closed="no")
    # Opening a currency made its world account.
    assert found(kind__exact="world") == {
        (None, "world", "USD"),
        (None, "world", "EUR"),
    }
    assert len(found()) == len(found(closed="no")) + 2
    listing = staff.get(changelist)
    assert b"Close the selected wallets" in listing.content


def closed_at_cells(page):
    """The ``closed_at`` values an admin page shows, in order."""
    return [
        cell.decode().strip()
        for cell in re.findall(
            rb'field-closed_at">\s*<p>(.*?)</p>', page.content, re.DOTALL
        )
    ]


def test_the_holder_page_shows_when_a_wallet_closed(staff, holder):
    main, _ = wallet(holder)
    page = reverse("admin:accounting_holder_change", args=[holder.pk])
    assert closed_at_cells(staff.get(page)) == ["-", "-"]
    services.account_close(account=main)
    main.refresh_from_db()
    shown = formats.localize(timezone.template_localtime(main.closed_at))

    holder_page = staff.get(page)
    account_page = staff.get(
        reverse("admin:accounting_account_change", args=[main.pk])
    )

    assert closed_at_cells(holder_page) == [shown, shown]  # main, savings
    assert shown.encode() in account_page.content


def test_system_balances_are_derived_from_their_entries(staff, holder):
    services.credit_apply(holder_id=holder.pk, amount=12_345, currency="USD")
    services.withdrawal_apply(holder_id=holder.pk, amount=345, currency="USD")
    main = holder.accounts.get(kind="main", currency="USD")

    listing = staff.get(reverse(CHANGELIST), {"currency__exact": "USD"})
    world_page = staff.get(
        reverse("admin:accounting_account_change", args=[WORLD_USD])
    )
    main_page = staff.get(
        reverse("admin:accounting_account_change", args=[main.pk])
    )

    assert listing.status_code == 200
    text = listing.content.decode()
    assert "derived (open the account)" in text
    assert "120.00" in text  # the customer's running balance
    # World paid 123.45 in and took 3.45 back: -120.00, never 0.00.
    assert "-120.00" in world_page.content.decode()
    assert "120.00" in main_page.content.decode()
