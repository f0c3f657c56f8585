"""Plans, rates, categories and reports: tagged, 304 when current.

The gateway keeps these answers and revalidates them on every request
(decision 15), so each tag must move with every change of what its answer
shows: a staff edit in the admin, a new rate, a rate becoming valid, a
movement of the holder (back-dated ones included). Admin edits commit for
real (``transaction=True``) so that the cache's invalidations run.
"""

import datetime as dt
import decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounting import models, services
from accounting.selectors import versions
from accounting.tests import factories
from config.testing import assert_problem

pytestmark = pytest.mark.django_db

PLANS = "/internal/v1/plans"
RATES = "/internal/v1/rates"
CATEGORIES = "/internal/v1/categories"
MARCH = dt.datetime(2030, 3, 10, 9, tzinfo=dt.UTC)
APRIL = dt.datetime(2030, 4, 5, 9, tzinfo=dt.UTC)
CLOSED_MARCH = {"group_by": "category", "to": "2030-03-31"}


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


def _report_url(holder) -> str:
    return f"/internal/v1/holders/{holder.pk}/reports/summary"


def _revalidate(api_client, url, etag, query=None):
    return api_client.get(url, query or {}, HTTP_IF_NONE_MATCH=etag)


def publish(rate: str, valid_from: dt.datetime) -> models.Rate:
    return services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal(rate),
        valid_from=valid_from,
    )


# --- The catalog ------------------------------------------------------------


@pytest.mark.parametrize("url", [PLANS, RATES, CATEGORIES])
def test_the_catalog_is_tagged_and_a_current_tag_is_a_304(api_client, url):
    factories.PlanFactory()
    full = api_client.get(url)

    again = _revalidate(api_client, url, full["ETag"])

    assert full.status_code == 200
    assert full["ETag"]
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == full["ETag"]


@pytest.mark.django_db(transaction=True)
def test_a_plan_edited_in_the_admin_moves_the_tag(api_client, staff):
    plan = factories.PlanFactory(name="Basic")
    etag = api_client.get(PLANS)["ETag"]

    edited = staff.post(
        reverse("admin:accounting_plan_change", args=[plan.pk]),
        {
            "name": "Basic",
            "kind": "percentage",
            "currency": "USD",
            "value": "15.00",
            "savings_hold_days": "0",
            "description": "",
        },
    )
    response = _revalidate(api_client, PLANS, etag)

    assert edited.status_code == 302
    assert response.status_code == 200
    assert response.json()["results"][0]["value"] == "15.00"
    assert response["ETag"] != etag


@pytest.mark.django_db(transaction=True)
def test_a_rate_published_in_the_admin_moves_the_tag(api_client, staff):
    publish("0.92", timezone.now() - dt.timedelta(days=1))
    etag = api_client.get(RATES)["ETag"]

    published = staff.post(
        reverse("admin:accounting_rate_add"),
        {
            "base": "USD",
            "quote": "EUR",
            "rate": "0.97",
            "valid_from_0": "",
            "valid_from_1": "",
        },
    )
    response = _revalidate(api_client, RATES, etag)

    assert published.status_code == 302
    assert response.status_code == 200
    assert response.json()["results"][0]["rate"] == "0.97"
    assert response["ETag"] != etag


@pytest.mark.django_db(transaction=True)
def test_a_new_category_moves_the_tag(api_client):
    models.Category.objects.create(name="groceries")
    etag = api_client.get(CATEGORIES)["ETag"]

    models.Category.objects.create(name="rent")
    response = _revalidate(api_client, CATEGORIES, etag)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"name": "groceries"},
        {"name": "rent"},
    ]


def test_the_rates_tag_is_weak_and_ignores_the_instant_of_reading(
    api_client, clock
):
    publish("0.92", clock.now - dt.timedelta(days=1))
    first = api_client.get(RATES)
    clock.advance(minutes=5)

    again = _revalidate(api_client, RATES, first["ETag"])

    assert first["ETag"].startswith('W/"')
    assert again.status_code == 304


