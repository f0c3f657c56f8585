"""Savings groups: opening a group, adding members, contributing."""

import datetime as dt
import decimal
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from accounting import errors, models, services
from accounting.services import journal
from accounting.tests import factories
from accounting.tests.conftest import (
    constraints_check,
    failed_checks,
    ledger_state,
    postings,
    wallet,
)
from config.idempotency import store

pytestmark = pytest.mark.django_db


def saver(email, amount=10_000, **plan):
    """A holder whose credit of ``amount`` put half in savings."""
    holder = factories.HolderFactory(email=email)
    services.plan_assign(
        holder=holder,
        plan=factories.PlanFactory(percentage=decimal.Decimal("50"), **plan),
    )
    services.credit_apply(holder_id=holder.pk, amount=amount, currency="USD")
    return holder


@pytest.fixture
def ana():
    return saver("ana@example.com")


@pytest.fixture
def ben():
    return saver("ben@example.com")


@pytest.fixture
def group(ana, ben):
    """Ana's USD group (target 120.00) with Ben as the second member."""
    created = services.group_create(
        holder=ana, name="Summer", target_amount=12_000, currency="USD"
    )
    services.member_add(
        holder_id=ana.pk, group_id=created.id, email="ben@example.com"
    )
    return created


def contribute(holder, group, amount, **extra):
    return services.contribution_apply(
        holder_id=holder.pk,
        group_id=group.id,
        amount=amount,
        currency=extra.pop("currency", group.currency),
        **extra,
    )


def close_wallet(holder):
    services.account_close(account=wallet(holder)["main"])


def close_holder(holder):
    models.Holder.objects.filter(pk=holder.pk).update(closed_at=timezone.now())


# --- group_create -----------------------------------------------------------


def test_a_group_opens_an_empty_pot_with_its_creator_as_member(ana):
    group = services.group_create(
        holder=ana,
        name="Trip",
        target_amount=5_000,
        currency="JPY",
        target_date=dt.date(2030, 1, 31),
    )

    group.refresh_from_db()
    assert (group.name, group.target_amount, group.currency) == (
        "Trip",
        5_000,
        "JPY",
    )
    assert group.target_date == dt.date(2030, 1, 31)
    assert group.created_by_id == ana.pk
    pot = group.pot
    assert (pot.kind, pot.holder_id, pot.currency) == ("pot", None, "JPY")
    assert (pot.balance, pot.last_sequence, pot.closed_at) == (0, 0, None)
    [member] = group.members.all()
    assert (member.holder_id, member.added_by_id) == (ana.pk, None)


def test_two_groups_in_one_currency_have_two_pots(ana):
    first, second = (
        services.group_create(
            holder=ana, name=name, target_amount=100, currency="USD"
        )
        for name in ("A", "B")
    )
    assert first.pot_id != second.pot_id
    assert models.Account.objects.filter(kind="pot").count() == 2


def test_a_closed_holder_opens_no_group(ana):
    ana.closed_at = timezone.now()
    ana.save()
    before = models.Account.objects.count()

    with pytest.raises(errors.HolderClosedError):
        services.group_create(
            holder=ana, name="X", target_amount=100, currency="USD"
        )

    assert models.SavingsGroup.objects.count() == 0
    assert models.Account.objects.count() == before


# --- member_add -------------------------------------------------------------


def test_a_member_adds_a_user_by_email_in_any_case(group, ana):
    cai = factories.HolderFactory(email="Cai.Doe@Example.com")

    member = services.member_add(
        holder_id=ana.pk, group_id=str(group.id), email="  cai.doe@EXAMPLE.COM "
    )

    assert member.holder == cai
    assert (member.group_id, member.added_by_id) == (group.id, ana.pk)
    assert set(group.members.values_list("holder_id", flat=True)) == {
        ana.pk,
        member.holder_id,
        models.Holder.objects.get(email="ben@example.com").pk,
    }


def test_any_member_may_add_another(group, ben):
    cai = factories.HolderFactory(email="cai@example.com")
    member = services.member_add(
        holder_id=ben.pk, group_id=group.id, email="cai@example.com"
    )
    assert (member.holder_id, member.added_by_id) == (cai.pk, ben.pk)


