"""Reads of savings groups: a member's groups, totals and leaderboards.

Everything a group shows comes from the ledger: its ``total`` is its pot's
running balance (a projection of the pot's entries, like a customer
balance) and each member's ``contributed`` is the sum of their
``group_contribution`` transactions into the pot, one aggregate query for
every group on a page. A group is visible to its current members only;
to anyone else, a member who left included, it does not exist
(``group_not_found``), so ids cannot be probed.

The leaderboard lists every current member and every former member who
contributed (their row says ``left_at``): their money is still in the pot,
so the rows always add up to the total. A former member who gave nothing
is not listed: nothing of theirs is in the group, and they chose to go.
"""

import dataclasses
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet, Sum

from accounting import errors, models, wire


def memberships_of(
    *, holder_id: uuid.UUID, group_id: uuid.UUID | str
) -> QuerySet[models.GroupMember]:
    """Returns the query of a holder's current membership of a group.

    A former member is no member: the group is unknown to them, as to
    anyone else. Services that write on the strength of a membership lock
    this query's row (selectors never lock).

    Args:
        holder_id: The caller.
        group_id: The group id as given (anything but a UUID is unknown).

    Returns:
        At most one membership, with its group and the group's pot.

    Raises:
        GroupNotFoundError: The id is not a UUID.
    """
    try:
        pk = uuid.UUID(str(group_id))
    except ValueError as error:
        raise errors.GroupNotFoundError() from error
    return (
        models.GroupMember.objects.current()
        .filter(group_id=pk, holder_id=holder_id)
        .select_related("group__pot")
    )


def membership_of(
    *, holder_id: uuid.UUID, group_id: uuid.UUID | str
) -> models.GroupMember:
    """Returns a holder's current membership of a group, with the group.

    Args:
        holder_id: The caller.
        group_id: The group id as given.

    Returns:
        The membership, with its group and the group's pot.

    Raises:
        GroupNotFoundError: Unknown, or the holder is not a member.
    """
    member = memberships_of(holder_id=holder_id, group_id=group_id).first()
    if member is None:
        raise errors.GroupNotFoundError()
    return member


def group_of_member(
    *, holder_id: uuid.UUID, group_id: uuid.UUID | str
) -> models.SavingsGroup:
    """Returns a group the holder is a member of, with its pot.

    Args:
        holder_id: The caller.
        group_id: The group id as given (anything but a UUID is unknown).

    Returns:
        The group.

    Raises:
        GroupNotFoundError: Unknown, or the holder is not a member.
    """
    return membership_of(holder_id=holder_id, group_id=group_id).group


def progress_percent(*, total: int, target: int) -> str:
    """Returns ``total`` as a percentage of ``target``, rounded down.

    Two decimals, never rounded up, so that ``"100.00"`` means the target
    is reached; beyond it the percentage keeps growing (``"120.00"``).
    Exact integer arithmetic on minor units.

    Args:
        total: The amount saved, minor units, >= 0.
        target: The target, minor units, > 0.

    Returns:
        Such as ``"37.50"``.
    """
    hundredths = total * 10_000 // target
    return f"{hundredths // 100}.{hundredths % 100:02d}"


@dataclasses.dataclass(frozen=True)
class Standing:
    """A member's place on a group's leaderboard.

    Attributes:
        member: The membership, with its holder.
        contributed: The sum of their contributions, minor units.
        contributions: How many contributions they made.
    """

    member: models.GroupMember
    contributed: int
    contributions: int


@dataclasses.dataclass(frozen=True)
class GroupStanding:
    """A group with its total and its leaderboard.

    Attributes:
        group: The group, with its pot.
        members: Current members and former members who contributed,
            most contributed first, then by joining.
    """

    group: models.SavingsGroup
    members: list[Standing]

    @property
    def total(self) -> int:
        """The money in the pot, minor units."""
        return self.group.pot.balance


def group_standings(groups: list[models.SavingsGroup]) -> list[GroupStanding]:
    """Returns groups with their leaderboards, in two queries.

    The groups are given, with their pots; one query reads their members
    with their holders, one aggregate query sums each member's
    contributions per pot. Empty in, nothing read.

    Args:
        groups: The groups, in the order wanted.

    Returns:
        Their standings, in the same order.
    """
    if not groups:
        return []
    # Former members too: those who contributed keep their row, so the
    # rows still add up to the total.
    members = models.GroupMember.objects.filter(
        group__in=groups
    ).select_related("holder")
    sums = (
        models.Transaction.objects.filter(
            kind=models.Transaction.Kind.GROUP_CONTRIBUTION,
            counterparty_account_id__in=[group.pot_id for group in groups],
        )
        .values("counterparty_account_id", "holder_id")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by()
    )
    contributed = {
        (row["counterparty_account_id"], row["holder_id"]): (
            row["total"],
            row["count"],
        )
        for row in sums
    }
    boards: dict[uuid.UUID, list[Standing]] = {g.id: [] for g in groups}
    pots = {group.id: group.pot_id for group in groups}
    for member in members:
        total, count = contributed.get(
            (pots[member.group_id], member.holder_id), (0, 0)
        )
        if member.is_current or count:
            boards[member.group_id].append(Standing(member, total, count))
    for board in boards.values():
        board.sort(
            key=lambda s: (-s.contributed, s.member.joined_at, s.member.id)
        )
    return [GroupStanding(group, boards[group.id]) for group in groups]


def groups_list(*, holder: models.Holder) -> list[GroupStanding]:
    """Returns the groups a holder is a member of, newest first.

    Args:
        holder: The caller.

    Returns:
        Each group with its total and leaderboard (three queries in all).
    """
    current = models.GroupMember.objects.current().filter(holder=holder)
    groups = list(
        models.SavingsGroup.objects.filter(pk__in=current.values("group_id"))
        .select_related("pot")
        .order_by("-created_at", "id")
    )
    return group_standings(groups)


def group_get(
    *, holder: models.Holder, group_id: uuid.UUID | str
) -> GroupStanding:
    """Returns one of a holder's groups with its total and leaderboard.

    Args:
        holder: The caller.
        group_id: The group id as given.

    Returns:
        The group's standing.

    Raises:
        GroupNotFoundError: Unknown, malformed, or not the holder's.
    """
    group = group_of_member(holder_id=holder.pk, group_id=group_id)
    return group_standings([group])[0]


def member_standing(member: models.GroupMember) -> Standing:
    """Returns a member's row of their group's leaderboard (two queries).

    Args:
        member: A current membership, with its group.

    Returns:
        What they contributed, the same as the group's leaderboard says.
    """
    [standing] = group_standings([member.group])
    return next(s for s in standing.members if s.member.pk == member.pk)


def members_data(
    standings: Iterable[Standing], currency: str
) -> list[dict[str, Any]]:
    """Returns a leaderboard's wire rows, in order."""
    return [
        wire.member_data(
            s.member,
            currency=currency,
            contributed=s.contributed,
            contributions=s.contributions,
        )
        for s in standings
    ]


def group_data(standing: GroupStanding) -> dict[str, Any]:
    """Returns the wire form of a group read by this module."""
    group = standing.group
    return wire.group_data(
        group,
        total=standing.total,
        progress_percent=progress_percent(
            total=standing.total, target=group.target_amount
        ),
        members=members_data(standing.members, group.currency),
    )
