import decimal
import uuid

import pytest
from django.db import connection

from accounting import errors, models, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_counts
from config.append_only import AppendOnlyError

pytestmark = pytest.mark.django_db


def credit(holder, amount, currency="USD", **kwargs):
    return services.credit_apply(
        holder_id=holder.pk, amount=amount, currency=currency, **kwargs
    )


def wallet(holder, currency="USD"):
    accounts = models.Account.objects.filter(holder=holder, currency=currency)
    return {a.kind: a for a in accounts}


def test_without_plan_everything_goes_to_main(holder):
    result = credit(holder, 10_050, source="payroll", description="Salary")

    assert not result.replayed
    body = result.body
    assert body["balances"] == {"main": "100.50", "savings": "0.00"}
    txn = body["transaction"]
    assert txn["kind"] == "credit"
    assert txn["amount"] == "100.50"
    assert txn["currency"] == "USD"
    assert txn["source"] == "payroll"
    assert txn["description"] == "Salary"
    assert txn["category"] is None
    assert txn["plan"] is None
    assert txn["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "100.50"}
    ]
    assert txn["occurred_at"].endswith("Z")
    entries = list(
        models.Entry.objects.filter(transaction=result.transaction)
        .select_related("account")
        .order_by("id")
    )
    assert [(e.account.kind, e.amount) for e in entries] == [
        ("world", -10_050),
        ("main", 10_050),
    ]
    world, main = entries
    assert world.account_id == models.Account.system_id("world", "USD")
    assert (world.sequence, world.balance_after) == (None, None)
    assert (main.sequence, main.balance_after) == (1, 10_050)
    assert main.occurred_at == result.transaction.occurred_at
    accounts = wallet(holder)
    assert accounts["main"].balance == 10_050
    assert accounts["main"].last_sequence == 1
    assert accounts["savings"].balance == 0
    assert accounts["savings"].last_sequence == 0
    # The deferred zero-sum trigger accepts the transaction.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_percentage_plan_splits_and_snapshots_the_plan(holder):
    plan = factories.PlanFactory(percentage=decimal.Decimal("12.50"))
    services.plan_assign(holder=holder, plan=plan)

    result = credit(holder, 10_000)

    assert result.body["balances"] == {"main": "87.50", "savings": "12.50"}
    assert result.body["transaction"]["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "87.50"},
        {"account_kind": "savings", "currency": "USD", "amount": "12.50"},
    ]
    assert result.body["transaction"]["plan"] == {
        "id": str(plan.id),
        "name": plan.name,
        "kind": "percentage",
        "value": "12.50",
        "currency": "USD",
        "description": plan.description,
        "savings_hold_days": 0,
    }
    assert (
        result.transaction.plan_snapshot == result.body["transaction"]["plan"]
    )


@pytest.mark.parametrize(
    ("amount", "savings"),
    [(25, 2), (35, 4), (15, 2), (1, 0), (5, 0), (6, 1)],
)
def test_percentage_rounds_half_to_even(holder, amount, savings):
    plan = factories.PlanFactory(percentage=decimal.Decimal("10.00"))
    services.plan_assign(holder=holder, plan=plan)

    result = credit(holder, amount)

    accounts = wallet(holder)
    assert accounts["savings"].balance == savings
    assert accounts["main"].balance == amount - savings
    assert accounts["main"].balance + accounts["savings"].balance == amount
    kinds = [s["account_kind"] for s in result.body["transaction"]["splits"]]
    assert kinds == (["main", "savings"] if savings else ["main"])
    # The plan applied even when it saved nothing.
    assert result.body["transaction"]["plan"]["id"] == str(plan.id)


def test_full_percentage_skips_the_zero_main_leg(holder):
    plan = factories.PlanFactory(percentage=decimal.Decimal("100.00"))
    services.plan_assign(holder=holder, plan=plan)

    result = credit(holder, 700)

    assert result.body["transaction"]["splits"] == [
        {"account_kind": "savings", "currency": "USD", "amount": "7.00"}
    ]
    assert result.transaction.entries.count() == 2
    accounts = wallet(holder)
    assert (accounts["main"].balance, accounts["main"].last_sequence) == (0, 0)
    assert accounts["savings"].balance == 700


def test_flat_plan_saves_the_flat_amount(holder):
    plan = factories.PlanFactory(flat=True, flat_amount=500)
    services.plan_assign(holder=holder, plan=plan)

    result = credit(holder, 501)

    assert result.body["balances"] == {"main": "0.01", "savings": "5.00"}
    assert result.body["transaction"]["plan"]["value"] == "5.00"


