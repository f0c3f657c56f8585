"""Migration 0009 dates every booked transaction at its booking."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounting import models

BEFORE = ("accounting", "0008_idempotencykey_no_response_status")


@pytest.mark.django_db(transaction=True)
def test_existing_transactions_take_effect_when_they_were_booked():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    holder = old.get_model("accounting", "Holder").objects.create(
        user_id=uuid.uuid4(), email="old@example.com", version=1
    )
    booked = [dt.datetime(2025, 1, day, 12, tzinfo=dt.UTC) for day in (1, 2, 3)]
    header = old.get_model("accounting", "Transaction")
    for at in booked:
        header.objects.create(
            holder=holder, kind="credit", amount=1, currency="USD",
            occurred_at=at,
        )  # fmt: skip

    call_command("migrate", "accounting", verbosity=0)

    rows = models.Transaction.objects.filter(holder_id=holder.pk)
    assert sorted(rows.values_list("effective_at", "occurred_at")) == [
        (at, at) for at in booked
    ]
    # The journal is append-only again once the migration is over.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        rows.update(description="rewritten")
