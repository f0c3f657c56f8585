"""The ledger in the admin: filters, search, transfers and conversions."""

import datetime as dt
import decimal
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounting import models, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db

TRANSACTIONS = "admin:accounting_transaction_changelist"
ENTRIES = "admin:accounting_entry_changelist"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


@pytest.fixture
def ledger(holder):
    """A credit, a transfer to another holder and a USD->EUR conversion."""
    services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal("0.92"),
        valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    recipient = factories.HolderFactory(email="bob@example.com")
    services.account_open(holder=holder, currency="EUR")
    credit = services.credit_apply(
        holder_id=holder.pk, amount=10_000, currency="USD"
    ).transaction
    sent = services.transfer_apply(
        holder_id=holder.pk,
        to_account=recipient.accounts.get(kind="main").pk,
        amount=2_500,
        currency="USD",
    ).transaction
    converted = services.conversion_apply(
        holder_id=holder.pk,
        from_currency="USD",
        to_currency="EUR",
        amount=5_000,
    ).transaction
    return {
        "holder": holder,
        "recipient": recipient,
        "credit": credit,
        "sent": sent,
        "received": models.Transaction.objects.get(pk=sent.related_id),
        "converted": converted,
    }


def listed(client, name, **query):
    response = client.get(reverse(name), query)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def shown(page, field):
    """The value a read-only admin page shows for a field."""
    found = re.search(
        rf'field-{field}">.*?<div class="readonly">(.*?)</div>',
        page.content.decode(),
        re.DOTALL,
    )
    assert found, field
    return found.group(1).strip()


def test_transactions_by_kind_currency_and_date(staff, ledger):
    assert listed(staff, TRANSACTIONS, kind__exact="transfer_out") == {
        ledger["sent"].pk
    }
    assert listed(staff, TRANSACTIONS, kind__exact="transfer_in") == {
        ledger["received"].pk
    }
    # A conversion is in both of its currencies.
    assert listed(staff, TRANSACTIONS, currency="EUR") == {
        ledger["converted"].pk
    }
    assert listed(staff, TRANSACTIONS, currency="USD") == {
        t.pk for t in models.Transaction.objects.all()
    }
    assert listed(staff, TRANSACTIONS, currency="JPY") == set()
    at = ledger["credit"].occurred_at
    assert (
        len(
            listed(
                staff,
                TRANSACTIONS,
                occurred_at__year=at.year,
                occurred_at__month=at.month,
                occurred_at__day=at.day,
            )
        )
        == 4
    )
    assert listed(staff, TRANSACTIONS, occurred_at__year=at.year - 1) == set()


@pytest.mark.parametrize(
    "term",
    [
        "bob@example.com",
        "BOB@EXAMPLE",
        "recipient-id",
        "recipient-id-prefix",
    ],
)
def test_transactions_searched_by_holder(staff, ledger, term):
    user_id = str(ledger["recipient"].pk)
    term = {"recipient-id": user_id, "recipient-id-prefix": user_id[:13]}.get(
        term, term
    )

    assert listed(staff, TRANSACTIONS, q=term) == {ledger["received"].pk}


def test_a_search_that_matches_nobody(staff, ledger):
    assert listed(staff, TRANSACTIONS, q=str(uuid.uuid4())) == set()


def test_a_transfer_shows_both_sides(staff, ledger):
    sent, received = ledger["sent"], ledger["received"]
    to_main = ledger["recipient"].accounts.get(kind="main")
    from_main = ledger["holder"].accounts.get(kind="main", currency="USD")

    out_page = staff.get(
        reverse("admin:accounting_transaction_change", args=[sent.pk])
    )
    in_page = staff.get(
        reverse("admin:accounting_transaction_change", args=[received.pk])
    )

    assert out_page.status_code == in_page.status_code == 200
    account = "admin:accounting_account_change"
    transaction = "admin:accounting_transaction_change"
    assert reverse(account, args=[to_main.pk]) in shown(
        out_page, "counterparty_account"
    )
    assert reverse(transaction, args=[received.pk]) in shown(
        out_page, "related"
    )
    assert reverse(account, args=[from_main.pk]) in shown(
        in_page, "counterparty_account"
    )
    assert reverse(transaction, args=[sent.pk]) in shown(in_page, "related")
    assert shown(out_page, "to_amount_money") == "-"
    assert shown(out_page, "rate") == "-"
    assert shown(out_page, "fx_rate_value") == "-"


def test_a_conversion_shows_what_it_bought_and_its_rate(staff, ledger):
    converted = ledger["converted"]

    page = staff.get(
        reverse("admin:accounting_transaction_change", args=[converted.pk])
    )

    assert shown(page, "transaction_amount") == "50.00"
    assert shown(page, "to_amount_money") == "46.00"  # EUR, not 4600
    assert shown(page, "to_currency") == "EUR"
    assert shown(page, "fx_rate_value") == "0.92"
    rate_url = reverse("admin:accounting_rate_change", args=[converted.rate_id])
    assert rate_url in shown(page, "rate")
    assert "0.92 EUR" in shown(page, "rate")  # 1 USD = 0.92 EUR
    assert shown(page, "counterparty_account") == "-"


def test_entries_by_account_kind_and_currency(staff, ledger):
    fx = set(
        models.Entry.objects.filter(account__kind="fx").values_list(
            "pk", flat=True
        )
    )
    eur_fx = set(
        models.Entry.objects.filter(
            account__kind="fx", currency="EUR"
        ).values_list("pk", flat=True)
    )

    assert len(fx) == 2
    assert listed(staff, ENTRIES, account__kind__exact="fx") == fx
    assert (
        listed(staff, ENTRIES, account__kind__exact="fx", currency="EUR")
        == eur_fx
    )
    assert len(eur_fx) == 1
    clearing = listed(staff, ENTRIES, account__kind__exact="clearing")
    assert len(clearing) == 2
