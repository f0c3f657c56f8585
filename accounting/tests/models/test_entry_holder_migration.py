"""Migration 0013 gives every journal entry its transaction's holder."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounting import models

BEFORE = ("accounting", "0012_webhooks")


@pytest.mark.django_db(transaction=True)
def test_existing_entries_take_their_transactions_holder():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    holders = [
        old.get_model("accounting", "Holder").objects.create(
            user_id=uuid.uuid4(), email=f"{name}@example.com", version=1
        )
        for name in ("ann", "ben")
    ]
    account = old.get_model("accounting", "Account")
    header = old.get_model("accounting", "Transaction")
    entry = old.get_model("accounting", "Entry")
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    world = account.objects.create(kind="world", currency="USD")
    # Each transaction is written whole: the zero-sum check runs at commit.
    for holder in holders:
        with transaction.atomic():
            main = account.objects.create(
                holder=holder, kind="main", currency="USD", balance=7,
                last_sequence=1,
            )  # fmt: skip
            txn = header.objects.create(
                holder=holder, kind="credit", amount=7, currency="USD",
                occurred_at=at, effective_at=at,
            )  # fmt: skip
            entry.objects.create(
                transaction=txn, account=main, currency="USD", amount=7,
                occurred_at=at, sequence=1, balance_after=7,
            )  # fmt: skip
            entry.objects.create(
                transaction=txn, account=world, currency="USD", amount=-7,
                occurred_at=at,
            )  # fmt: skip

    call_command("migrate", "accounting", verbosity=0)

    for holder in holders:
        rows = models.Entry.objects.filter(transaction__holder_id=holder.pk)
        # Both postings, the world's too, carry the holder of the movement.
        assert sorted(rows.values_list("holder_id", "amount")) == [
            (holder.pk, -7),
            (holder.pk, 7),
        ]
    # The journal is append-only again once the migration is over.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        models.Entry.objects.update(amount=1)
