"""Reads of savings groups: a member's groups, totals and leaderboards.

Everything a group shows comes from the ledger: its ``total`` is its pot's
running balance (a projection of the pot's entries, like a customer
balance) and each member's ``contributed`` is the sum of their
``group_contribution`` transactions into the pot, one aggregate query for
every group on a page. A group is visible to its members only; to anyone
else it does not exist (``group_not_found``), so ids cannot be probed.
"""

import dataclasses
import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Sum

from accounting import errors, models, wire


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
    try:
        pk = uuid.UUID(str(group_id))
    except ValueError as error:
        raise errors.GroupNotFoundError() from error
    group = (
        models.SavingsGroup.objects.filter(pk=pk, members__holder_id=holder_id)
        .select_related("pot")
        .first()
    )
    if group is None:
        raise errors.GroupNotFoundError()
    return group


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
        members: Every member, most contributed first, then by joining.
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
    groups = list(
        models.SavingsGroup.objects.filter(members__holder=holder)
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
