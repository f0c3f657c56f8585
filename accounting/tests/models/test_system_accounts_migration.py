"""Migration 0005 opens fx and clearing for currencies already in use."""

import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounting import models

LATEST = ("accounting", "0005_system_accounts")


@pytest.mark.django_db(transaction=True)
def test_currencies_in_use_get_every_system_account():
    executor = MigrationExecutor(connection)
    executor.migrate([("accounting", "0004_rate_append_only")])
    old = executor.loader.project_state(
        [("accounting", "0004_rate_append_only")]
    ).apps
    holder = old.get_model("accounting", "Holder").objects.create(
        user_id=uuid.uuid4(), email="old@example.com", version=1
    )
    account = old.get_model("accounting", "Account")
    for currency in ("USD", "JPY"):
        account.objects.create(holder=holder, kind="main", currency=currency)
    # What opening a wallet created before money movement: world only.
    world = models.Account.system_id("world", "USD")
    account.objects.create(id=world, kind="world", currency="USD")

    call_command("migrate", "accounting", verbosity=0)

    system = set(
        models.Account.objects.filter(holder__isnull=True).values_list(
            "id", "kind", "currency"
        )
    )
    assert system == {
        (models.Account.system_id(kind, currency), kind, currency)
        for kind in ("world", "fx", "clearing")
        for currency in ("USD", "JPY")
    }
    assert LATEST in MigrationExecutor(connection).loader.applied_migrations