def test_an_open_holder_is_chosen_over_a_closed_one_with_the_email(group, ana):
    close_holder(factories.HolderFactory(email="cai@example.com"))
    reopened = factories.HolderFactory(email="CAI@example.com")

    member = services.member_add(
        holder_id=ana.pk, group_id=group.id, email="cai@example.com"
    )

    assert member.holder_id == reopened.pk


@pytest.mark.parametrize(
    "email", ["nobody@example.com", "closed@example.com", "ana@example.co"]
)
def test_only_an_open_holder_can_be_added(group, ana, email):
    close_holder(factories.HolderFactory(email="closed@example.com"))

    with pytest.raises(errors.UserNotFoundError):
        services.member_add(holder_id=ana.pk, group_id=group.id, email=email)

    assert group.members.count() == 2


def test_adding_a_member_twice_is_refused_and_keeps_one_row(group, ana, ben):
    with pytest.raises(errors.AlreadyMemberError):
        services.member_add(
            holder_id=ben.pk, group_id=group.id, email="BEN@example.com"
        )

    assert group.members.filter(holder=ben).count() == 1
    # The refusal rolled back to its savepoint: the transaction goes on.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    del ana


@pytest.mark.parametrize("group_id", ["stranger's", "unknown", "malformed"])
def test_only_a_member_adds_members(group, group_id):
    stranger = factories.HolderFactory(email="eve@example.com")
    factories.HolderFactory(email="cai@example.com")
    given = {
        "stranger's": group.id,
        "unknown": uuid.uuid4(),
        "malformed": "not-a-uuid",
    }[group_id]

    with pytest.raises(errors.GroupNotFoundError):
        services.member_add(
            holder_id=stranger.pk, group_id=given, email="cai@example.com"
        )

    assert group.members.count() == 2


# --- member_leave -----------------------------------------------------------


def test_leaving_keeps_the_row_and_moves_no_money(group, ana, ben):
    contribute(ben, group, 1_500)
    membership = group.members.get(holder=ben)
    before = ledger_state()

    left = services.member_leave(holder_id=ben.pk, group_id=str(group.id))

    assert left.pk == membership.pk
    membership.refresh_from_db()
    assert membership.left_at is not None
    assert membership.left_at == left.left_at
    assert not membership.is_current
    assert (membership.joined_at, membership.added_by_id) == (
        left.joined_at,
        ana.pk,
    )
    # The ledger, the pot and Ben's savings are as they were.
    assert ledger_state() == before
    assert models.Account.objects.get(pk=group.pot_id).balance == 1_500
    assert group.members.count() == 2
    assert list(models.GroupMember.objects.current()) == [
        group.members.get(holder=ana)
    ]
    assert list(models.GroupMember.objects.former()) == [membership]
    assert failed_checks() == []


def test_after_leaving_the_group_is_unknown_to_the_leaver(group, ana, ben):
    factories.HolderFactory(email="cai@example.com")
    services.member_leave(holder_id=ben.pk, group_id=group.id)
    before = ledger_state()

    with pytest.raises(errors.GroupNotFoundError):
        contribute(ben, group, 100, idempotency_key="k", request_hash="h")
    with pytest.raises(errors.GroupNotFoundError):
        services.member_add(
            holder_id=ben.pk, group_id=group.id, email="cai@example.com"
        )
    with pytest.raises(errors.GroupNotFoundError):
        services.member_leave(holder_id=ben.pk, group_id=group.id)

    assert ledger_state() == before
    assert group.members.count() == 2
    # Ana, still in, goes on.
    assert contribute(ana, group, 100).transaction is not None


@pytest.mark.parametrize("group_id", ["stranger's", "unknown", "malformed"])
def test_only_a_member_can_leave(group, group_id):
    stranger = factories.HolderFactory(email="eve@example.com")
    given = {
        "stranger's": group.id,
        "unknown": uuid.uuid4(),
        "malformed": "not-a-uuid",
    }[group_id]

    with pytest.raises(errors.GroupNotFoundError):
        services.member_leave(holder_id=stranger.pk, group_id=given)

    assert not models.GroupMember.objects.former().exists()


def test_the_creator_and_then_the_last_member_may_leave(group, ana, ben):
    contribute(ben, group, 200)

    services.member_leave(holder_id=ana.pk, group_id=group.id)
    services.member_leave(holder_id=ben.pk, group_id=group.id)

    # The group and its pot stay, with the money in it.
    group.refresh_from_db()
    assert group.created_by_id == ana.pk
    assert models.Account.objects.get(pk=group.pot_id).balance == 200
    assert not models.GroupMember.objects.current().exists()
    assert failed_checks() == []