def test_a_rate_becoming_valid_moves_the_tag_on_time(api_client, clock):
    publish("0.92", clock.now - dt.timedelta(days=1))
    publish("0.95", clock.now + dt.timedelta(hours=1))
    etag = api_client.get(RATES)["ETag"]

    clock.advance(minutes=59)
    before = _revalidate(api_client, RATES, etag)
    clock.advance(minutes=1)
    after = _revalidate(api_client, RATES, etag)

    assert before.status_code == 304
    assert after.status_code == 200
    assert after.json()["results"][0]["rate"] == "0.95"


def test_a_closed_holder_is_refused_whatever_tag_it_sends(api_client, holder):
    query = {"holder": str(holder.user_id)}
    etag = api_client.get(PLANS, query)["ETag"]
    models.Holder.objects.filter(pk=holder.pk).update(closed_at=timezone.now())

    for header in (etag, "*"):
        response = _revalidate(api_client, PLANS, header, query)
        assert_problem(response, 401, "user_inactive")
        assert "ETag" not in response


# --- Reports ----------------------------------------------------------------


@pytest.fixture
def march(holder, clock):
    """A credit of 100.00 USD in March 2030, read in April."""
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    clock.now = MARCH
    services.credit_apply(
        holder_id=holder.pk, amount=10_000, currency="USD", source="salary"
    )
    clock.now = APRIL
    return holder


def test_a_closed_report_is_a_304_from_two_sequences(api_client, march):
    url = _report_url(march)
    etag = api_client.get(url, CLOSED_MARCH)["ETag"]

    with CaptureQueriesContext(connection) as queries:
        response = _revalidate(api_client, url, etag, CLOSED_MARCH)

    assert response.status_code == 304
    assert response["ETag"] == etag
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "accounting_entry" not in sql  # no report was computed


def test_a_back_dated_credit_changes_a_closed_report_and_its_tag(
    api_client, march, clock
):
    url = _report_url(march)
    first = api_client.get(url, CLOSED_MARCH)
    # Written back into March (as a credit with an earlier effective
    # instant is): the closed report changes.
    clock.now = MARCH + dt.timedelta(days=10)
    services.credit_apply(holder_id=march.pk, amount=5_000, currency="USD")
    clock.now = APRIL

    response = _revalidate(api_client, url, first["ETag"], CLOSED_MARCH)

    assert first.json()["income"] == "100.00"
    assert response.status_code == 200
    assert response.json()["income"] == "150.00"
    assert response["ETag"] != first["ETag"]


def test_any_movement_of_the_holder_in_the_currency_moves_the_tag(
    api_client, march, recipient
):
    url = _report_url(march)
    etag = api_client.get(url, CLOSED_MARCH)["ETag"]
    services.account_open(holder=march, currency="EUR")
    services.credit_apply(holder_id=march.pk, amount=100, currency="EUR")
    services.credit_apply(holder_id=recipient.pk, amount=100, currency="USD")
    unmoved = _revalidate(api_client, url, etag, CLOSED_MARCH)
    services.withdrawal_apply(holder_id=march.pk, amount=100, currency="USD")

    moved = _revalidate(api_client, url, etag, CLOSED_MARCH)

    assert unmoved.status_code == 304  # another currency, another holder
    assert moved.status_code == 200
    assert moved.json() == api_client.get(url, CLOSED_MARCH).json()


def test_each_query_has_its_own_tag(api_client, march):
    url = _report_url(march)
    etag = api_client.get(url, CLOSED_MARCH)["ETag"]

    for other in (
        {**CLOSED_MARCH, "group_by": "source"},
        {**CLOSED_MARCH, "from": "2030-03-11"},
        {**CLOSED_MARCH, "currency": "EUR"},
        {**CLOSED_MARCH, "to": "2030-03-30"},
    ):
        response = _revalidate(api_client, url, etag, other)
        assert response.status_code == 200, other
        assert response["ETag"] != etag


def test_a_report_that_ends_now_has_no_tag(api_client, march):
    response = _revalidate(
        api_client, _report_url(march), "*", {"group_by": "month"}
    )

    assert response.status_code == 200
    assert "ETag" not in response


def test_the_sequences_of_a_currency_without_a_wallet_are_empty(march):
    assert versions.ledger_sequences(holder_id=march.pk, currency="JPY") == ""
    assert versions.ledger_sequences(holder_id=march.pk, currency="USD") == (
        "main=1,savings=1"
    )
