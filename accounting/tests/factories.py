"""factory-boy factories of the accounting models.

Holders get their default wallet through the real service
(``account_open``), so every factory-made holder can be credited.
"""

import datetime as dt
import decimal
import uuid

import factory
from django.conf import settings
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounting import models, services


class PlanFactory(DjangoModelFactory):
    class Meta:
        """The model made."""

        model = models.Plan

    name = factory.Sequence(lambda n: f"Plan {n}")
    kind = models.Plan.Kind.PERCENTAGE
    currency = "USD"
    percentage = decimal.Decimal("10.00")
    flat_amount = None
    description = "A demo plan."

    class Params:
        """``flat=True`` makes a flat-amount plan."""

        flat = factory.Trait(
            kind=models.Plan.Kind.FLAT_AMOUNT, percentage=None, flat_amount=500
        )


class HolderFactory(DjangoModelFactory):
    class Meta:
        """The model made."""

        model = models.Holder
        skip_postgeneration_save = True

    user_id = factory.LazyFunction(uuid.uuid4)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    version = 1

    @factory.post_generation
    def wallet(self, create: bool, extracted: str | None, **kwargs) -> None:
        """Opens main and savings in ``wallet`` (default currency)."""
        del kwargs
        if create:
            services.account_open(
                holder=self, currency=extracted or settings.DEFAULT_CURRENCY
            )


class RateFactory(DjangoModelFactory):
    """A rate valid since yesterday (rates are history: never edited)."""

    class Meta:
        """The model made."""

        model = models.Rate

    base = "USD"
    quote = "EUR"
    rate = decimal.Decimal("0.92")
    valid_from = factory.LazyFunction(
        lambda: timezone.now() - dt.timedelta(days=1)
    )
    created_by = "staff@example.com"


def user_event(
    *,
    user_id: uuid.UUID | None = None,
    version: int = 1,
    event_type: str = "user.created",
    is_active: bool = True,
    email: str = "ada@example.com",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    event_id: uuid.UUID | None = None,
) -> dict:
    """Returns a user event payload as the users service publishes it."""
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "type": event_type,
        "occurred_at": "2026-11-21T10:00:00.000000Z",
        "user": {
            "id": str(user_id or uuid.uuid4()),
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "is_active": is_active,
            "version": version,
        },
    }
