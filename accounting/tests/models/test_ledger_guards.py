"""The journal is append-only and balanced, even when Python is bypassed."""

import decimal
import uuid

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounting import models, services
from accounting.tests import factories
from config.append_only import AppendOnlyError

pytestmark = pytest.mark.django_db


@pytest.fixture
def credited(holder):
    return services.credit_apply(
        holder_id=holder.pk, amount=1000, currency="USD"
    ).transaction


def test_python_refuses_to_update_or_delete_journal_rows(credited):
    entry = credited.entries.first()
    for row in (credited, entry):
        with pytest.raises(AppendOnlyError):
            row.save()
        with pytest.raises(AppendOnlyError):
            row.delete()


@pytest.mark.parametrize("table", ["transaction", "entry"])
def test_postgresql_refuses_raw_update_and_delete(credited, table):
    for sql in (
        f"UPDATE accounting_{table} SET occurred_at = now()",  # noqa: S608
        f"DELETE FROM accounting_{table}",  # noqa: S608
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert models.Transaction.objects.filter(pk=credited.pk).exists()


def test_postgresql_refuses_queryset_update_and_delete(credited):
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Entry.objects.filter(transaction=credited).update(amount=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Transaction.objects.filter(pk=credited.pk).update(amount=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Entry.objects.filter(transaction=credited).delete()
    assert sorted(credited.entries.values_list("amount", flat=True)) == [
        -1000,
        1000,
    ]


def test_an_unbalanced_transaction_is_refused_at_commit(holder):
    main = holder.accounts.get(kind="main")
    now = timezone.now()
    txn = models.Transaction.objects.create(
        holder=holder, kind="credit", amount=100, currency="USD",
        occurred_at=now,
    )  # fmt: skip
    models.Entry.objects.create(
        transaction=txn, holder=holder, account=main, currency="USD",
        amount=100, occurred_at=now, sequence=1, balance_after=100,
    )  # fmt: skip
    with (
        pytest.raises(IntegrityError, match="sum to 100 USD, not zero"),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_check_constraints_hold_in_the_database(holder, credited):
    del credited
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Account.objects.filter(holder=holder).update(balance=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Plan.objects.create(
            name="Both", kind="percentage", currency="USD",
            percentage=decimal.Decimal("5"), flat_amount=100,
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Plan.objects.create(
            name="Too much", kind="percentage", currency="USD",
            percentage=decimal.Decimal("100.01"),
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Account.objects.create(kind="main", currency="USD")
    # System accounts may go negative: they are where money comes from.
    world = models.Account.objects.get(
        pk=models.Account.system_id("world", "USD")
    )
    assert (world.holder_id, world.kind) == (None, "world")


def test_one_wallet_per_holder_kind_and_currency(holder):
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Account.objects.create(
            holder=holder, kind="main", currency="USD"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Account.objects.create(kind="world", currency="USD")


def test_str_and_values():
    percent = factories.PlanFactory.build(
        name="Save", percentage=decimal.Decimal("12.5")
    )
    flat = factories.PlanFactory.build(
        name="Flat", flat=True, flat_amount=250, currency="JPY"
    )
    assert (percent.value, str(percent)) == ("12.50", "Save (12.50%)")
    assert (flat.value, str(flat)) == ("250", "Flat (250 JPY)")
    holder = factories.HolderFactory.build(email="a@example.com")
    assert str(holder) == "a@example.com"
    user_id = uuid.uuid4()
    account = models.Account(holder_id=user_id, kind="main", currency="USD")
    assert str(account) == f"{user_id} main USD"
    assert str(models.Account(kind="world", currency="EUR")) == (
        "system world EUR"
    )
    assert models.Account.system_id("world", "USD") == (
        models.Account.system_id("world", "USD")
    )
    txn = models.Transaction(kind="credit", amount=1050, currency="USD")
    assert str(txn) == "credit 10.50 USD"
    account_id = uuid.uuid4()
    entry = models.Entry(account_id=account_id, amount=-5, currency="USD")
    assert str(entry) == f"{account_id} -0.05 USD"  # money, not cents
    entry = models.Entry(account_id=account_id, amount=1500, currency="JPY")
    assert str(entry) == f"{account_id} +1500 JPY"
    event_id = uuid.uuid4()
    assert str(models.ProcessedEvent(event_id=event_id)) == str(event_id)
    key = models.IdempotencyKey(holder_id=user_id, key="k")
    assert str(key) == f"{user_id} k"
    original_id = uuid.uuid4()
    reversal = models.Reversal(original_id=original_id)
    assert str(reversal) == f"reversal of {original_id}"


JOURNAL_TRIGGERS = [
    "accounting_entry_append_only",
    "accounting_entry_zero_sum",
    "accounting_transaction_append_only",
]
RATE_TRIGGERS = ["accounting_rate_append_only"]
STAFF_TRIGGERS = ["accounting_staffaction_append_only"]
REVERSAL_TRIGGERS = ["accounting_reversal_append_only"]
ALL_TRIGGERS = sorted(
    JOURNAL_TRIGGERS + RATE_TRIGGERS + STAFF_TRIGGERS + REVERSAL_TRIGGERS
)


@pytest.mark.django_db(transaction=True)
def test_the_trigger_migrations_reverse():
    def triggers():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger"
                " WHERE tgname LIKE 'accounting_%%'"
            )
            return sorted(name for (name,) in cursor.fetchall())

    assert triggers() == ALL_TRIGGERS
    # Back through 0017 (the reasons' trigger), 0014 (the audit trail's),
    # 0004 (the rate trigger) and 0002 (the journal's).
    call_command("migrate", "accounting", "0013", verbosity=0)
    assert triggers() == sorted(JOURNAL_TRIGGERS + RATE_TRIGGERS)
    call_command("migrate", "accounting", "0003", verbosity=0)
    assert triggers() == JOURNAL_TRIGGERS
    call_command("migrate", "accounting", "0001", verbosity=0)
    assert triggers() == []
    call_command("migrate", "accounting", verbosity=0)
    assert triggers() == ALL_TRIGGERS
