"""Concurrency on real PostgreSQL: threads, each with its own connection."""

import concurrent.futures
import datetime as dt
import decimal
import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounting import errors, models, selectors, services
from accounting.tests import factories


def in_thread(function):
    """Runs ``function`` and closes this thread's connection afterwards."""

    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    return run


@transaction.atomic
def credit_with_lock_timeout(holder, timeout):
    """Credits, giving up if a lock is not granted within ``timeout``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [timeout])
    return services.credit_apply(
        holder_id=holder.pk, amount=100, currency="USD"
    )


def assert_ledger_clean():
    failed = [f for f in selectors.ledger_verify() if f.count]
    assert failed == []


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_credits_on_one_holder(holder):
    services.plan_assign(
        holder=holder,
        plan=factories.PlanFactory(percentage=decimal.Decimal("12.50")),
    )
    amounts = [101 * (i + 1) for i in range(50)]

    @in_thread
    def credit(index):
        return services.credit_apply(
            holder_id=holder.pk,
            amount=amounts[index],
            currency="USD",
            idempotency_key=f"key-{index}",
            request_hash=str(index),
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(credit, range(50)))

    assert all(r.status == 201 and not r.replayed for r in results)
    accounts = {a.kind: a for a in holder.accounts.all()}
    expected_savings = sum(
        int(
            (decimal.Decimal(a) * decimal.Decimal("0.125")).quantize(
                1, rounding=decimal.ROUND_HALF_EVEN
            )
        )
        for a in amounts
    )
    assert accounts["savings"].balance == expected_savings
    assert accounts["main"].balance == sum(amounts) - expected_savings
    assert accounts["main"].last_sequence == 50
    assert models.Transaction.objects.count() == 50
    assert_ledger_clean()


@pytest.mark.django_db(transaction=True)
def test_the_same_credit_twenty_times_applies_once(holder):
    start = threading.Barrier(20)

    @in_thread
    def credit(_):
        start.wait(10)
        try:
            return services.credit_apply(
                holder_id=holder.pk,
                amount=500,
                currency="USD",
                idempotency_key="same",
                request_hash="same-body",
            )
        except errors.IdempotencyKeyInFlightError as error:
            return error

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(credit, range(20)))

    applied = [
        o for o in outcomes if isinstance(o, services.CreditResult)
        and not o.replayed
    ]  # fmt: skip
    replayed = [
        o for o in outcomes if isinstance(o, services.CreditResult)
        and o.replayed
    ]  # fmt: skip
    in_flight = [o for o in outcomes if isinstance(o, errors.AccountingError)]
    assert len(applied) == 1
    assert len(applied) + len(replayed) + len(in_flight) == 20
    assert all(r.body == applied[0].body for r in replayed)
    assert all(e.status == 409 for e in in_flight)
    assert models.Transaction.objects.count() == 1
    assert holder.accounts.get(kind="main").balance == 500
    assert_ledger_clean()


@pytest.mark.django_db(transaction=True)
def test_credits_for_different_holders_never_wait_on_each_other(holder):
    other = factories.HolderFactory()
    locked, release = threading.Event(), threading.Event()

    @in_thread
    def hold_the_first_holders_accounts():
        with transaction.atomic():
            list(
                models.Account.objects.select_for_update().filter(holder=holder)
            )
            locked.set()
            release.wait(20)

    blocker = threading.Thread(target=hold_the_first_holders_accounts)
    blocker.start()
    try:
        assert locked.wait(10)
        result = credit_with_lock_timeout(other, "2s")
        assert result.body["balances"]["main"] == "1.00"
        # The lock is real: the first holder's credit does wait, and times out.
        with pytest.raises(OperationalError, match="lock timeout"):
            credit_with_lock_timeout(holder, "200ms")
    finally:
        release.set()
        blocker.join(10)
    assert not models.Transaction.objects.filter(holder=holder).exists()


PLANS = st.one_of(
    st.none(),
    st.decimals(
        min_value=decimal.Decimal("0.01"),
        max_value=decimal.Decimal("100"),
        places=2,
    ).map(lambda p: ("percentage", p)),
    st.integers(min_value=1, max_value=5000).map(lambda f: ("flat", f)),
)
OPERATIONS = st.lists(
    st.one_of(
        st.integers(min_value=1, max_value=10**9).map(lambda a: ("credit", a)),
        PLANS.map(lambda p: ("plan", p)),
    ),
    max_size=12,
)


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS)
def test_balances_at_every_instant_replay_the_entries(operations):
    holder = factories.HolderFactory()
    credited = 0
    for operation, value in operations:
        if operation == "plan":
            plan = None
            if value is not None:
                kind, amount = value
                plan = (
                    factories.PlanFactory(percentage=amount)
                    if kind == "percentage"
                    else factories.PlanFactory(flat=True, flat_amount=amount)
                )
            services.plan_assign(holder=holder, plan=plan)
            continue
        try:
            services.credit_apply(
                holder_id=holder.pk, amount=value, currency="USD"
            )
        except errors.AmountNotAboveFlatAmountError:
            assert value <= holder.plan.flat_amount
            continue
        credited += value

    entries = models.Entry.objects.filter(account__holder=holder)
    instants = sorted(set(entries.values_list("occurred_at", flat=True)))
    tick = dt.timedelta(microseconds=1)
    for at in [instant - tick for instant in instants[:1]] + instants:
        found = selectors.balance_at(holder=holder, currency="USD", at=at)
        sums = dict(
            entries.filter(occurred_at__lte=at)
            .values_list("account__kind")
            .annotate(total=Sum("amount"))
        )
        assert found.main == sums.get("main", 0)
        assert found.savings == sums.get("savings", 0)
    final = selectors.balance_at(
        holder=holder, currency="USD", at=dt.datetime.max.replace(tzinfo=dt.UTC)
    )
    assert final.total == credited
    assert_ledger_clean()
