"""GET /rates: per pair, the newest rate valid now."""

import datetime as dt
import decimal

import pytest
from django.utils import timezone

from accounting import services
from accounting.tests.api.conftest import RATES_FROM
from config import timeparse
from config.testing import assert_problem

pytestmark = pytest.mark.django_db

URL = "/internal/v1/rates"
SINCE = timeparse.format_instant(RATES_FROM)


def publish(base, quote, rate, valid_from):
    return services.rate_create(
        base=base,
        quote=quote,
        rate=decimal.Decimal(rate),
        valid_from=valid_from,
    )


def test_no_rates(api_client):
    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["results"] == []
    # ``at`` is the instant the rates are valid at: now, in UTC.
    at = timeparse.parse_instant(body["at"])
    assert abs(timezone.now() - at) < dt.timedelta(minutes=1)
    assert body["at"].endswith("Z")


@pytest.mark.usefixtures("rates")
def test_the_current_rate_of_each_pair_sorted(api_client):
    now = timezone.now()
    publish("USD", "EUR", "0.93", now - dt.timedelta(hours=1))
    publish("USD", "EUR", "0.99", now + dt.timedelta(hours=1))  # not yet

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "base": "EUR",
            "quote": "USD",
            "rate": "1.08695652",
            "valid_from": SINCE,
        },
        {"base": "JPY", "quote": "USD", "rate": "0.005", "valid_from": SINCE},
        {
            "base": "USD",
            "quote": "EUR",
            "rate": "0.93",
            "valid_from": timeparse.format_instant(now - dt.timedelta(hours=1)),
        },
        {"base": "USD", "quote": "JPY", "rate": "150", "valid_from": SINCE},
    ]


@pytest.mark.usefixtures("rates")
@pytest.mark.parametrize("base", ["USD", "usd"])
def test_one_base(api_client, base):
    """A base filters; an empty ``base=`` is refused (leave it out)."""
    assert len(api_client.get(URL).json()["results"]) == 4
    assert_problem(api_client.get(URL, {"base": ""}), 400, "validation_error")

    response = api_client.get(URL, {"base": base})

    assert [(r["base"], r["quote"]) for r in response.json()["results"]] == [
        ("USD", "EUR"),
        ("USD", "JPY"),
    ]


@pytest.mark.usefixtures("rates")
def test_a_base_without_rates(api_client):
    response = api_client.get(URL, {"base": "GBP"})

    assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize("base", ["XXX", "US", "usd!"])
def test_an_unsupported_base(api_client, base):
    response = api_client.get(URL, {"base": base})

    assert_problem(response, 400, "unsupported_currency")


def test_rates_need_the_service_credential(client):
    response = client.get(URL)

    assert_problem(response, 401, "not_authenticated")
