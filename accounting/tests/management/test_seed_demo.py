import decimal
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from accounting import models, selectors, services
from accounting.management.commands import seed_demo
from accounting.tests import factories

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_plans_and_staff_once(settings, capsys):
    settings.STAFF_EMAIL = "admin@example.com"
    settings.STAFF_PASSWORD = "secret-pw"

    call_command("seed_demo")
    first = capsys.readouterr().out
    plan = models.Plan.objects.get(name="Save 10%")
    plan.description = "edited"
    plan.save()
    call_command("seed_demo")
    second = capsys.readouterr().out

    assert "accounting admin: admin@example.com / secret-pw" in first
    assert "plans: 4 created" in first
    assert "plans: 0 created" in second
    assert "rates: 20 created" in first
    assert "rates: 0 created" in second
    plans = {
        p.name: (p.kind, p.value, p.currency) for p in models.Plan.objects.all()
    }
    assert plans == {
        "Save 10%": ("percentage", "10.00", "USD"),
        "Save 25%": ("percentage", "25.00", "USD"),
        "Flat $5 per credit": ("flat_amount", "5.00", "USD"),
        "Flat \u20ac2 per credit": ("flat_amount", "2.00", "EUR"),
    }
    assert models.Plan.objects.get(name="Save 10%").description == "edited"
    user = get_user_model().objects.get(username="admin@example.com")
    assert user.is_superuser
    assert user.is_staff
    assert user.check_password("secret-pw")


def test_seed_demo_without_staff_settings(settings, capsys):
    settings.STAFF_EMAIL = ""
    settings.STAFF_PASSWORD = ""

    call_command("seed_demo")

    assert "accounting admin" not in capsys.readouterr().out
    assert not get_user_model().objects.exists()
    assert models.Plan.objects.count() == 4


SUPPORTED = ["USD", "EUR", "GBP", "MXN", "JPY"]


def test_seed_demo_rates_every_ordered_pair_once(settings, capsys):
    settings.SUPPORTED_CURRENCIES = SUPPORTED

    call_command("seed_demo")
    call_command("seed_demo")

    assert "no demo rate" not in capsys.readouterr().out
    rates = {(r.base, r.quote): r for r in models.Rate.objects.all()}
    assert set(rates) == set(itertools.permutations(SUPPORTED, 2))
    assert len(rates) == models.Rate.objects.count() == 20
    assert {r.valid_from for r in rates.values()} == {
        seed_demo.DEMO_RATES_VALID_FROM
    }
    assert {r.created_by for r in rates.values()} == {"seed_demo"}
    shown = {pair: rate.rate_display for pair, rate in rates.items()}
    assert shown["USD", "EUR"] == "0.92"
    assert shown["USD", "GBP"] == "0.79"
    assert shown["USD", "MXN"] == "17"
    assert shown["USD", "JPY"] == "150"
    assert shown["EUR", "USD"] == "1.08695652"
    assert shown["JPY", "USD"] == "0.00666667"
    assert shown["EUR", "JPY"] == "163.04347826"
    assert shown["MXN", "GBP"] == "0.04647059"
    for (base, quote), rate in rates.items():
        # Quantized to 8 places; a pair and its inverse multiply to ~1.
        assert rate.rate == rate.rate.quantize(decimal.Decimal("1e-8"))
        product = rate.rate * rates[quote, base].rate
        assert abs(product - 1) < decimal.Decimal("1e-5"), (base, quote)


def test_seeded_rates_convert_at_once(settings):
    """A fresh platform: seed, open a wallet, convert, no staff step."""
    settings.SUPPORTED_CURRENCIES = SUPPORTED
    call_command("seed_demo")
    holder = factories.HolderFactory()
    services.account_open(holder=holder, currency="JPY")
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")

    result = services.conversion_apply(
        holder_id=holder.pk, from_currency="USD", to_currency="JPY", amount=1000
    )

    assert result.body["transaction"]["conversion"] == {
        "to_amount": "1500",
        "to_currency": "JPY",
        "rate": "150",
    }
    assert len(selectors.rates_current(at=timezone.now())) == 20
    assert [f for f in selectors.ledger_verify() if f.count] == []


def test_seed_demo_keeps_newer_rates_and_skips_unknown_currencies(
    settings, capsys
):
    settings.SUPPORTED_CURRENCIES = ["USD", "EUR", "CHF"]
    newer = services.rate_create(
        base="USD",
        quote="EUR",
        rate=decimal.Decimal("0.95"),
        valid_from=timezone.now(),
    )

    call_command("seed_demo")

    out = capsys.readouterr().out
    assert "rates: 2 created" in out
    assert "no demo rate for CHF" in out
    current = selectors.rates_current(base="USD", at=timezone.now())
    assert current == [newer]


def test_seed_demo_never_backdates_a_pair_already_converted(
    settings, capsys, holder
):
    settings.SUPPORTED_CURRENCIES = ["USD", "EUR"]
    staff_rate = services.rate_create(
        base="USD", quote="EUR", rate=decimal.Decimal("0.95")
    )
    services.account_open(holder=holder, currency="EUR")
    services.credit_apply(holder_id=holder.pk, amount=1_000, currency="USD")
    converted = services.conversion_apply(
        holder_id=holder.pk, from_currency="USD", to_currency="EUR", amount=100
    ).transaction

    call_command("seed_demo")

    out = capsys.readouterr().out
    assert "rates: 1 created" in out  # EUR/USD only
    assert (
        "no demo rate for USD/EUR; conversions ran before it would start."
    ) in out
    assert list(
        models.Rate.objects.filter(base="USD").values_list("pk", flat=True)
    ) == [staff_rate.pk]
    assert models.Rate.objects.filter(base="EUR", quote="USD").exists()
    assert converted.rate_id == staff_rate.pk
    assert [f for f in selectors.ledger_verify() if f.count] == []
