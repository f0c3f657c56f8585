"""``manage.py seed_demo``: demo plans and the staff account, once.

Run by ``make run``/``make seed`` on every start, so it only adds what is
missing and never changes existing rows.
"""

import decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounting import models

DEMO_PLANS = [
    {
        "name": "Save 10%",
        "kind": models.Plan.Kind.PERCENTAGE,
        "currency": "USD",
        "percentage": decimal.Decimal("10.00"),
        "description": "A tenth of every credit goes to savings.",
    },
    {
        "name": "Save 25%",
        "kind": models.Plan.Kind.PERCENTAGE,
        "currency": "USD",
        "percentage": decimal.Decimal("25.00"),
        "description": "A quarter of every credit goes to savings.",
    },
    {
        "name": "Flat $5 per credit",
        "kind": models.Plan.Kind.FLAT_AMOUNT,
        "currency": "USD",
        "flat_amount": 500,
        "description": "5.00 USD of every USD credit goes to savings.",
    },
    {
        "name": "Flat €2 per credit",
        "kind": models.Plan.Kind.FLAT_AMOUNT,
        "currency": "EUR",
        "flat_amount": 200,
        "description": "2.00 EUR of every EUR credit goes to savings.",
    },
]


class Command(BaseCommand):
    """Creates the demo plans and the staff superuser if missing."""

    help = "Create demo plans and the staff account (keeps existing data)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        """Seeds what is missing and prints the admin credentials."""
        del args, options
        created = 0
        for plan in DEMO_PLANS:
            _, new = models.Plan.objects.get_or_create(
                name=plan["name"], defaults=plan
            )
            created += new
        self.stdout.write(f"accounting plans: {created} created")
        email, password = settings.STAFF_EMAIL, settings.STAFF_PASSWORD
        if not (email and password):
            return
        users = get_user_model().objects
        if not users.filter(username=email).exists():
            users.create_superuser(
                username=email, email=email, password=password
            )
        self.stdout.write(f"accounting admin: {email} / {password}")
