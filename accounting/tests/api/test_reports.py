"""GET /holders/{id}/reports/summary: the grouped report over the API."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounting import models, services
from accounting.api import reports as report_apis
from accounting.tests import factories
from accounting.tests.api.test_operations import assert_same_shape
from config.testing import assert_problem

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2030, 3, 10, 9, tzinfo=dt.UTC)


def url(holder_id):
    return f"/internal/v1/holders/{holder_id}/reports/summary"


@pytest.fixture
def spender(holder, clock):
    """A holder under a 10% plan: a credit on 2030-03-10 and on the 11th.

    10 March: 100.00 from "Salary" (10.00 saved), 20.00 for "Rent" and
    5.00 for "Food". 11 March: 50.00 without a source, 1.00 to JPY.
    """
    services.account_open(holder=holder, currency="EUR")
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    usd = {"holder_id": holder.pk, "currency": "USD"}
    clock.now = DAY
    services.credit_apply(amount=10_000, source="Salary", **usd)
    clock.advance(hours=1)
    services.withdrawal_apply(amount=2_000, category="Rent", **usd)
    services.withdrawal_apply(amount=500, category="food", **usd)
    clock.now = DAY + dt.timedelta(days=1)
    services.credit_apply(amount=5_000, **usd)
    services.credit_apply(amount=300, holder_id=holder.pk, currency="EUR")
    clock.now = DAY + dt.timedelta(days=2)
    return holder


def test_a_report_by_category(api_client, spender):
    response = api_client.get(url(spender.pk), {"group_by": "category"})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "from": None,
        "to": "2030-03-12T09:00:00Z",  # now
        "currency": "USD",
        "group_by": "category",
        "income": "150.00",
        "expenses": "25.00",
        "saved": "15.00",
        "savings_rate": "10.00",
        "groups": [
            {
                "key": "food",
                "income": "0.00",
                "expenses": "5.00",
                "saved": "0.00",
                "savings_rate": None,
                "transactions": 1,
            },
            {
                "key": "rent",
                "income": "0.00",
                "expenses": "20.00",
                "saved": "0.00",
                "savings_rate": None,
                "transactions": 1,
            },
            {
                "key": None,
                "income": "150.00",
                "expenses": "0.00",
                "saved": "15.00",
                "savings_rate": "10.00",
                "transactions": 2,
            },
        ],
    }


def test_bare_dates_are_whole_utc_days(api_client, spender):
    response = api_client.get(
        url(spender.pk),
        {"group_by": "source", "from": "2030-03-10", "to": "2030-03-10"},
    )

    body = response.json()
    assert (body["from"], body["to"]) == (
        "2030-03-10T00:00:00Z",
        "2030-03-10T23:59:59.999999Z",
    )
    assert [(g["key"], g["income"], g["expenses"]) for g in body["groups"]] == [
        ("salary", "100.00", "0.00"),
        (None, "0.00", "25.00"),
    ]


def test_instants_and_another_currency(api_client, spender):
    response = api_client.get(
        url(spender.pk),
        {
            "group_by": "month",
            "currency": "eur",
            "from": "2030-03-11T00:00:00+01:00",
            "to": "2030-03-31T00:00:00Z",
        },
    )

    body = response.json()
    assert (body["from"], body["currency"]) == ("2030-03-10T23:00:00Z", "EUR")
    assert body["groups"] == [
        {
            "key": "2030-03",
            "income": "3.00",
            "expenses": "0.00",
            "saved": "0.00",
            "savings_rate": "0.00",
            "transactions": 1,
        }
    ]
    assert (body["income"], body["saved"]) == ("3.00", "0.00")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({}, "validation_error"),
        ({"group_by": "year"}, "validation_error"),
        ({"group_by": ""}, "validation_error"),
        ({"group_by": "month", "from": "yesterday"}, "invalid_datetime"),
        (
            {"group_by": "month", "to": "2030-03-10T10:00:00"},
            "invalid_datetime",
        ),
        (
            {"group_by": "month", "from": "2030-03-11", "to": "2030-03-10"},
            "invalid_range",
        ),
        ({"group_by": "month", "currency": "XXX"}, "unsupported_currency"),
    ],
)
def test_bad_queries(api_client, spender, query, code):
    assert_problem(api_client.get(url(spender.pk), query), 400, code)


def test_unknown_and_closed_holders(api_client, holder):
    query = {"group_by": "month"}

    assert_problem(
        api_client.get(url(uuid.uuid4()), query), 409, "account_not_ready"
    )
    models.Holder.objects.filter(pk=holder.pk).update(closed_at=timezone.now())
    assert_problem(api_client.get(url(holder.pk), query), 401, "user_inactive")


def entry_queries(queries):
    return [q for q in queries if "accounting_entry" in q["sql"]]


@pytest.fixture
def in_april(clock):
    clock.now = dt.datetime(2030, 4, 1, tzinfo=dt.UTC)


def test_a_report_up_to_last_month_is_cached(
    api_client, spender, clock, in_april
):
    del in_april
    past = {"group_by": "month", "to": "2030-03-31"}
    first = api_client.get(url(spender.pk), past)

    with CaptureQueriesContext(connection) as queries:
        again = api_client.get(url(spender.pk), past)
    # A microsecond earlier it is still March: the report is this month's,
    # read afresh every time.
    clock.now -= dt.timedelta(microseconds=1)
    with CaptureQueriesContext(connection) as march:
        api_client.get(url(spender.pk), past)
        api_client.get(url(spender.pk), past)

    assert again.json() == first.json()
    assert entry_queries(queries) == []
    assert len(entry_queries(march)) == 2


def test_a_record_dated_into_a_cached_month_is_in_its_next_report(
    api_client, spender, clock, in_april
):
    """The cached report of a closed month is keyed by the wallet's place."""
    del in_april
    past = {"group_by": "month", "to": "2030-03-31"}
    before = api_client.get(url(spender.pk), past).json()

    credited = api_client.post(
        f"/internal/v1/holders/{spender.pk}/credits",
        {"amount": "7.00", "effective_at": "2030-03-15"},
        format="json",
    )
    assert credited.status_code == 201, credited.json()
    after = api_client.get(url(spender.pk), past).json()

    march = {g["key"]: g for g in before["groups"]}["2030-03"]
    march_after = {g["key"]: g for g in after["groups"]}["2030-03"]
    assert Decimal(march_after["income"]) == Decimal(march["income"]) + 7
    assert march_after["transactions"] == march["transactions"] + 1
    # Booked in April, counted in March: April has no group of its own.
    assert [g["key"] for g in after["groups"]] == [
        g["key"] for g in before["groups"]
    ]
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(url(spender.pk), past).json() == after
    assert entry_queries(queries) == []


def test_wire_document_matches_the_documented_serializer(api_client, spender):
    document = api_client.get(
        url(spender.pk), {"group_by": "source", "from": "2030-03-10"}
    ).json()

    serializer_class = report_apis.ReportSummaryApi.OutputSerializer
    serializer = serializer_class(data=document)
    assert serializer.is_valid(), (serializer.errors, document)
    assert_same_shape(serializer_class(), document)
    assert document["from"] is not None
