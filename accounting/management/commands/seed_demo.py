"""``manage.py seed_demo``: demo plans, rates, categories and staff account.

Run by ``make run``/``make seed`` (and the end-to-end tests, and the
containers with ``SEED_DEMO=1``) on every start, so it only adds what is
missing and never changes existing rows. The demo rates start at a fixed
past instant, so conversions work as soon as the platform is up, and any
rate staff publish later wins over them.
"""

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounting import errors, models, services

# Plans as staff enter them (``plan_save``): a percent or an amount.
DEMO_PLANS = [
    {
        "name": "Save 10%",
        "kind": models.Plan.Kind.PERCENTAGE,
        "currency": "USD",
        "value": decimal.Decimal("10.00"),
        "description": "A tenth of every credit goes to savings.",
    },
    {
        "name": "Save 25%",
        "kind": models.Plan.Kind.PERCENTAGE,
        "currency": "USD",
        "value": decimal.Decimal("25.00"),
        "description": "A quarter of every credit goes to savings.",
    },
    {
        "name": "Flat $5 per credit",
        "kind": models.Plan.Kind.FLAT_AMOUNT,
        "currency": "USD",
        "value": decimal.Decimal("5.00"),
        "description": "5.00 USD of every USD credit goes to savings.",
    },
    {
        "name": "Flat €2 per credit",
        "kind": models.Plan.Kind.FLAT_AMOUNT,
        "currency": "EUR",
        "value": decimal.Decimal("2.00"),
        "description": "2.00 EUR of every EUR credit goes to savings.",
    },
]

# Suggested expense categories (staff add, rename or deactivate others).
DEMO_CATEGORIES = [
    "groceries",
    "rent",
    "utilities",
    "transport",
    "eating out",
    "health",
    "entertainment",
    "travel",
]


# Units of each currency one US dollar buys: round demo values, not market
# data. Every other pair is derived from these, so the rates agree with
# each other (EUR->JPY = JPY per USD / EUR per USD).
DEMO_USD_RATES = {
    "USD": decimal.Decimal("1"),
    "EUR": decimal.Decimal("0.92"),
    "GBP": decimal.Decimal("0.79"),
    "MXN": decimal.Decimal("17.0"),
    "JPY": decimal.Decimal("150"),
}
DEMO_RATE_PLACES = decimal.Decimal("0.00000001")
# Before any demo conversion: the rates are valid at once.
DEMO_RATES_VALID_FROM = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
DEMO_RATES_CREATED_BY = "seed_demo"


def demo_rates(
    currencies: Iterable[str],
) -> list[tuple[str, str, decimal.Decimal]]:
    """Returns ``(base, quote, rate)`` for every ordered pair of currencies.

    A pair and its inverse are separate rows (as staff would enter them),
    each quantized half-even to 8 decimal places.

    Args:
        currencies: The codes to pair; those without a demo value are left
            out.

    Returns:
        The rates, by base then quote in the given order.
    """
    known = [code for code in currencies if code in DEMO_USD_RATES]
    return [
        (
            base,
            quote,
            (DEMO_USD_RATES[quote] / DEMO_USD_RATES[base]).quantize(
                DEMO_RATE_PLACES, rounding=decimal.ROUND_HALF_EVEN
            ),
        )
        for base in known
        for quote in known
        if base != quote
    ]


class Command(BaseCommand):
    """Creates the demo plans, rates, categories and staff if missing."""

    help = (
        "Create demo plans, FX rates, expense categories and the staff "
        "account (keeps existing data)."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        """Seeds what is missing and prints the admin credentials."""
        del args, options
        created = 0
        for plan in DEMO_PLANS:
            if not models.Plan.objects.filter(name=plan["name"]).exists():
                services.plan_save(**plan)
                created += 1
        self.stdout.write(f"accounting plans: {created} created")
        self._seed_rates()
        self._seed_categories()
        email, password = settings.STAFF_EMAIL, settings.STAFF_PASSWORD
        if not (email and password):
            return
        users = get_user_model().objects
        if not users.filter(username=email).exists():
            users.create_superuser(
                username=email, email=email, password=password
            )
        self.stdout.write(f"accounting admin: {email} / {password}")

    def _seed_categories(self) -> None:
        """Adds the missing demo categories through ``category_save``.

        One that exists is left alone, even deactivated: staff decided.
        """
        existing = set(models.Category.objects.values_list("name", flat=True))
        created = 0
        for name in DEMO_CATEGORIES:
            if name not in existing:
                services.category_save(
                    category=models.Category(), name=name, is_active=True
                )
                created += 1
        self.stdout.write(f"accounting categories: {created} created")

    def _seed_rates(self) -> None:
        """Publishes the missing demo rates through ``rate_create``."""
        currencies = list(settings.SUPPORTED_CURRENCIES)
        seeded = set(
            models.Rate.objects.filter(
                valid_from=DEMO_RATES_VALID_FROM
            ).values_list("base", "quote")
        )
        created, backdated = 0, []
        for base, quote, rate in demo_rates(currencies):
            if (base, quote) in seeded:
                continue
            try:
                services.rate_create(
                    base=base,
                    quote=quote,
                    rate=rate,
                    valid_from=DEMO_RATES_VALID_FROM,
                    created_by=DEMO_RATES_CREATED_BY,
                )
            except errors.RateBackdatedError:
                # Conversions already ran at rates staff published: the
                # demo rate would rewrite what they applied.
                backdated.append(f"{base}/{quote}")
                continue
            created += 1
        self.stdout.write(f"accounting rates: {created} created")
        if backdated:
            self.stdout.write(
                f"accounting rates: no demo rate for {', '.join(backdated)}; "
                "conversions ran before it would start."
            )
        missing = [code for code in currencies if code not in DEMO_USD_RATES]
        if missing:
            self.stdout.write(
                f"accounting rates: no demo rate for {', '.join(missing)}; "
                "add them in the admin."
            )
