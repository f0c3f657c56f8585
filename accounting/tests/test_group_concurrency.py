"""Group contributions and members under concurrency, on real PostgreSQL.

Threads with their own connections, committing for real: the pot is one
row that every member's contribution locks, so members racing each other
must add up exactly and never overdraw anyone's savings; and a member's
membership row queues their contributions and their leaving.
"""

import concurrent.futures
import decimal
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.models import Min

from accounting import errors, models, selectors, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(function):
    """Runs ``function`` and closes this thread's connection afterwards."""

    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    return run


def saver(email):
    """A holder with 10.00 USD in savings (a 25% plan, 40.00 credited)."""
    holder = factories.HolderFactory(email=email)
    services.plan_assign(
        holder=holder,
        plan=factories.PlanFactory(percentage=decimal.Decimal("25")),
    )
    services.credit_apply(holder_id=holder.pk, amount=4_000, currency="USD")
    return holder


def test_three_members_racing_add_up_exactly():
    members = [saver(f"m{i}@example.com") for i in range(3)]
    group = services.group_create(
        holder=members[0], name="Race", target_amount=2_500, currency="USD"
    )
    for member in members[1:]:
        services.member_add(
            holder_id=members[0].pk, group_id=group.id, email=member.email
        )
    start = threading.Barrier(12)

    @in_thread
    def contribute(index):
        if index < 12:
            start.wait(10)
        try:
            return services.contribution_apply(
                holder_id=members[index % 3].pk,
                group_id=group.id,
                amount=100,
                currency="USD",
                idempotency_key=f"c-{index}",
                request_hash=str(index),
            )
        except errors.InsufficientFundsError as error:
            return error

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(contribute, range(36)))

    # Each member has 10.00 saved: ten of their twelve 1.00 pass.
    applied = [o for o in outcomes if isinstance(o, services.KeyedResult)]
    refused = [o for o in outcomes if isinstance(o, errors.AccountingError)]
    assert (len(applied), len(refused)) == (30, 6)
    assert not any(result.replayed for result in applied)
    pot = models.Account.objects.get(pk=group.pot_id)
    assert (pot.balance, pot.last_sequence) == (3_000, 30)
    for member in members:
        savings = member.accounts.get(kind="savings")
        assert savings.balance == 0
        lowest = models.Entry.objects.filter(account=savings).aggregate(
            low=Min("balance_after")
        )["low"]
        assert lowest == 0  # never below zero on the way
    standing = selectors.group_get(holder=members[0], group_id=group.id)
    assert [(s.contributed, s.contributions) for s in standing.members] == [
        (1_000, 10)
    ] * 3
    assert selectors.group_data(standing)["progress_percent"] == "120.00"
    assert [f.check for f in selectors.ledger_verify() if f.count] == []


def test_the_same_member_added_twice_at_once_is_one_row():
    ana, ben = (saver(f"{n}@example.com") for n in ("ana", "ben"))
    cai = factories.HolderFactory(email="cai@example.com")
    group = services.group_create(
        holder=ana, name="Pair", target_amount=100, currency="USD"
    )
    services.member_add(
        holder_id=ana.pk, group_id=group.id, email="ben@example.com"
    )
    start = threading.Barrier(2)

    @in_thread
    def add(holder):
        start.wait(10)
        try:
            return services.member_add(
                holder_id=holder.pk, group_id=group.id, email="CAI@example.com"
            )
        except errors.AlreadyMemberError as error:
            return error

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(add, [ana, ben]))

    added = [o for o in outcomes if isinstance(o, models.GroupMember)]
    refused = [o for o in outcomes if isinstance(o, errors.AlreadyMemberError)]
    assert (len(added), len(refused)) == (1, 1)
    assert refused[0].code == "already_member"
    assert group.members.filter(holder=cai).count() == 1


def wait_for_a_lock_waiter():
    """Returns once another connection of this database waits on a lock.

    Called inside a transaction: the statistics snapshot is dropped before
    each look, or the first one would be read again.
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.01)
    pytest.fail("nobody waited on a lock")


@pytest.fixture
def pair():
    """Ana's group with Ben, each with 10.00 USD saved."""
    ana, ben = (saver(f"{n}@example.com") for n in ("ana", "ben"))
    group = services.group_create(
        holder=ana, name="Pair", target_amount=1_000, currency="USD"
    )
    services.member_add(
        holder_id=ana.pk, group_id=group.id, email="ben@example.com"
    )
    return group, ana, ben


def test_leaving_waits_for_a_contribution_in_progress(pair):
    group, _, ben = pair

    @in_thread
    def leave():
        return services.member_leave(holder_id=ben.pk, group_id=group.id)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            made = services.contribution_apply(
                holder_id=ben.pk, group_id=group.id, amount=300, currency="USD"
            )
            leaving = pool.submit(leave)
            wait_for_a_lock_waiter()
            assert not leaving.done()
        left = leaving.result(timeout=30)

    # The contribution committed first: it is in the pot and before left_at.
    assert made.transaction.occurred_at < left.left_at
    assert models.Account.objects.get(pk=group.pot_id).balance == 300
    standing = selectors.group_get(holder=group.created_by, group_id=group.id)
    assert [
        (s.member.holder_id, s.contributed, s.member.is_current)
        for s in standing.members
    ] == [(ben.pk, 300, False), (group.created_by_id, 0, True)]


def test_a_contribution_waiting_on_a_leave_finds_the_member_gone(pair):
    group, _, ben = pair
    pot_before = models.Account.objects.get(pk=group.pot_id).balance

    @in_thread
    def contribute():
        try:
            return services.contribution_apply(
                holder_id=ben.pk,
                group_id=group.id,
                amount=300,
                currency="USD",
                idempotency_key="late",
                request_hash="late",
            )
        except errors.GroupNotFoundError as error:
            return error

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            services.member_leave(holder_id=ben.pk, group_id=group.id)
            contributing = pool.submit(contribute)
            wait_for_a_lock_waiter()
            assert not contributing.done()
        outcome = contributing.result(timeout=30)

    assert isinstance(outcome, errors.GroupNotFoundError)
    assert models.Account.objects.get(pk=group.pot_id).balance == pot_before
    assert ben.accounts.get(kind="savings").balance == 1_000
    assert not models.IdempotencyKey.objects.filter(key="late").exists()
    assert not models.Transaction.objects.filter(
        kind="group_contribution"
    ).exists()


def test_a_former_member_added_back_twice_at_once_is_one_row(pair):
    group, ana, ben = pair
    cai = factories.HolderFactory(email="cai@example.com")
    services.member_add(
        holder_id=ana.pk, group_id=group.id, email="cai@example.com"
    )
    services.member_leave(holder_id=cai.pk, group_id=group.id)
    start = threading.Barrier(2)

    @in_thread
    def add(holder):
        start.wait(10)
        try:
            return services.member_add(
                holder_id=holder.pk, group_id=group.id, email="CAI@example.com"
            )
        except errors.AlreadyMemberError as error:
            return error

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(add, [ana, ben]))

    added = [o for o in outcomes if isinstance(o, models.GroupMember)]
    refused = [o for o in outcomes if isinstance(o, errors.AlreadyMemberError)]
    assert (len(added), len(refused)) == (1, 1)
    [row] = group.members.filter(holder=cai)
    assert row.is_current
    assert row.pk == added[0].pk
