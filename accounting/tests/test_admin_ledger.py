"""The ledger in the admin: filters, search, transfers and conversions."""

import datetime as dt
import decimal
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounting import models, services
from accounting.admin import ledger as ledger_admin
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

    assert shown(page, "transaction_amount") == "50.00 USD"
    assert shown(page, "to_amount_money") == "46.00 EUR"  # not 4600
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


def statement_rows(page):
    """The rows of an account page's statement, as text cells."""
    table = re.search(
        r'<div id="statement">.*?<tbody>(.*?)</tbody>',
        page.content.decode(),
        re.DOTALL,
    )
    assert table, "no statement"
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.DOTALL)
    ]


def test_an_account_page_shows_its_newest_entries_as_money(staff, ledger):
    main = ledger["holder"].accounts.get(kind="main", currency="USD")

    page = staff.get(reverse("admin:accounting_account_change", args=[main.pk]))

    assert page.status_code == 200
    assert shown(page, "balance_now") == "25.00 USD"
    rows = statement_rows(page)
    # Newest first: the conversion, the transfer, the credit.
    assert [(row[1], row[2], row[3]) for row in rows] == [
        ("Conversion", "-50.00 USD", "25.00 USD"),
        ("Transfer out", "-25.00 USD", "75.00 USD"),
        ("Credit", "100.00 USD", "100.00 USD"),
    ]
    assert rows[2][5] == str(ledger["credit"].pk)
    content = page.content.decode()
    credit_url = reverse(
        "admin:accounting_transaction_change", args=[ledger["credit"].pk]
    )
    assert f'href="{credit_url}"' in content
    entries_url = reverse(ENTRIES) + f"?account__id__exact={main.pk}"
    assert f'href="{entries_url}">All entries of this account<' in content


def test_a_statement_is_limited_and_links_to_the_rest(staff, holder):
    for _ in range(ledger_admin.STATEMENT_ENTRIES + 1):
        services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")
    main = holder.accounts.get(kind="main", currency="USD")

    page = staff.get(reverse("admin:accounting_account_change", args=[main.pk]))

    rows = statement_rows(page)
    assert len(rows) == ledger_admin.STATEMENT_ENTRIES
    assert rows[0][3] == f"{ledger_admin.STATEMENT_ENTRIES + 1}.00 USD"
    assert listed(staff, ENTRIES, account__id__exact=main.pk) == set(
        main.entries.values_list("pk", flat=True)
    )


def test_a_system_account_statement_has_no_running_balance(staff, ledger):
    world = models.Account.objects.get(kind="world", currency="USD")

    page = staff.get(
        reverse("admin:accounting_account_change", args=[world.pk])
    )

    assert shown(page, "balance_now") == "-100.00 USD"
    [row] = statement_rows(page)
    assert (row[1], row[2], row[3]) == ("Credit", "-100.00 USD", "-")


def test_an_account_without_entries_says_so(staff, holder):
    savings = holder.accounts.get(kind="savings", currency="USD")

    page = staff.get(
        reverse("admin:accounting_account_change", args=[savings.pk])
    )

    assert "No entries yet." in page.content.decode()


@pytest.mark.parametrize("term", ["holder", "account", "transaction"])
def test_entries_are_found_by_email_account_or_transaction(staff, ledger, term):
    received = ledger["received"]
    to_main = ledger["recipient"].accounts.get(kind="main")
    query, entries = {
        # The holder's accounts' entries.
        "holder": ("BOB@example", to_main.entries),
        "account": (str(to_main.pk), to_main.entries),
        # Both sides of the transaction: clearing and the recipient's.
        "transaction": (f" {received.pk} ", received.entries),
    }[term]

    found = listed(staff, ENTRIES, q=query)

    assert found == set(entries.values_list("pk", flat=True))
    assert len(found) == {"transaction": 2}.get(term, 1)


def test_an_unknown_id_finds_no_entry(staff, ledger):
    assert listed(staff, ENTRIES, q=str(uuid.uuid4())) == set()


def test_entry_rows_link_their_transaction_and_account(staff, ledger):
    credit = ledger["credit"]
    main = ledger["holder"].accounts.get(kind="main", currency="USD")
    world = models.Account.objects.get(kind="world", currency="USD")

    page = staff.get(reverse(ENTRIES), {"q": str(credit.pk)})

    content = page.content.decode()
    credit_url = reverse(
        "admin:accounting_transaction_change", args=[credit.pk]
    )
    main_url = reverse("admin:accounting_account_change", args=[main.pk])
    world_url = reverse("admin:accounting_account_change", args=[world.pk])
    assert f'<a href="{credit_url}">{credit.pk}</a>' in content
    holder = ledger["holder"].email
    assert f'<a href="{main_url}">{holder} main USD</a>' in content
    assert f'<a href="{world_url}">world USD</a>' in content
    assert "100.00 USD" in content
    assert "-100.00 USD" in content
    assert "10000" not in content
    assert ">Credit<" in content


def test_times_show_their_seconds(staff, ledger):
    credit = ledger["credit"]
    stamp = timezone.localtime(credit.occurred_at).strftime("%Y-%m-%d %H:%M:%S")

    listing = staff.get(reverse(TRANSACTIONS)).content.decode()
    page = staff.get(
        reverse("admin:accounting_transaction_change", args=[credit.pk])
    )

    assert stamp in listing
    assert shown(page, "occurred_at") == f"{stamp} UTC"
