"""Reads of savings groups: leaderboards, progress, and contributions."""

import decimal
import uuid

import pytest

from accounting import errors, selectors, services
from accounting.selectors import groups
from accounting.tests import factories

pytestmark = pytest.mark.django_db


def saver(email):
    """A holder with 50.00 USD in savings."""
    holder = factories.HolderFactory(email=email)
    services.plan_assign(
        holder=holder,
        plan=factories.PlanFactory(percentage=decimal.Decimal("50")),
    )
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    return holder


@pytest.fixture
def trio():
    return tuple(saver(f"{n}@example.com") for n in ("ana", "ben", "cai"))


def group_of(creator, *members, name="Summer", target=12_000):
    group = services.group_create(
        holder=creator, name=name, target_amount=target, currency="USD"
    )
    for member in members:
        services.member_add(
            holder_id=creator.pk, group_id=group.id, email=member.email
        )
    return group


def contribute(holder, group, amount, message=""):
    return services.contribution_apply(
        holder_id=holder.pk,
        group_id=group.id,
        amount=amount,
        currency="USD",
        message=message,
    )


def board(standing):
    return [
        (s.member.holder.email, s.contributed, s.contributions)
        for s in standing.members
    ]


@pytest.mark.parametrize(
    ("total", "target", "percent"),
    [
        (0, 12_000, "0.00"),
        (4_500, 12_000, "37.50"),
        (1, 3, "33.33"),
        (2, 3, "66.66"),  # rounded down, never up
        (9_999, 10_000, "99.99"),
        (10_000, 10_000, "100.00"),
        (3_000, 2_500, "120.00"),
        (1, 1_000_000, "0.00"),
        (10**17, 1, "10000000000000000000.00"),
    ],
)
def test_progress_is_rounded_down_to_hundredths(total, target, percent):
    assert groups.progress_percent(total=total, target=target) == percent


def test_the_leaderboard_ranks_by_contributions_then_joining(trio):
    ana, ben, cai = trio
    group = group_of(ana, ben, cai)
    contribute(cai, group, 1_500)
    contribute(ben, group, 500)
    contribute(ben, group, 1_000)  # ties with Cai: Ben joined first
    contribute(cai, group, 1)

    standing = selectors.group_get(holder=ben, group_id=str(group.id))

    assert board(standing) == [
        ("cai@example.com", 1_501, 2),
        ("ben@example.com", 1_500, 2),
        ("ana@example.com", 0, 0),
    ]
    assert standing.total == 3_001
    data = selectors.group_data(standing)
    assert (data["total"], data["progress_percent"]) == ("30.01", "25.00")
    assert [m["contributed"] for m in data["members"]] == [
        "15.01",
        "15.00",
        "0.00",
    ]


def test_members_who_gave_nothing_keep_their_joining_order(trio):
    ana, ben, cai = trio
    group = group_of(ana, cai, ben)

    standing = selectors.group_get(holder=ana, group_id=group.id)

    assert [row[0] for row in board(standing)] == [
        "ana@example.com",
        "cai@example.com",
        "ben@example.com",
    ]


def test_contributions_to_other_groups_do_not_count(trio):
    ana, ben, cai = trio
    summer = group_of(ana, ben)
    winter = group_of(ben, cai, name="Winter")
    contribute(ben, winter, 2_000)
    contribute(ben, summer, 300)

    assert board(selectors.group_get(holder=ana, group_id=summer.id)) == [
        ("ben@example.com", 300, 1),
        ("ana@example.com", 0, 0),
    ]
    assert board(selectors.group_get(holder=cai, group_id=winter.id)) == [
        ("ben@example.com", 2_000, 1),
        ("cai@example.com", 0, 0),
    ]


def leave(holder, group):
    return services.member_leave(holder_id=holder.pk, group_id=group.id)


def test_a_former_member_who_contributed_stays_on_the_leaderboard(trio):
    ana, ben, cai = trio
    group = group_of(ana, ben, cai)
    contribute(ben, group, 700)
    contribute(cai, group, 300)
    contribute(ana, group, 50)
    left = leave(ben, group)

    standing = selectors.group_get(holder=ana, group_id=group.id)

    assert board(standing) == [
        ("ben@example.com", 700, 1),
        ("cai@example.com", 300, 1),
        ("ana@example.com", 50, 1),
    ]
    assert sum(s.contributed for s in standing.members) == standing.total
    rows = selectors.group_data(standing)["members"]
    assert [row["left_at"] for row in rows] == [
        left.left_at.isoformat().replace("+00:00", "Z"),
        None,
        None,
    ]
    assert selectors.group_data(standing)["total"] == "10.50"


def test_a_former_member_who_gave_nothing_is_not_listed(trio):
    ana, ben, cai = trio
    group = group_of(ana, ben, cai)
    contribute(ana, group, 100)
    leave(cai, group)

    standing = selectors.group_get(holder=ben, group_id=group.id)

    assert board(standing) == [
        ("ana@example.com", 100, 1),
        ("ben@example.com", 0, 0),
    ]
    assert sum(s.contributed for s in standing.members) == standing.total


