"""Fixtures of the internal API tests: recipients, wallets and FX rates."""

import datetime as dt
import decimal

import pytest

from accounting import models, services
from accounting.tests import factories
from accounting.tests.webhooks.receivers import (  # noqa: F401 (a fixture)
    receiver,
)

# Test rates, valid long before any test runs. JPY->USD is 0.005 (not a
# market rate) so that 1 JPY is exactly half a cent: it rounds half-even to
# nothing (amount_too_small) and 3 JPY to 2 cents.
RATES_FROM = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# Dates a dated credit or withdrawal refuses, with the code of each.
BAD_DATES = [
    ({"amount": "1", "effective_at": "2999-01-01"}, "validation_error"),
    ({"amount": "1", "effective_at": None}, "validation_error"),
    ({"amount": "1", "effective_at": "yesterday"}, "invalid_datetime"),
    ({"amount": "1", "effective_at": 20261121}, "invalid_datetime"),
    (
        {"amount": "1", "effective_at": "2026-11-21T10:00:00"},
        "invalid_datetime",
    ),
    (
        {"amount": "1", "effective_at": "0001-01-01T00:00:00+14:00"},
        "invalid_datetime",
    ),
]
TEST_RATES = {
    ("USD", "EUR"): "0.92",
    ("EUR", "USD"): "1.08695652",
    ("USD", "JPY"): "150",
    ("JPY", "USD"): "0.005",
}


@pytest.fixture
def rates(db) -> dict[tuple[str, str], models.Rate]:
    """The :data:`TEST_RATES`, published through the service."""
    del db
    return {
        pair: services.rate_create(
            base=pair[0],
            quote=pair[1],
            rate=decimal.Decimal(value),
            valid_from=RATES_FROM,
            created_by="tests",
        )
        for pair, value in TEST_RATES.items()
    }


@pytest.fixture
def wallets(funded_holder: models.Holder) -> models.Holder:
    """The funded holder (90.00 main, 10.00 savings USD) with EUR and JPY.

    Its EUR and JPY wallets are open and empty.
    """
    for currency in ("EUR", "JPY"):
        services.account_open(holder=funded_holder, currency=currency)
    return funded_holder


@pytest.fixture
def recipient(db) -> models.Holder:
    """Another open holder with an empty USD wallet."""
    del db
    return factories.HolderFactory()


def main_account(holder: models.Holder, currency: str = "USD") -> str:
    """Returns the id of a holder's main account in a currency."""
    account = holder.accounts.get(kind="main", currency=currency)
    return str(account.pk)
