"""Group contributions and members under concurrency, on real PostgreSQL.

Threads with their own connections, committing for real: the pot is one
row that every member's contribution locks, so members racing each other
must add up exactly and never overdraw anyone's savings.
"""

import concurrent.futures
import decimal
import threading

import pytest
from django.db import connection
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
    applied = [o for o in outcomes if isinstance(o, services.MovementResult)]
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
    assert refused[0].status == 409
    assert group.members.filter(holder=cai).count() == 1
