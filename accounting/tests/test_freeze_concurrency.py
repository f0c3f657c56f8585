"""Freezes against movements in flight, on real PostgreSQL with threads.

A movement reads the freeze state with the rows it locks: a freeze that
commits while the movement waits for those locks must be seen by it, and
so must a lift.
"""

import concurrent.futures
import time

import pytest
from django.db import connection, transaction

from accounting import errors, models, services
from accounting.tests import factories


def waiting_for_locks() -> int:
    """Returns how many lock requests are waiting (live, not a snapshot)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def withdraw_in_thread(holder):
    """Withdraws 1.00 from a thread with its own connection."""
    try:
        return services.withdrawal_apply(
            holder_id=holder.pk, amount=100, currency="USD"
        )
    except errors.AccountingError as error:
        return error
    finally:
        connection.close()


def while_a_withdrawal_waits(holder, change):
    """Runs ``change`` in a transaction a withdrawal waits behind.

    ``change`` takes the wallet's row locks first; the withdrawal starts,
    queues on them, and ``change`` commits: what the withdrawal answers
    shows whether it saw the change.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            change()
            waiting = pool.submit(withdraw_in_thread, holder)
            deadline = time.monotonic() + 10
            while not waiting_for_locks():
                assert time.monotonic() < deadline, "never queued"
                time.sleep(0.01)
        return waiting.result(timeout=10)


@pytest.fixture
def funded(transactional_db):
    del transactional_db
    holder = factories.HolderFactory()
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    return holder


def freeze(holder):
    return services.freeze_create(
        holder=holder,
        currency="USD",
        mode="debit",
        reason="Chargeback",
        created_by="staff@example.com",
    )


def test_a_freeze_committed_while_a_withdrawal_waits_is_seen(funded):
    outcome = while_a_withdrawal_waits(funded, lambda: freeze(funded))

    assert isinstance(outcome, errors.AccountFrozenError)
    main = models.Account.objects.get(holder=funded, kind="main")
    assert (main.balance, main.last_sequence) == (10_000, 1)


def test_a_lift_committed_while_a_withdrawal_waits_is_seen(funded):
    frozen = freeze(funded)

    outcome = while_a_withdrawal_waits(
        funded,
        lambda: services.freeze_lift(
            freeze=frozen, reason="Resolved", lifted_by="lead@example.com"
        ),
    )

    assert isinstance(outcome, services.KeyedResult)
    assert outcome.body["balances"]["main"] == "99.00"


def test_a_freeze_waits_for_a_movement_holding_the_wallet_without_deadlock(
    funded,
):
    # The movement holds the wallet's rows and commits after the freeze
    # queued behind them; at COMMIT its rows' foreign keys lock the holder
    # (KEY SHARE), which the freeze holds already: both must go through.
    def freeze_in_thread():
        try:
            return freeze(funded)
        finally:
            connection.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            moved = services.withdrawal_apply(
                holder_id=funded.pk, amount=100, currency="USD"
            )
            waiting = pool.submit(freeze_in_thread)
            deadline = time.monotonic() + 10
            while not waiting_for_locks():
                assert time.monotonic() < deadline, "never queued"
                time.sleep(0.01)
        frozen = waiting.result(timeout=10)

    assert moved.body["balances"]["main"] == "99.00"
    main = models.Account.objects.get(holder=funded, kind="main")
    assert main.debits_frozen_until == models.Freeze.FOREVER
    assert frozen.holder_id == funded.pk