def test_a_member_added_back_is_current_with_what_they_gave(trio):
    ana, ben, cai = trio
    group = group_of(ana, ben, cai)
    contribute(ben, group, 400)
    leave(ben, group)
    contribute(cai, group, 100)
    back = services.member_add(
        holder_id=cai.pk, group_id=group.id, email=ben.email
    )
    contribute(ben, group, 5)

    standing = selectors.member_standing(back)
    data = selectors.group_data(
        selectors.group_get(holder=ben, group_id=group.id)
    )

    assert (standing.contributed, standing.contributions) == (405, 2)
    assert standing.member.is_current
    assert [
        (m["email"], m["contributed"], m["left_at"]) for m in data["members"]
    ] == [
        ("ben@example.com", "4.05", None),
        ("cai@example.com", "1.00", None),
        ("ana@example.com", "0.00", None),
    ]


def test_a_former_member_no_longer_sees_the_group(trio):
    ana, ben, cai = trio
    group = group_of(ana, ben)
    other = group_of(ben, cai, name="Other")
    contribute(ben, group, 100)
    leave(ben, group)

    assert [s.group.id for s in selectors.groups_list(holder=ben)] == [other.id]
    with pytest.raises(errors.GroupNotFoundError):
        selectors.group_get(holder=ben, group_id=group.id)
    with pytest.raises(errors.GroupNotFoundError):
        selectors.membership_of(holder_id=ben.pk, group_id=group.id)
    assert [s.group.id for s in selectors.groups_list(holder=ana)] == [group.id]


def test_a_holder_lists_their_groups_newest_first(trio):
    ana, ben, cai = trio
    first = group_of(ana, ben, name="First")
    group_of(cai, name="Not Ana's")
    second = group_of(ben, ana, name="Second")

    listed = selectors.groups_list(holder=ana)

    assert [s.group.id for s in listed] == [second.id, first.id]
    assert selectors.groups_list(holder=cai)[0].group.name == "Not Ana's"


def test_the_list_costs_three_queries_however_many_groups(
    trio, django_assert_num_queries
):
    ana, ben, cai = trio
    for index in range(4):
        group = group_of(ana, ben, cai, name=f"G{index}")
        contribute(ben, group, 100 + index)
        contribute(cai, group, 1)

    with django_assert_num_queries(3):
        listed = [
            selectors.group_data(s) for s in selectors.groups_list(holder=ana)
        ]

    assert [g["total"] for g in listed] == ["1.04", "1.03", "1.02", "1.01"]


def test_no_groups_costs_one_query(trio, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.groups_list(holder=trio[0]) == []


@pytest.mark.parametrize("which", ["stranger's", "unknown", "malformed"])
def test_a_group_is_unknown_to_anyone_but_its_members(trio, which):
    ana, ben, cai = trio
    group = group_of(ana, ben)
    group_id = {
        "stranger's": group.id,
        "unknown": uuid.uuid4(),
        "malformed": "12345",
    }[which]

    with pytest.raises(errors.GroupNotFoundError):
        selectors.group_get(holder=cai, group_id=group_id)


# --- Contributions in the transaction history -------------------------------


def test_a_contribution_names_its_group_in_the_history(trio):
    ana, ben, _ = trio
    group = group_of(ana, ben)
    made = contribute(ben, group, 250, message="For the boat")

    page = selectors.transactions_page(holder=ben)
    latest, credit = (selectors.transaction_data(t) for t in page.results)
    found = selectors.transaction_data(
        selectors.transaction_get(
            holder=ben, transaction_id=str(made.transaction.id)
        )
    )

    assert latest == found == made.body["transaction"]
    assert latest["group"] == {"id": str(group.id), "name": "Summer"}
    assert latest["counterparty_account"] == str(group.pot_id)
    assert latest["description"] == "For the boat"
    assert credit["group"] is None


def test_the_history_reads_groups_without_a_query_per_row(
    trio, django_assert_num_queries
):
    ana, ben, cai = trio
    summer, winter = group_of(ana, ben), group_of(ben, cai, name="Winter")
    for index in range(6):
        contribute(ben, (summer, winter)[index % 2], 10 + index)
    recipient = factories.HolderFactory()
    services.transfer_apply(
        holder_id=ben.pk,
        to_account=recipient.accounts.get(kind="main").pk,
        amount=5,
        currency="USD",
    )

    with django_assert_num_queries(2):  # the page, then its splits
        page = selectors.transactions_page(holder=ben)
        documents = [selectors.transaction_data(t) for t in page.results]

    assert [d["group"] and d["group"]["name"] for d in documents] == [
        None,  # the transfer
        "Winter",
        "Summer",
        "Winter",
        "Summer",
        "Winter",
        "Summer",
        None,  # the credit
    ]
