"""The plans on offer and, per pair, the rate valid at an instant."""

import datetime as dt
import decimal
import uuid

import pytest

from accounting import errors, selectors, wire
from accounting.tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def test_plans_active_and_plan_get_active():
    b = factories.PlanFactory(name="B")
    a = factories.PlanFactory(name="A", flat=True)
    hidden = factories.PlanFactory(name="C", is_active=False)

    assert list(selectors.plans_active()) == [a, b]
    assert selectors.plan_get_active(plan_id=str(a.pk)) == a
    for plan_id in (str(hidden.pk), str(uuid.uuid4()), "nope"):
        with pytest.raises(errors.PlanNotFoundError):
            selectors.plan_get_active(plan_id=plan_id)


def rate(base, quote, value, valid_from):
    return factories.RateFactory(
        base=base,
        quote=quote,
        rate=decimal.Decimal(value),
        valid_from=valid_from,
    )


@pytest.fixture
def history():
    """Two pairs from USD with history, one from EUR, one not valid yet."""
    return {
        "usd_eur_old": rate("USD", "EUR", "0.90", NOW - 48 * HOUR),
        "usd_eur": rate("USD", "EUR", "0.92", NOW - HOUR),
        "usd_eur_next": rate("USD", "EUR", "0.93", NOW + HOUR),
        "usd_jpy": rate("USD", "JPY", "150", NOW - 24 * HOUR),
        "eur_usd": rate("EUR", "USD", "1.087", NOW),
        "gbp_usd_next": rate("GBP", "USD", "1.27", NOW + HOUR),
    }


def test_the_newest_rate_of_each_pair_sorted(history):
    found = selectors.rates_current(at=NOW)

    assert found == [history["eur_usd"], history["usd_eur"], history["usd_jpy"]]


def test_a_base_filter(history):
    assert selectors.rates_current(base="USD", at=NOW) == [
        history["usd_eur"],
        history["usd_jpy"],
    ]
    assert selectors.rates_current(base="GBP", at=NOW) == []


def test_rates_change_with_the_instant(history):
    assert selectors.rates_current(at=NOW + HOUR) == [
        history["eur_usd"],
        history["gbp_usd_next"],
        history["usd_eur_next"],
        history["usd_jpy"],
    ]
    assert selectors.rates_current(at=NOW - 47 * HOUR) == [
        history["usd_eur_old"]
    ]
    assert selectors.rates_current(at=NOW - 49 * HOUR) == []


def test_the_wire_form_of_a_rate(history):
    assert [wire.rate_data(r) for r in selectors.rates_current(at=NOW)] == [
        {
            "base": "EUR",
            "quote": "USD",
            "rate": "1.087",
            "valid_from": "2026-06-01T12:00:00Z",
        },
        {
            "base": "USD",
            "quote": "EUR",
            "rate": "0.92",
            "valid_from": "2026-06-01T11:00:00Z",
        },
        {
            "base": "USD",
            "quote": "JPY",
            "rate": "150",
            "valid_from": "2026-05-31T12:00:00Z",
        },
    ]