def test_any_member_adds_a_former_member_back_on_the_same_row(group, ana, ben):
    cai = saver("cai@example.com")
    services.member_add(
        holder_id=ana.pk, group_id=group.id, email="cai@example.com"
    )
    first = group.members.get(holder=ben)
    services.member_leave(holder_id=ben.pk, group_id=group.id)

    back = services.member_add(
        holder_id=cai.pk, group_id=group.id, email="BEN@example.com"
    )

    assert back.pk == first.pk
    assert (back.holder, back.group) == (ben, group)
    assert back.is_current
    # How Ben first joined stays: Ana added him, then.
    assert (back.joined_at, back.added_by_id) == (first.joined_at, ana.pk)
    assert group.members.filter(holder=ben).count() == 1
    assert contribute(ben, group, 100).transaction is not None
    # Back in: adding him again is refused, on the same row.
    with pytest.raises(errors.AlreadyMemberError):
        services.member_add(
            holder_id=ana.pk, group_id=group.id, email="ben@example.com"
        )
    assert group.members.filter(holder=ben).count() == 1


# --- contribution_apply -----------------------------------------------------


def test_a_contribution_moves_savings_into_the_pot_to_the_cent(group, ben):
    ben_main = wallet(ben)["main"]

    result = contribute(ben, group, 1_234, message="Beach fund!")

    assert not result.replayed
    header = result.transaction
    pot = models.Account.objects.get(pk=group.pot_id)
    assert result.body["transaction"] == {
        "id": str(header.id),
        "kind": "group_contribution",
        "amount": "12.34",
        "currency": "USD",
        "occurred_at": result.body["transaction"]["occurred_at"],
        "effective_at": result.body["transaction"]["occurred_at"],
        "description": "Beach fund!",
        "source": "",
        "category": None,
        "splits": [
            {"account_kind": "savings", "currency": "USD", "amount": "-12.34"}
        ],
        "plan": None,
        "counterparty_account": str(pot.id),
        "conversion": None,
        "group": {"id": str(group.id), "name": "Summer"},
        "reverses": None,
        "reversed_by": None,
    }
    assert result.body["balances"] == {"main": "50.00", "savings": "37.66"}
    shown = result.body["group"]
    assert (shown["total"], shown["progress_percent"]) == ("12.34", "10.28")
    assert [
        (m["email"], m["contributed"], m["contributions"])
        for m in shown["members"]
    ] == [("ben@example.com", "12.34", 1), ("ana@example.com", "0.00", 0)]
    stored = models.Transaction.objects.get(pk=header.id)
    assert (stored.holder_id, stored.kind, stored.amount) == (
        ben.pk,
        "group_contribution",
        1_234,
    )
    assert (stored.counterparty_account_id, stored.description) == (
        pot.id,
        "Beach fund!",
    )
    assert postings(header) == [
        ("savings", "USD", -1_234, 2, 3_766),
        ("pot", "USD", 1_234, 1, 1_234),
    ]
    assert (pot.balance, pot.last_sequence) == (1_234, 1)
    accounts = wallet(ben)
    assert (accounts["savings"].balance, accounts["savings"].last_sequence) == (
        3_766,
        2,
    )
    # Main is locked for the answer, never moved.
    assert (accounts["main"].balance, accounts["main"].last_sequence) == (
        ben_main.balance,
        ben_main.last_sequence,
    )
    constraints_check()
    assert failed_checks() == []


def test_the_pot_keeps_a_running_balance_across_members(group, ana, ben):
    for holder, amount in ((ana, 500), (ben, 1_000), (ana, 1)):
        contribute(holder, group, amount)

    entries = list(
        models.Entry.objects.filter(account_id=group.pot_id)
        .order_by("sequence")
        .values_list("sequence", "amount", "balance_after")
    )
    assert entries == [(1, 500, 500), (2, 1_000, 1_500), (3, 1, 1_501)]
    pot = models.Account.objects.get(pk=group.pot_id)
    assert (pot.balance, pot.last_sequence) == (1_501, 3)
    assert failed_checks() == []


def test_all_savings_can_be_contributed(group, ben):
    result = contribute(ben, group, 5_000)
    assert result.body["balances"]["savings"] == "0.00"


