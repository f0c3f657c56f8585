"""Concurrency on real PostgreSQL: threads, each with its own connection."""

import concurrent.futures
import datetime as dt
import decimal
import random
import threading
import time

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounting import errors, models, selectors, services
from accounting.tests import factories
from accounting.tests.examples import examples
from config.idempotency import store


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

    assert not any(r.replayed for r in results)
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
        except store.KeyInFlightError as error:
            return error

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(credit, range(20)))

    applied = [
        o for o in outcomes if isinstance(o, services.KeyedResult)
        and not o.replayed
    ]  # fmt: skip
    replayed = [
        o for o in outcomes if isinstance(o, services.KeyedResult)
        and o.replayed
    ]  # fmt: skip
    in_flight = [o for o in outcomes if isinstance(o, store.KeyInFlightError)]
    assert len(applied) == 1
    assert len(applied) + len(replayed) + len(in_flight) == 20
    assert all(r.body == applied[0].body for r in replayed)
    assert all(e.code == "idempotency_key_in_flight" for e in in_flight)
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


@pytest.mark.django_db(transaction=True)
def test_a_transfer_waits_for_its_recipients_lock(funded_holder):
    recipient = factories.HolderFactory()
    recipient_main = recipient.accounts.get(kind="main")
    locked, release = threading.Event(), threading.Event()

    @in_thread
    def hold_the_recipients_account():
        with transaction.atomic():
            list(
                models.Account.objects.select_for_update().filter(
                    pk=recipient_main.pk
                )
            )
            locked.set()
            release.wait(20)

    @transaction.atomic
    def transfer_with_lock_timeout():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', '200ms', true)")
        return services.transfer_apply(
            holder_id=funded_holder.pk,
            to_account=recipient_main.pk,
            amount=100,
            currency="USD",
        )

    blocker = threading.Thread(target=hold_the_recipients_account)
    blocker.start()
    try:
        assert locked.wait(10)
        with pytest.raises(OperationalError, match="lock timeout"):
            transfer_with_lock_timeout()
    finally:
        release.set()
        blocker.join(10)
    assert transfer_with_lock_timeout().body["balances"]["main"] == "89.00"


TRANSFER_THREADS = 64
TRANSFERS_PER_THREAD = 200
ACCOUNTS = 10
OPENING_BALANCE = 100_000  # 1,000.00 USD each


def random_amount(rng):
    """Mostly affordable amounts; one in eight more than any balance can be.

    Balances drift as money moves, so the affordable ones fail too now and
    then; the large ones always do.
    """
    if rng.random() < 0.125:
        return rng.randint(OPENING_BALANCE * ACCOUNTS + 1, 10**9)
    return rng.randint(1, OPENING_BALANCE // 2)


@pytest.mark.django_db(transaction=True)
def test_random_transfers_both_ways_never_deadlock_nor_lose_money():
    holders = [factories.HolderFactory() for _ in range(ACCOUNTS)]
    for holder in holders:
        services.credit_apply(
            holder_id=holder.pk, amount=OPENING_BALANCE, currency="USD"
        )
    mains = [h.accounts.get(kind="main").pk for h in holders]
    start = threading.Barrier(TRANSFER_THREADS)

    @in_thread
    def transfers(seed):
        rng = random.Random(seed)  # noqa: S311 - repeatable, not secret
        outcomes = []
        start.wait(60)
        for _ in range(TRANSFERS_PER_THREAD):
            sender, recipient = rng.sample(range(ACCOUNTS), 2)
            try:
                outcome = services.transfer_apply(
                    holder_id=holders[sender].pk,
                    to_account=mains[recipient],
                    amount=random_amount(rng),
                    currency="USD",
                )
            # Anything else (a deadlock, a serialization failure) is kept
            # and fails the assertion below with its message.
            except Exception as error:  # noqa: BLE001
                outcome = error
            outcomes.append(outcome)
        return outcomes

    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(TRANSFER_THREADS) as pool:
        runs = list(pool.map(transfers, range(TRANSFER_THREADS)))
    elapsed = time.monotonic() - began

    outcomes = [outcome for run in runs for outcome in run]
    assert len(outcomes) == TRANSFER_THREADS * TRANSFERS_PER_THREAD
    unexpected = [
        repr(o)
        for o in outcomes
        if not isinstance(
            o, (services.KeyedResult, errors.InsufficientFundsError)
        )
    ]
    assert unexpected == []
    applied = sum(isinstance(o, services.KeyedResult) for o in outcomes)
    refused = len(outcomes) - applied
    assert applied > 0
    assert refused > 0
    balances = list(
        models.Account.objects.filter(
            holder__in=holders, kind="main"
        ).values_list("balance", flat=True)
    )
    assert min(balances) >= 0
    assert sum(balances) == OPENING_BALANCE * ACCOUNTS
    assert not models.Entry.objects.filter(balance_after__lt=0).exists()
    assert models.Transaction.objects.filter(kind="transfer_out").count() == (
        applied
    )
    assert models.Transaction.objects.filter(kind="transfer_in").count() == (
        applied
    )
    assert_ledger_clean()
    # The load on CI (2 cores) must stay well within its budget.
    assert elapsed < 300, f"{len(outcomes)} transfers took {elapsed:.0f} s"


WITHDRAWAL_THREADS = 64
WITHDRAWALS = 1_000


@pytest.mark.django_db(transaction=True)
def test_a_thousand_withdrawals_of_one_from_a_hundred(holder):
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    attempts = iter(range(WITHDRAWALS))
    take = threading.Lock()
    start = threading.Barrier(WITHDRAWAL_THREADS)

    def next_attempt():
        with take:
            return next(attempts, None)

    @in_thread
    def withdrawals(_):
        start.wait(60)
        outcomes = []
        while next_attempt() is not None:
            try:
                outcome = services.withdrawal_apply(
                    holder_id=holder.pk, amount=100, currency="USD"
                )
            except Exception as error:  # noqa: BLE001 - asserted below
                outcome = error
            outcomes.append(outcome)
        return outcomes

    with concurrent.futures.ThreadPoolExecutor(WITHDRAWAL_THREADS) as pool:
        runs = list(pool.map(withdrawals, range(WITHDRAWAL_THREADS)))

    outcomes = [outcome for run in runs for outcome in run]
    assert len(outcomes) == WITHDRAWALS
    applied = [o for o in outcomes if isinstance(o, services.KeyedResult)]
    refused = [
        o for o in outcomes if isinstance(o, errors.InsufficientFundsError)
    ]
    assert (len(applied), len(refused)) == (100, 900)
    assert sorted(o.body["balances"]["main"] for o in applied) == sorted(
        f"{cents // 100}.{cents % 100:02d}" for cents in range(0, 9_901, 100)
    )
    main = holder.accounts.get(kind="main")
    assert (main.balance, main.last_sequence) == (0, 101)
    assert models.Transaction.objects.filter(kind="withdrawal").count() == 100
    assert_ledger_clean()


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
    max_examples=examples(15),
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
