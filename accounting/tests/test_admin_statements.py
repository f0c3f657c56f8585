"""A holder's statement from the holder's admin page, as CSV and PDF."""

import csv
import datetime as dt
import io
import uuid

import pypdf
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounting import selectors, services
from accounting.tests import factories
from accounting.tests.conftest import frozen_clock

pytestmark = pytest.mark.django_db

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


@pytest.fixture
def holder(db):
    """Ada, saving 10%, with movements before, in and after November."""
    del db
    ada = factories.HolderFactory(
        email="ada@example.com", first_name="Ada", last_name="Lovelace"
    )
    services.plan_assign(holder=ada, plan=factories.PlanFactory())
    with frozen_clock(dt.datetime(2026, 10, 20, tzinfo=dt.UTC)) as clock:
        services.credit_apply(holder_id=ada.pk, amount=10_000, currency="USD")
        clock.now = START
        services.credit_apply(
            holder_id=ada.pk,
            amount=5_000,
            currency="USD",
            description="Salary, November",
        )
        clock.advance(days=9)
        services.withdrawal_apply(
            holder_id=ada.pk,
            amount=1_250,
            currency="USD",
            description="Café crème 北京",
        )
        clock.now = END
        services.credit_apply(holder_id=ada.pk, amount=700, currency="USD")
    return ada


def statement(client, holder, **query):
    url = reverse("admin:accounting_holder_statement", args=[holder.pk])
    return client.get(url, query)


def test_the_holders_page_links_to_the_statement(staff, holder):
    page = staff.get(
        reverse("admin:accounting_holder_change", args=[holder.pk])
    ).content.decode()

    url = reverse("admin:accounting_holder_statement", args=[holder.pk])
    assert f'<a href="{url}">Statement</a>' in page


def test_the_statement_page_asks_for_a_period(staff, holder):
    response = statement(staff, holder)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="date_from"' in page
    assert 'name="date_to"' in page
    assert 'name="format"' in page
    # The admin's calendar, with the catalogue its script needs.
    assert "admin/js/admin/DateTimeShortcuts.js" in page
    assert reverse("admin:jsi18n") in page


def test_the_csv_statement_adds_up(staff, holder):
    response = statement(staff, holder, **NOVEMBER, format="csv")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == (
        f'attachment; filename="statement-{holder.pk}-20261101-20261130.csv"'
    )
    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(response.streaming_content).decode())
        )
    )
    main = [row for row in rows if row["account"] == "main"]
    assert [(row["row"], row["amount"], row["balance"]) for row in main] == [
        ("opening", "", "90.00"),
        ("entry", "45.00", "135.00"),
        ("entry", "-12.50", "122.50"),
        ("closing", "", "122.50"),
    ]
    assert main[0]["occurred_at"] == "2026-11-01T00:00:00+00:00"
    assert main[-1]["occurred_at"] == "2026-12-01T00:00:00+00:00"
    assert main[1]["description"] == "Salary, November"
    assert main[2]["description"] == "Café crème 北京"
    assert main[1]["kind"] == "credit"
    savings = [row for row in rows if row["account"] == "savings"]
    assert [(row["row"], row["balance"]) for row in savings] == [
        ("opening", "10.00"),
        ("entry", "15.00"),
        ("closing", "15.00"),
    ]
    # The figures are the as-of balances at the bounds.
    before = selectors.balance_at(
        holder=holder, currency="USD", at=START - dt.timedelta(microseconds=1)
    )
    assert (before.main, before.savings) == (9_000, 1_000)


def test_the_pdf_statement_is_text_with_the_figures(staff, holder):
    response = statement(staff, holder, **NOVEMBER, format="pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="statement-{holder.pk}-20261101-20261130.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Ada Lovelace <ada@example.com>" in text
    assert str(holder.pk) in text
    assert "2026-11-01T00:00:00+00:00 (included)" in text
    assert "2026-12-01T00:00:00+00:00 (excluded)" in text
    for figure in ["90.00 USD", "45.00 USD", "-12.50 USD", "122.50 USD"]:
        assert figure in text
    # Outside Latin-1, the core font shows "?"; the CSV keeps the text.
    assert "Café crème ??" in text
    assert "7.00 USD" not in text  # booked at the end: December's


def test_a_long_statement_goes_on_to_numbered_pages(staff, holder):
    with frozen_clock(dt.datetime(2026, 11, 12, tzinfo=dt.UTC)) as clock:
        for _ in range(80):
            clock.advance(minutes=1)
            services.credit_apply(
                holder_id=holder.pk,
                amount=100,
                currency="USD",
                description="A description too long for its column " * 3,
            )

    response = statement(staff, holder, **NOVEMBER, format="pdf")

    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 2
    last = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)}" in last
    # Cut to its column, and said so.
    assert "A description too long" in last
    assert "column A description" not in last
    assert "..." in last


def test_a_reversed_period_is_refused_on_the_form(staff, holder):
    response = statement(
        staff,
        holder,
        date_from="2026-11-30",
        date_to="2026-11-01",
        format="csv",
    )

    assert response.status_code == 200
    assert "`from` is after `to`." in response.content.decode()


def test_an_incomplete_form_is_shown_again(staff, holder):
    response = statement(staff, holder, date_from="2026-11-01", format="pdf")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_an_unknown_holder_is_not_found(staff, holder):
    del holder
    url = reverse("admin:accounting_holder_statement", args=[uuid.uuid4()])

    assert staff.get(url).status_code == 404


def test_the_statement_needs_the_view_permission(client, holder):
    clerk = get_user_model().objects.create_user(
        username="clerk", password="pw", is_staff=True
    )
    client.force_login(clerk)

    assert statement(client, holder, **NOVEMBER).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_holder"))
    assert (
        statement(client, holder, **NOVEMBER, format="csv").status_code == 200
    )
