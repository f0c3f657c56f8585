"""A holder's accounts, and balances now and as of an instant."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from accounting import models, selectors, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db


def test_accounts_list(holder):
    services.account_open(holder=holder, currency="EUR")
    rows = selectors.accounts_list(holder=holder).values_list(
        "currency", "kind"
    )
    assert list(rows) == [
        ("EUR", "main"),
        ("EUR", "savings"),
        ("USD", "main"),
        ("USD", "savings"),
    ]


def system(kind, currency="USD"):
    return models.Account.objects.get(
        pk=models.Account.system_id(kind, currency)
    )


def test_customer_balances_are_stored_system_balances_summed(holder):
    services.credit_apply(holder_id=holder.pk, amount=500, currency="USD")
    services.credit_apply(holder_id=holder.pk, amount=250, currency="USD")
    main = holder.accounts.get(kind="main", currency="USD")

    assert selectors.account_balance(account=main) == 750
    assert selectors.account_balance(account=system("world")) == -750
    assert selectors.account_balance(account=system("clearing")) == 0


def balance(holder, at, currency="USD"):
    found = selectors.balance_at(holder=holder, currency=currency, at=at)
    return (found.main, found.savings, found.total)


def test_balances_as_of_each_instant(holder):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    first = services.credit_apply(
        holder_id=holder.pk, amount=1000, currency="USD"
    ).transaction
    second = services.credit_apply(
        holder_id=holder.pk, amount=500, currency="USD"
    ).transaction
    tick = dt.timedelta(microseconds=1)

    assert balance(holder, first.occurred_at - tick) == (0, 0, 0)
    assert balance(holder, first.occurred_at) == (900, 100, 1000)
    assert balance(holder, second.occurred_at - tick) == (900, 100, 1000)
    assert balance(holder, second.occurred_at) == (1350, 150, 1500)
    assert balance(holder, timezone.now()) == (1350, 150, 1500)


def test_a_currency_without_accounts_is_zero(holder):
    assert balance(holder, timezone.now(), currency="EUR") == (0, 0, 0)


def test_balance_at_is_one_index_probe(holder, django_assert_num_queries):
    main = holder.accounts.get(kind="main")
    other = factories.HolderFactory().accounts.get(kind="main")
    world = models.Account.system_id("world", "USD")
    with connection.cursor() as cursor:
        # A long history: 5,000 credits on one account and on another.
        for account in (main, other):
            cursor.execute(
                """
                WITH txn AS (
                    INSERT INTO accounting_transaction (
                        id, holder_id, kind, amount, currency, occurred_at,
                        effective_at, description, source, to_currency,
                        created_at)
                    SELECT gen_random_uuid(), %s, 'credit', 100, 'USD',
                        now() - make_interval(secs => 5001 - g),
                        now() - make_interval(secs => 5001 - g), '', '', '',
                        now()
                    FROM generate_series(1, 5000) g
                    RETURNING id, occurred_at
                ), customer AS (
                    INSERT INTO accounting_entry (
                        transaction_id, holder_id, account_id, currency,
                        amount, occurred_at, sequence, balance_after)
                    SELECT id, %s, %s, 'USD', 100, occurred_at,
                        ROW_NUMBER() OVER (ORDER BY occurred_at),
                        100 * ROW_NUMBER() OVER (ORDER BY occurred_at)
                    FROM txn
                )
                INSERT INTO accounting_entry (
                    transaction_id, holder_id, account_id, currency, amount,
                    occurred_at)
                SELECT id, %s, %s, 'USD', -100, occurred_at FROM txn
                """,
                [
                    account.holder_id,
                    account.holder_id,
                    account.id,
                    account.holder_id,
                    world,
                ],
            )
        cursor.execute("ANALYZE accounting_entry")
        cursor.execute("ANALYZE accounting_account")
    at = models.Entry.objects.get(account=main, sequence=4000).occurred_at

    plan = selectors.balance_query(
        holder=holder, currency="USD", at=at
    ).explain()

    assert "Index" in plan
    assert "accounting_entry_account_time" in plan
    assert "Seq Scan on accounting_entry" not in plan
    with django_assert_num_queries(1):
        found = selectors.balance_at(holder=holder, currency="USD", at=at)
    assert (found.main, found.savings) == (100 * 4000, 0)
    assert models.Entry.objects.count() == 20000
