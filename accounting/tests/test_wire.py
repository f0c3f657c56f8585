"""The wire documents the reads and the movements answer with."""

import datetime as dt
import decimal

import pytest

from accounting import models, services, wire
from accounting.tests import factories

pytestmark = pytest.mark.django_db


def test_a_holders_plan_choice(holder, clock):
    assert wire.holder_plan_data(holder) == {"plan": None, "selected_at": None}
    plan = factories.PlanFactory(
        name="Half",
        percentage=decimal.Decimal("50"),
        description="Save",
        savings_hold_days=7,
    )
    services.plan_assign(holder=holder, plan=plan)

    assert wire.holder_plan_data(holder) == {
        "plan": {
            "id": str(plan.id),
            "name": "Half",
            "kind": "percentage",
            "value": "50.00",
            "currency": "USD",
            "description": "Save",
            "savings_hold_days": 7,
        },
        "selected_at": clock.now.astimezone(dt.UTC)
        .isoformat()
        .replace("+00:00", "Z"),
    }


def test_an_account_open_and_closed(holder):
    services.account_open(holder=holder, currency="JPY")
    services.credit_apply(holder_id=holder.pk, amount=1_234, currency="JPY")
    main = models.Account.objects.get(
        holder=holder, currency="JPY", kind="main"
    )

    assert wire.account_data(main) == {
        "id": str(main.id),
        "kind": "main",
        "currency": "JPY",
        "balance": "1234",
        "closed_at": None,
    }
    main.closed_at = dt.datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=dt.UTC)
    assert wire.account_data(main)["closed_at"] == (
        "2026-03-04T05:06:07.000890Z"
    )


def test_a_conversion_shows_what_it_bought_and_the_rate():
    header = models.Transaction(
        kind="conversion",
        amount=1_000,
        currency="USD",
        occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        effective_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        to_amount=150_000,
        to_currency="JPY",
        fx_rate=decimal.Decimal("150.0000000000"),
    )

    data = wire.transaction_data(
        header, [("main", "USD", -1_000), ("main", "JPY", 150_000)]
    )

    assert data["conversion"] == {
        "to_amount": "150000",
        "to_currency": "JPY",
        "rate": "150",
    }
    assert data["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "-10.00"},
        {"account_kind": "main", "currency": "JPY", "amount": "150000"},
    ]
    assert data["counterparty_account"] is None