def test_the_plans_savings_hold_does_not_apply(group, ana):
    """The hold keeps savings from main; a contribution keeps them saved."""
    cai = saver("cai@example.com", savings_hold_days=30)
    services.member_add(
        holder_id=ana.pk, group_id=group.id, email="cai@example.com"
    )
    with pytest.raises(errors.SavingsLockedError):
        services.savings_release_apply(
            holder_id=cai.pk, amount=1, currency="USD"
        )

    result = contribute(cai, group, 5_000)

    assert result.body["balances"]["savings"] == "0.00"


def test_a_contribution_is_idempotent_with_a_key(group, ben, ana):
    first = contribute(ben, group, 700, idempotency_key="k1", request_hash="h1")
    contribute(ana, group, 300)

    again = contribute(ben, group, 700, idempotency_key="k1", request_hash="h1")

    assert again.replayed
    assert again.transaction is None
    # The stored answer: the group as it was right after that contribution.
    assert again.body == first.body
    assert again.body["group"]["total"] == "7.00"
    assert models.Transaction.objects.filter(holder=ben).count() == 2
    assert models.Account.objects.get(pk=group.pot_id).balance == 1_000
    with pytest.raises(store.KeyReusedError):
        contribute(ben, group, 701, idempotency_key="k1", request_hash="h2")


@pytest.mark.parametrize(
    "case",
    [
        (None, "eve", {}, errors.GroupNotFoundError),
        (None, "ben", {"group_id": uuid.uuid4()}, errors.GroupNotFoundError),
        (None, "ben", {"group_id": "nope"}, errors.GroupNotFoundError),
        (None, "ben", {"currency": "EUR"}, errors.CurrencyMismatchError),
        (None, "ben", {"amount": 4_901}, errors.InsufficientFundsError),
        (close_wallet, "ben", {}, errors.AccountClosedError),
        (close_holder, "ben", {}, errors.HolderClosedError),
    ],
    ids=[
        "not-a-member",
        "unknown-group",
        "malformed-id",
        "currency-mismatch",
        "insufficient-funds",
        "wallet-closed",
        "holder-closed",
    ],
)
def test_a_refused_contribution_changes_nothing(group, ben, case):
    setup, who, extra, error = case
    eve = saver("eve@example.com")  # 50.00 saved, not a member
    contribute(ben, group, 100)  # Ben has 49.00 saved now
    holder = {"ben": ben, "eve": eve}[who]
    if setup:
        setup(holder)
    before = ledger_state()

    with pytest.raises(error):
        services.contribution_apply(
            holder_id=holder.pk,
            group_id=extra.get("group_id", group.id),
            amount=extra.get("amount", 4_900),
            currency=extra.get("currency", "USD"),
            idempotency_key="refused",
            request_hash="refused",
        )

    assert ledger_state() == before


def test_a_member_without_a_wallet_in_the_currency_is_refused(ana, ben):
    group = services.group_create(
        holder=ana, name="Yen", target_amount=10_000, currency="JPY"
    )
    services.member_add(
        holder_id=ana.pk, group_id=group.id, email="ben@example.com"
    )
    before = ledger_state()

    with pytest.raises(errors.AccountNotOpenError):
        contribute(ben, group, 100)

    assert ledger_state() == before


# --- accounts_lock with a pot -----------------------------------------------


def test_the_lock_query_takes_the_pot_and_nothing_else(group, ben):
    locked = journal.accounts_lock(
        holder_id=ben.pk, currencies=("USD",), pot=group.pot_id
    )

    assert set(locked.by_id) == {
        *(account.id for account in wallet(ben).values()),
        group.pot_id,
    }
    assert locked.by_id[group.pot_id].kind == "pot"
    assert locked.closed_holders == set()
    assert locked.plan is not None  # the caller's, not the pot row's


@pytest.mark.parametrize("other", ["main", "world"])
def test_the_lock_query_takes_no_other_account_as_a_pot(group, ana, ben, other):
    not_a_pot = {
        "main": wallet(ana)["main"].id,
        "world": models.Account.system_id("world", "USD"),
    }[other]

    locked = journal.accounts_lock(
        holder_id=ben.pk, currencies=("USD",), pot=not_a_pot
    )

    assert not_a_pot not in locked.by_id
    assert len(locked.by_id) == 2
    del group
