"""CSV exports of the admin's lists, and holders' statements (CSV, PDF)."""

import csv
import datetime as dt
import decimal
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounting import models, services
from accounting.tests import factories
from accounting.tests.conftest import frozen_clock
from config import exports

pytestmark = pytest.mark.django_db

INSTANT = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\Z")
FILENAME = re.compile(
    r'\Aattachment; filename="accounting-(\w+)-\d{8}T\d{6}Z\.csv"\Z'
)


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


@pytest.fixture
def ledger(holder):
    """Ada's credit, withdrawal and USD->JPY conversion; Bob's credit."""
    services.rate_create(
        base="USD",
        quote="JPY",
        rate=decimal.Decimal("150"),
        valid_from=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    services.account_open(holder=holder, currency="JPY")
    bob = factories.HolderFactory(email="bob@example.com")
    with frozen_clock(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)) as clock:
        credit = services.credit_apply(
            holder_id=holder.pk, amount=10_000, currency="USD"
        ).transaction
        clock.advance(days=40)
        spent = services.withdrawal_apply(
            holder_id=holder.pk,
            amount=2_500,
            currency="USD",
            description='=HYPERLINK("http://evil")',
        ).transaction
        converted = services.conversion_apply(
            holder_id=holder.pk,
            from_currency="USD",
            to_currency="JPY",
            amount=1_000,
        ).transaction
        bobs = services.credit_apply(
            holder_id=bob.pk, amount=700, currency="USD"
        ).transaction
    return {
        "holder": holder,
        "bob": bob,
        "credit": credit,
        "spent": spent,
        "converted": converted,
        "bobs": bobs,
    }


def export(client, model, query=""):
    """Exports a list; returns the response and its rows as dicts."""
    url = reverse(f"admin:accounting_{model}_export")
    response = client.get(f"{url}?{query}" if query else url)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert FILENAME.match(response["Content-Disposition"]).group(1) == model
    text = b"".join(response.streaming_content).decode()
    return response, list(csv.DictReader(io.StringIO(text)))


def listed(client, model, query=""):
    """The primary keys the list page shows for a query string."""
    url = reverse(f"admin:accounting_{model}_changelist")
    response = client.get(f"{url}?{query}" if query else url)
    assert response.status_code == 200
    return {str(row.pk) for row in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "kind__exact=credit",
        "q=bob%40example.com",
        "currency=JPY",
        "occurred_at__year=2026&occurred_at__month=3",
        "kind__exact=credit&o=-4",
    ],
)
def test_transactions_export_what_the_list_shows(staff, ledger, query):
    _, rows = export(staff, "transaction", query)

    assert {row["id"] for row in rows} == listed(staff, "transaction", query)


def test_the_export_keeps_the_lists_order(staff, ledger):
    _, rows = export(staff, "transaction", "o=3")  # by amount, ascending

    amounts = [row["amount"] for row in rows]
    assert amounts == ["7.00", "10.00", "25.00", "100.00"]


def test_every_page_of_the_list_is_exported(staff, ledger, monkeypatch):
    monkeypatch.setattr(
        "accounting.admin.ledger.TransactionAdmin.list_per_page", 1
    )

    _, rows = export(staff, "transaction", "p=2")

    assert len(rows) == 4


def test_entries_export_what_the_list_shows(staff, ledger):
    for query in ["", "currency__exact=JPY", "account__kind__exact=world"]:
        _, rows = export(staff, "entry", query)
        assert {row["id"] for row in rows} == listed(staff, "entry", query)


def test_money_is_in_major_units_beside_its_currency(staff, ledger):
    _, rows = export(staff, "transaction")
    by_id = {row["id"]: row for row in rows}
    converted = by_id[str(ledger["converted"].pk)]

    assert by_id[str(ledger["credit"].pk)]["amount"] == "100.00"
    assert (converted["amount"], converted["currency"]) == ("10.00", "USD")
    assert (converted["to_amount"], converted["to_currency"]) == ("1500", "JPY")
    assert converted["fx_rate"] == "150"
    assert by_id[str(ledger["credit"].pk)]["to_amount"] == ""

    _, entries = export(staff, "entry", "currency__exact=JPY")
    assert sorted((row["amount"], row["balance_after"]) for row in entries) == [
        ("-1500", ""),
        ("1500", "1500"),
    ]


def test_negative_amounts_stay_numbers(staff, ledger):
    _, rows = export(staff, "entry", "account__kind__exact=world")

    assert sorted(row["amount"] for row in rows) == [
        "-100.00",
        "-7.00",
        "25.00",
    ]


