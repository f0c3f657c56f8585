"""Savings groups: shown, never edited."""

from django.contrib import admin
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from accounting import models, selectors
from accounting.admin.columns import (
    ReadOnlyInline,
    admin_link,
    money_column,
)
from config import money
from config.admin import ReadOnlyModelAdmin


class GroupMemberInline(ReadOnlyInline):
    """A group's members with what each contributed (one query for all).

    Former members too, with when they left, whether they contributed or
    not: staff see every membership row.
    """

    model = models.GroupMember
    fields = [
        "holder",
        "added_by",
        "joined_at",
        "left_at",
        "contributed",
        "count",
    ]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Members with their holders and their contributions to the pot."""
        mine = (
            models.Transaction.objects.filter(
                kind=models.Transaction.Kind.GROUP_CONTRIBUTION,
                holder=OuterRef("holder"),
                counterparty_account=OuterRef("group__pot"),
            )
            .order_by()
            .values("holder")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("holder", "added_by", "group")
            .annotate(
                contributed_minor=Coalesce(
                    Subquery(mine.annotate(s=Sum("amount")).values("s")), 0
                ),
                contribution_count=Coalesce(
                    Subquery(mine.annotate(n=Count("id")).values("n")), 0
                ),
            )
            .order_by("-contributed_minor", "joined_at", "id")
        )

    @admin.display(description="contributed")
    def contributed(self, member: models.GroupMember) -> str:
        """The sum of the member's contributions, as money."""
        return money.format_money(
            member.contributed_minor, member.group.currency
        )

    @admin.display(description="contributions")
    def count(self, member: models.GroupMember) -> int:
        """How many contributions the member made."""
        return member.contribution_count


@admin.register(models.SavingsGroup)
class SavingsGroupAdmin(ReadOnlyModelAdmin):
    """Savings groups, read-only: members create and fill them in the app.

    The total is the pot's running balance; the pot's entries are the
    group's history, one link away.
    """

    list_display = [
        "name",
        "target",
        "total",
        "progress",
        "member_count",
        "created_by",
        "created_at",
    ]
    fields = [
        "id",
        "name",
        "currency",
        "target",
        "target_date",
        "total",
        "progress",
        "created_by",
        "created_at",
        "pot_link",
        "pot_entries",
    ]
    readonly_fields = fields
    list_filter = ["currency", "created_at"]
    search_fields = ["name", "id", "created_by__email"]
    list_select_related = ["pot", "created_by"]
    inlines = [GroupMemberInline]
    target = staticmethod(money_column("target_amount", "target"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Groups with their pots and how many members each has now."""
        return (
            super()
            .get_queryset(request)
            .select_related("pot", "created_by")
            .annotate(
                members_count=Count(
                    "members", filter=Q(members__left_at__isnull=True)
                )
            )
        )

    @admin.display(description="total", ordering="pot__balance")
    def total(self, group: models.SavingsGroup) -> str:
        """The money in the pot (its running balance)."""
        return money.format_money(group.pot.balance, group.currency)

    @admin.display(description="progress")
    def progress(self, group: models.SavingsGroup) -> str:
        """The total against the target, as the API shows it."""
        percent = selectors.groups.progress_percent(
            total=group.pot.balance, target=group.target_amount
        )
        return f"{percent}%"

    @admin.display(description="members", ordering="members_count")
    def member_count(self, group: models.SavingsGroup) -> int:
        """How many members the group has (former ones not counted)."""
        return group.members_count

    @admin.display(description="pot")
    def pot_link(self, group: models.SavingsGroup) -> str:
        """The pot's account page."""
        return admin_link(group.pot, str(group.pot_id))

    @admin.display(description="pot entries")
    def pot_entries(self, group: models.SavingsGroup) -> str:
        """The ledger entries of the pot: every contribution."""
        return admin_link(
            models.Entry,
            f"{group.pot.last_sequence} entries",
            f"account__id__exact={group.pot_id}",
        )