@pytest.mark.parametrize("amount", [500, 499, 1])
def test_flat_plan_refuses_a_credit_not_above_it(holder, amount):
    plan = factories.PlanFactory(flat=True, flat_amount=500)
    services.plan_assign(holder=holder, plan=plan)
    before = ledger_counts()

    with pytest.raises(errors.AmountNotAboveFlatAmountError) as caught:
        credit(holder, amount)

    assert caught.value.code == "amount_not_above_flat_amount"
    assert "5.00 USD" in caught.value.detail
    assert ledger_counts() == before


@pytest.mark.parametrize("flat", [True, False])
def test_plan_in_another_currency_does_not_split(holder, flat):
    services.account_open(holder=holder, currency="EUR")
    plan = factories.PlanFactory(currency="USD", flat=flat)
    services.plan_assign(holder=holder, plan=plan)

    result = credit(holder, 100, currency="EUR")

    assert result.body["balances"] == {"main": "1.00", "savings": "0.00"}
    assert result.body["transaction"]["plan"] is None
    assert result.transaction.entries.get(amount=-100).account_id == (
        models.Account.system_id("world", "EUR")
    )


def test_sequences_and_balances_accumulate(holder):
    plan = factories.PlanFactory(percentage=decimal.Decimal("50.00"))
    services.plan_assign(holder=holder, plan=plan)
    for amount in (100, 200, 300):
        credit(holder, amount)

    main = wallet(holder)["main"]
    rows = list(
        models.Entry.objects.filter(account=main)
        .order_by("sequence")
        .values_list("sequence", "balance_after")
    )
    assert rows == [(1, 50), (2, 150), (3, 300)]
    assert (main.balance, main.last_sequence) == (300, 3)


def test_jpy_has_no_minor_digits(holder):
    services.account_open(holder=holder, currency="JPY")

    result = credit(holder, 1500, currency="JPY")

    assert result.body["transaction"]["amount"] == "1500"
    assert result.body["balances"] == {"main": "1500", "savings": "0"}


def test_no_wallet_in_the_currency(holder):
    before = ledger_counts()

    with pytest.raises(errors.AccountNotOpenError) as caught:
        credit(holder, 100, currency="EUR")

    assert caught.value.code == "account_not_open"
    assert ledger_counts() == before


def test_unknown_holder_is_not_ready(db):
    del db
    with pytest.raises(errors.HolderNotReadyError) as caught:
        services.credit_apply(
            holder_id=uuid.uuid4(), amount=100, currency="USD"
        )

    assert caught.value.code == "account_not_ready"
    assert caught.value.retry_after == 1
    assert ledger_counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_closed_holder_is_inactive(holder, currency):
    services.holder_apply_user_event(
        event=services.UserEvent.from_payload(
            factories.user_event(user_id=holder.pk, version=2, is_active=False)
        )
    )
    before = ledger_counts()

    with pytest.raises(errors.HolderClosedError) as caught:
        credit(holder, 100, currency=currency)

    assert caught.value.code == "user_inactive"
    assert ledger_counts() == before


def test_the_returned_transaction_is_the_stored_row(holder):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())

    result = credit(holder, 1000, idempotency_key="k-row", request_hash="h")

    journal = result.transaction
    stored = models.Transaction.objects.get(pk=journal.pk)
    fields = ("holder_id", "kind", "amount", "currency", "occurred_at")
    assert [getattr(stored, f) for f in fields] == [
        getattr(journal, f) for f in fields
    ]
    assert stored.plan_snapshot == journal.plan_snapshot is not None
    assert stored.category is None
    assert stored.created_at == journal.created_at >= journal.occurred_at
    key = models.IdempotencyKey.objects.get(holder=holder, key="k-row")
    assert (key.transaction_id, key.created_at) == (
        journal.pk,
        journal.created_at,
    )
    with pytest.raises(AppendOnlyError):
        journal.save()


def test_a_credit_without_plan_stores_no_plan_snapshot(holder):
    result = credit(holder, 1000)

    stored = models.Transaction.objects.get(pk=result.transaction.pk)
    assert stored.plan_snapshot is None
    assert models.Transaction.objects.filter(
        pk=stored.pk, plan_snapshot__isnull=True
    ).exists()


def test_the_money_path_makes_few_queries(
    holder, django_assert_max_num_queries
):
    plan = factories.PlanFactory()
    services.plan_assign(holder=holder, plan=plan)
    credit(holder, 100)  # warm up

    # advisory lock, key lookup, account lock, 2 inserts, 1 update,
    # key insert, and the savepoint pair of the test's transaction.
    with django_assert_max_num_queries(9):
        credit(holder, 1000, idempotency_key="k-1", request_hash="h")
    with django_assert_max_num_queries(6):
        credit(holder, 1000)