def test_instants_have_seconds_and_an_offset(staff, ledger):
    _, rows = export(staff, "transaction")
    credit = next(row for row in rows if row["id"] == str(ledger["credit"].pk))

    assert credit["occurred_at"] == "2026-03-02T09:30:00+00:00"
    for row in rows:
        assert INSTANT.match(row["occurred_at"])
        assert INSTANT.match(row["created_at"])


def test_formulas_are_neutralised(staff, ledger):
    models.Holder.objects.filter(pk=ledger["bob"].pk).update(
        first_name="@SUM(A1)", last_name="+1-2"
    )

    _, transactions = export(staff, "transaction", "kind__exact=withdrawal")
    _, holders = export(staff, "holder", "q=bob")

    assert transactions[0]["description"] == '\'=HYPERLINK("http://evil")'
    assert (holders[0]["first_name"], holders[0]["last_name"]) == (
        "'@SUM(A1)",
        "'+1-2",
    )


def test_holders_accounts_and_rates_export(staff, ledger):
    _, holders = export(staff, "holder")
    _, accounts = export(
        staff, "account", "currency__exact=USD&kind__exact=main"
    )
    _, rates = export(staff, "rate")
    _, systems = export(staff, "account", "kind__exact=world")

    assert {row["email"] for row in holders} == {
        ledger["holder"].email,
        "bob@example.com",
    }
    assert {(row["holder_email"], row["balance"]) for row in accounts} == {
        (ledger["holder"].email, "65.00"),
        ("bob@example.com", "7.00"),
    }
    assert [(row["base"], row["quote"], row["rate"]) for row in rates] == [
        ("USD", "JPY", "150")
    ]
    # System accounts keep no running balance; the export shows none.
    assert {row["balance"] for row in systems} == {""}
    assert {row["id"] for row in systems} == listed(
        staff, "account", "kind__exact=world"
    )


def test_the_list_links_to_the_export_with_its_query(staff, ledger):
    url = reverse("admin:accounting_transaction_changelist")
    export_url = reverse("admin:accounting_transaction_export")

    page = staff.get(f"{url}?kind__exact=credit&q=bob").content.decode()
    bare = staff.get(url).content.decode()

    assert f'href="{export_url}?kind__exact=credit&amp;q=bob"' in page
    assert f'href="{export_url}">Export CSV</a>' in bare


def test_a_filter_the_list_refuses_goes_back_to_the_list(staff, ledger):
    url = reverse("admin:accounting_transaction_export")

    response = staff.get(f"{url}?no_such_field=1")

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("admin:accounting_transaction_changelist") + "?e=1"
    )


def test_the_export_needs_the_view_permission(client, ledger):
    clerk = get_user_model().objects.create_user(
        username="clerk", password="pw", is_staff=True
    )
    clerk.user_permissions.add(Permission.objects.get(codename="view_entry"))
    client.force_login(clerk)

    assert (
        client.get(reverse("admin:accounting_entry_export")).status_code == 200
    )
    assert (
        client.get(reverse("admin:accounting_transaction_export")).status_code
        == 403
    )
    client.logout()
    response = client.get(reverse("admin:accounting_entry_export"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


class CountingCursor:
    """A cursor that counts the rows it fetched."""

    def __init__(self, cursor, fetched):
        self._cursor, self._fetched = cursor, fetched

    def fetchmany(self, size):
        rows = self._cursor.fetchmany(size)
        self._fetched.append(len(rows))
        return rows

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def test_rows_are_streamed_from_a_server_side_cursor(
    staff, holder, monkeypatch
):
    for _ in range(10):
        services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    wrapper = type(connection._connections[connection._alias])
    chunked_cursor, fetched = wrapper.chunked_cursor, []
    monkeypatch.setattr(
        wrapper,
        "chunked_cursor",
        lambda self: CountingCursor(chunked_cursor(self), fetched),
    )

    response = staff.get(reverse("admin:accounting_entry_export"))
    pieces = iter(response.streaming_content)
    header = next(pieces).decode()
    fetched_for_the_header = sum(fetched)
    first = next(pieces).decode()
    fetched_for_the_first_rows = sum(fetched)
    rest = b"".join(pieces).decode()

    assert header.startswith("id,transaction,")
    assert header.count("\r\n") == 1
    assert fetched_for_the_header == 0
    # Two rows written, two fetched: the cursor gives a chunk at a time.
    assert first.count("\r\n") == 2
    assert fetched_for_the_first_rows == 2
    assert rest.count("\r\n") == 18
    assert sum(fetched) == 20
    assert set(fetched[:-1]) == {2}


def test_the_queries_do_not_grow_with_the_rows(staff, holder):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = staff.get(reverse("admin:accounting_entry_export"))
            b"".join(response.streaming_content)
        return len(captured)

    services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")
    few = queries()
    for _ in range(20):
        services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")

    assert queries() == few
