"""The back office: plans, holders' plans, FX rates and wallets.

The admin is one more interface over the services: saving a plan calls
``plan_save``, assigning a plan ``plan_assign``, (de)activating plans
``plan_set_active``, publishing a rate ``rate_create`` and closing wallets
``account_close``. Forms only parse: the services' rules refuse, and a
form shows their errors on its fields. Plans are never
deleted (transactions keep snapshots, holders keep choices), rates are
never edited or deleted (conversions point at the rate they used). The
ledger (accounts, transactions, entries) is read-only here, as everywhere.
Suggested expense categories are saved through ``category_save``; holders'
goals are shown, never edited. Partners' API keys are issued through
``key_issue`` (shown once) and revoked through ``key_revoke``; their
credit batches are shown, never edited. Webhook endpoints are shown and
removed (``endpoint_remove``); their deliveries are shown with every try
and sent again (``delivery_resend``).
"""

import decimal
import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounting import errors, models, selectors, services
from config import money
from config.admin import ReadOnlyMixin, ReadOnlyModelAdmin, ServiceModelAdmin
from config.request_rates import parse_rate

# The service's name in the branding (templates/admin/base_site.html).
admin.site.site_header = "accounting"
admin.site.index_title = "Plans, holders, rates and the ledger"


def money_column(
    field: str, description: str, currency_field: str = "currency"
) -> Callable[[Any], str]:
    """Returns an admin column showing a minor-unit field as money.

    The ledger stores integers in the currency's minor unit; staff read
    ``100.00`` (USD) or ``100`` (JPY), never ``10000``.

    Args:
        field: The model field holding minor units.
        description: The column heading.
        currency_field: The field naming the amount's currency.

    Returns:
        A display callable for ``list_display`` or ``readonly_fields``
        (wrap it in ``staticmethod`` as a class attribute).
    """

    @admin.display(description=description, ordering=field)
    def column(row: Any) -> str:
        minor = getattr(row, field)
        currency = getattr(row, currency_field)
        return "-" if minor is None else money.format_amount(minor, currency)

    return column


def admin_link(obj: Any, text: str, query: str = "") -> str:
    """Returns a link to an object's admin page.

    Args:
        obj: The object; with ``query``, a model (its list is linked).
        text: The link's text (escaped).
        query: A list filter such as ``account__id__exact=...``.

    Returns:
        The ``<a>`` element, safe to show.
    """
    meta = obj._meta
    if query:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        return format_html('<a href="{}?{}">{}</a>', url, query, text)
    url = reverse(
        f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]
    )
    return format_html('<a href="{}">{}</a>', url, text)


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """An inline that only shows rows."""

    extra = 0
    can_delete = False
    show_change_link = True


# --- Plans ------------------------------------------------------------------


def show_error(
    form: forms.BaseForm,
    error: errors.AccountingError,
    field: str | None = None,
) -> None:
    """Shows a service's error on a form.

    On the field the error names (a :class:`errors.FieldInvalidError`),
    else on ``field``, else on the whole form.
    """
    field = getattr(error, "field", field)
    form.add_error(field if field in form.fields else None, error.detail)


class PlanForm(forms.ModelForm):
    """Edits a plan with one ``value``: a percent or a flat amount.

    The form only parses what staff type (a flat amount in major units,
    ``5.00``); the rules are ``plan_validate``'s, shown on their fields,
    and saving is ``plan_save``'s (:class:`PlanAdmin`).
    """

    SERVICE_FIELDS = (
        "name",
        "kind",
        "currency",
        "value",
        "savings_hold_days",
        "description",
    )

    value = forms.DecimalField(
        help_text="Percent (0-100, 2 decimals) or amount in the currency.",
    )
    currency = forms.ChoiceField(choices=[])

    class Meta:
        """The plan's editable fields; ``value`` replaces the raw ones."""

        model = models.Plan
        fields = [
            "name",
            "kind",
            "currency",
            "value",
            "savings_hold_days",
            "description",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [
            (code, code) for code in money.supported_currencies()
        ]
        if not self.instance._state.adding:
            self.initial["value"] = decimal.Decimal(self.instance.value)

    def service_arguments(self) -> dict[str, Any]:
        """The arguments of ``plan_validate`` and ``plan_save``."""
        return {name: self.cleaned_data[name] for name in self.SERVICE_FIELDS}

    def clean(self) -> dict[str, Any]:
        """Shows the first rule the plan breaks, once every field parsed."""
        data = super().clean()
        if all(name in data for name in self.SERVICE_FIELDS):
            try:
                services.plan_validate(**self.service_arguments())
            except errors.PlanInvalidError as error:
                show_error(self, error)
        return data


@admin.register(models.Plan)
class PlanAdmin(ServiceModelAdmin):
    """Create, edit and (de)activate plans; never delete them."""

    form = PlanForm
    list_display = [
        "name",
        "kind",
        "value_display",
        "currency",
        "savings_hold_days",
        "is_active",
    ]
    list_filter = ["is_active", "kind", "currency"]
    search_fields = ["name"]
    readonly_fields = ["is_active", "created_at", "updated_at"]
    actions = ["deactivate", "activate"]

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Plans are deactivated, never deleted."""
        del request, obj
        return False

    @admin.display(description="Value")
    def value_display(self, plan: models.Plan) -> str:
        """Shows ``12.50%`` or ``5.00 USD``."""
        return plan.value_display

    def save_model(
        self,
        request: HttpRequest,
        obj: models.Plan,
        form: PlanForm,
        change: bool,
    ) -> None:
        """Creates or changes the plan through ``plan_save``."""
        del request, change
        services.plan_save(plan=obj, **form.service_arguments())

    def _set_active(
        self, request: HttpRequest, plans: QuerySet, *, is_active: bool
    ) -> None:
        """Calls the service for each selected plan."""
        for plan in plans:
            services.plan_set_active(plan=plan, is_active=is_active)
        state = "active" if is_active else "inactive"
        self.message_user(
            request, f"{len(plans)} plan(s) now {state}.", messages.SUCCESS
        )

    @admin.action(description="Deactivate selected plans")
    def deactivate(self, request: HttpRequest, plans: QuerySet) -> None:
        """Stops offering the plans (holders keep theirs)."""
        self._set_active(request, plans, is_active=False)

    @admin.action(description="Activate selected plans")
    def activate(self, request: HttpRequest, plans: QuerySet) -> None:
        """Offers the plans again."""
        self._set_active(request, plans, is_active=True)


# --- Rates ------------------------------------------------------------------


class RateForm(forms.ModelForm):
    """Publishes a rate: a pair, a rate, and from when it applies.

    The form only parses; ``rate_validate`` refuses (one currency twice, a
    rate out of range, a start at or before the pair's latest conversion)
    and its error is shown on its field. Left blank, ``valid_from`` is the
    moment of publishing.
    """

    SERVICE_FIELDS = ("base", "quote", "rate", "valid_from")

    base = forms.ChoiceField(choices=[], help_text="The currency sold.")
    quote = forms.ChoiceField(choices=[], help_text="The currency bought.")
    rate = forms.DecimalField(
        help_text="Units of quote one unit of base buys, such as 0.92.",
    )
    valid_from = forms.SplitDateTimeField(
        required=False,
        widget=AdminSplitDateTime,
        help_text="When conversions start using it; blank: now.",
    )

    class Meta:
        """What staff enter; ``created_by`` is the signed-in user."""

        model = models.Rate
        fields = ["base", "quote", "rate", "valid_from"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(code, code) for code in money.supported_currencies()]
        self.fields["base"].choices = choices
        self.fields["quote"].choices = choices

    def service_arguments(self) -> dict[str, Any]:
        """The arguments of ``rate_validate`` and ``rate_create``."""
        return {name: self.cleaned_data[name] for name in self.SERVICE_FIELDS}

    def clean(self) -> dict[str, Any]:
        """Shows the rule the rate breaks, once every field parsed.

        The check holds the pair until the admin's transaction ends, so
        the rate is published against the journal as checked here.
        """
        data = super().clean()
        if all(name in data for name in self.SERVICE_FIELDS):
            try:
                services.rate_validate(**self.service_arguments())
            except errors.SameCurrencyError as error:
                show_error(self, error, field="quote")
            except errors.RateBackdatedError as error:
                show_error(self, error, field="valid_from")
            except errors.RateInvalidError as error:
                show_error(self, error)
        return data


@admin.register(models.Rate)
class RateAdmin(ServiceModelAdmin):
    """Rates with their history: added, never changed or deleted."""

    form = RateForm
    list_display = ["base", "quote", "rate_value", "valid_from", "created_by"]
    list_filter = ["base", "quote"]
    date_hierarchy = "valid_from"
    ordering = ["base", "quote", "-valid_from"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """The form when adding; the whole record when viewing."""
        del request
        fields = ["base", "quote", "rate", "valid_from"]
        return fields if obj is None else [*fields, "created_by", "created_at"]

    def has_change_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Rates are history: a correction is a newer rate."""
        del request, obj
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Conversions point at the rate they used: rates are kept."""
        del request, obj
        return False

    @admin.display(description="rate", ordering="rate")
    def rate_value(self, rate: models.Rate) -> str:
        """Shows ``0.92`` rather than ``0.9200000000``."""
        return rate.rate_display

    def save_model(
        self,
        request: HttpRequest,
        obj: models.Rate,
        form: RateForm,
        change: bool,
    ) -> None:
        """Publishes the rate through the service, signed by the user."""
        del change
        user = request.user
        rate = services.rate_create(
            **form.service_arguments(),
            created_by=user.email or user.get_username(),
        )
        # The admin logs and links the object it passed in: make it the
        # saved rate.
        obj.pk, obj.created_by = rate.pk, rate.created_by
        obj.created_at = rate.created_at
        obj._state.adding, obj._state.db = False, rate._state.db


# --- Holders ----------------------------------------------------------------


class AccountInline(ReadOnlyInline):
    """A holder's accounts."""

    model = models.Account
    fields = [
        "kind",
        "currency",
        "balance_amount",
        "last_sequence",
        "closed_at",
    ]
    readonly_fields = fields
    balance_amount = staticmethod(money_column("balance", "balance"))


class HolderForm(forms.ModelForm):
    """Only the plan is editable: active plans, or none."""

    class Meta:
        """The one editable field."""

        model = models.Holder
        fields = ["plan"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = models.Plan.objects.filter(
            is_active=True
        )

    def clean(self) -> dict[str, Any]:
        """Shows why ``plan_assign`` would refuse: a closed holder."""
        data = super().clean()
        try:
            services.check_holder_open(self.instance)
        except errors.HolderClosedError as error:
            show_error(self, error)
        return data


@admin.register(models.Holder)
class HolderAdmin(ServiceModelAdmin):
    """Holders come from user events; staff only choose their plan."""

    form = HolderForm
    list_display = ["email", "first_name", "last_name", "plan", "closed_at"]
    list_filter = ["plan", ("closed_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    list_select_related = ["plan"]
    readonly_fields = [
        "user_id",
        "email",
        "first_name",
        "last_name",
        "version",
        "plan_selected_at",
        "created_at",
        "updated_at",
        "closed_at",
    ]
    inlines = [AccountInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Holders are created by user events only."""
        del request
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Holders are closed by user events, never deleted."""
        del request, obj
        return False

    def save_model(
        self,
        request: HttpRequest,
        obj: models.Holder,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        """Assigns the chosen plan through the service."""
        del request, change
        services.plan_assign(holder=obj, plan=form.cleaned_data["plan"])


# --- The ledger (read-only) -------------------------------------------------


class ClosedListFilter(admin.SimpleListFilter):
    """Open or closed accounts."""

    title = "closed"
    parameter_name = "closed"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        """Yes or no."""
        del request, model_admin
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Filters on ``closed_at``."""
        del request
        if self.value() in {"yes", "no"}:
            return queryset.filter(closed_at__isnull=self.value() == "no")
        return queryset


@admin.register(models.Account)
class AccountAdmin(ReadOnlyModelAdmin):
    """Customer and system accounts; staff can close customer wallets."""

    list_display = [
        "id",
        "holder",
        "kind",
        "currency",
        "balance_amount",
        "closed_at",
    ]
    fields = [
        "id",
        "holder",
        "kind",
        "currency",
        "balance_now",
        "last_sequence",
        "created_at",
        "closed_at",
    ]
    readonly_fields = fields
    list_filter = ["kind", "currency", ClosedListFilter, "created_at"]
    search_fields = ["holder__email", "id"]
    list_select_related = ["holder"]
    actions = ["close_wallets"]

    @admin.display(description="balance", ordering="balance")
    def balance_amount(self, account: models.Account) -> str:
        """A running balance (customers, pots); system balances are derived.

        A system account keeps no running balance (no hot row), and summing
        its entries for every row of a list would cost a scan each, so the
        list points to the account's page, which shows the sum. A group's
        pot has no holder either, but keeps a running balance.
        """
        if account.holder_id is None and account.kind != account.Kind.POT:
            return "derived (open the account)"
        return money.format_amount(account.balance, account.currency)

    @admin.display(description="balance")
    def balance_now(self, account: models.Account) -> str:
        """The balance now: stored for customers, summed for system."""
        balance = selectors.account_balance(account=account)
        return money.format_amount(balance, account.currency)

    def has_close_permission(self, request: HttpRequest) -> bool:
        """Closing needs the change permission on accounts."""
        return request.user.has_perm("accounting.change_account")

    @admin.action(
        description="Close the selected wallets",
        permissions=["close"],
    )
    def close_wallets(self, request: HttpRequest, accounts: QuerySet) -> None:
        """Closes each selected account's wallet (main and savings).

        Through ``account_close``, as deleting a user does. System accounts
        never close: the service refuses them and they are skipped.
        """
        wallets, skipped = set(), 0
        for account in accounts:
            wallet = (account.holder_id, account.currency)
            if wallet in wallets:
                continue
            try:
                services.account_close(account=account)
            except errors.AccountNotFoundError:
                skipped += 1
                continue
            wallets.add(wallet)
        if wallets:
            self.message_user(
                request,
                f"{len(wallets)} wallet(s) closed (main and savings).",
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"{skipped} system account(s) skipped: they never close.",
                messages.WARNING,
            )


class EntryMoneyColumns:
    """An entry's amount and running balance, shown as money."""

    entry_amount = staticmethod(money_column("amount", "amount"))
    balance_after_amount = staticmethod(
        money_column("balance_after", "balance after")
    )


class EntryInline(EntryMoneyColumns, ReadOnlyInline):
    """A transaction's postings."""

    model = models.Entry
    fields = [
        "account",
        "entry_amount",
        "currency",
        "sequence",
        "balance_after_amount",
    ]
    readonly_fields = fields


class TransactionCurrencyFilter(admin.SimpleListFilter):
    """A currency: a conversion is in both of its currencies."""

    title = "currency"
    parameter_name = "currency"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        """The supported currencies."""
        del request, model_admin
        return [(code, code) for code in money.supported_currencies()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Transactions in the currency, or converted into it."""
        del request
        if self.value():
            return queryset.filter(
                Q(currency=self.value()) | Q(to_currency=self.value())
            )
        return queryset


@admin.register(models.Transaction)
class TransactionAdmin(ReadOnlyModelAdmin):
    """Journal headers with their entries; search by holder email or id."""

    list_display = [
        "id",
        "holder",
        "kind",
        "transaction_amount",
        "currency",
        "occurred_at",
        "effective_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "holder",
                    "kind",
                    "transaction_amount",
                    "currency",
                    "occurred_at",
                    "effective_at",
                    "description",
                    "source",
                    "category",
                    "plan_snapshot",
                    "created_at",
                ]
            },
        ),
        (
            "Transfer or group contribution",
            {"fields": ["counterparty_account", "related", "group"]},
        ),
        (
            "Conversion",
            {
                "fields": [
                    "to_amount_money",
                    "to_currency",
                    "fx_rate_value",
                    "rate",
                ]
            },
        ),
    ]
    readonly_fields = [
        field for _, options in fieldsets for field in options["fields"]
    ]
    transaction_amount = staticmethod(money_column("amount", "amount"))
    to_amount_money = staticmethod(
        money_column("to_amount", "to amount", currency_field="to_currency")
    )
    list_filter = ["kind", TransactionCurrencyFilter, "occurred_at"]
    search_fields = ["holder__email", "holder__user_id", "id"]
    list_select_related = ["holder"]
    date_hierarchy = "occurred_at"
    inlines = [EntryInline]

    @admin.display(description="fx rate")
    def fx_rate_value(self, transaction: models.Transaction) -> str:
        """The rate a conversion applied: ``0.92``, not ``0.9200000000``."""
        rate = transaction.fx_rate
        return "-" if rate is None else models.format_rate(rate)

    @admin.display(description="group")
    def group(self, transaction: models.Transaction) -> str:
        """A contribution's group (whose pot is the counterparty), linked."""
        if transaction.kind != models.Transaction.Kind.GROUP_CONTRIBUTION:
            return "-"
        group = models.SavingsGroup.objects.get(
            pot_id=transaction.counterparty_account_id
        )
        return admin_link(group, group.name)


@admin.register(models.Entry)
class EntryAdmin(EntryMoneyColumns, ReadOnlyModelAdmin):
    """Postings."""

    list_display = [
        "id",
        "transaction",
        "account",
        "entry_amount",
        "currency",
        "sequence",
        "balance_after_amount",
        "occurred_at",
    ]
    fields = [
        "id",
        "transaction",
        "account",
        "entry_amount",
        "currency",
        "sequence",
        "balance_after_amount",
        "occurred_at",
    ]
    readonly_fields = fields
    list_filter = ["currency", "account__kind", "occurred_at"]
    list_select_related = ["transaction", "account__holder"]


# --- Personal finance -------------------------------------------------------


class CategoryForm(forms.ModelForm):
    """A suggested category: its name is checked as it will be stored.

    ``category_validate`` judges the name normalised, so "Eating  Out" is
    refused when "eating out" exists (one category, one spelling), and so
    are names blank or too long once normalised; the form shows its error.
    """

    name = forms.CharField(
        help_text="Stored in lower case with single spaces, like the "
        "categories clients give withdrawals."
    )

    class Meta:
        """What staff edit."""

        model = models.Category
        fields = ["name", "is_active"]

    def clean_name(self) -> str:
        """Returns the name as ``category_save`` will store it."""
        try:
            return services.category_validate(
                category=self.instance, name=self.cleaned_data["name"]
            )
        except errors.CategoryInvalidError as error:
            raise forms.ValidationError(error.detail) from error


@admin.register(models.Category)
class CategoryAdmin(ServiceModelAdmin):
    """Add, rename and (de)activate suggested categories; never delete.

    Withdrawals keep their category as text, so renaming or deactivating
    a suggestion changes no history; a deactivated one is no longer
    offered to clients.
    """

    form = CategoryForm
    list_display = ["name", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Categories are deactivated, never deleted."""
        del request, obj
        return False

    def save_model(
        self,
        request: HttpRequest,
        obj: models.Category,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        """Saves through the service (which the signal follows to the cache)."""
        del request, change
        services.category_save(
            category=obj,
            name=form.cleaned_data["name"],
            is_active=form.cleaned_data["is_active"],
        )


@admin.register(models.Goal)
class GoalAdmin(ReadOnlyModelAdmin):
    """Holders' savings goals, read-only: holders set them in the app."""

    list_display = [
        "name",
        "holder",
        "target",
        "currency",
        "target_date",
        "created_at",
    ]
    fields = [
        "id",
        "holder",
        "name",
        "target",
        "currency",
        "target_date",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    list_filter = ["currency"]
    search_fields = ["holder__email", "name"]
    list_select_related = ["holder"]
    ordering = ["holder__email", "currency", "target_date"]
    target = staticmethod(money_column("target_amount", "target"))


# --- Savings groups (read-only) ---------------------------------------------


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
        return money.format_amount(
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
        "currency",
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
        return money.format_amount(group.pot.balance, group.currency)

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


# --- Partners ---------------------------------------------------------------


class PartnerKeyInline(ReadOnlyInline):
    """A partner's keys, live and revoked."""

    model = models.PartnerKey
    fields = ["prefix", "name", "scopes", "last_used_at", "revoked_at"]
    readonly_fields = fields


@admin.register(models.Partner)
class PartnerAdmin(admin.ModelAdmin):
    """Employers and payroll providers; their keys are issued below."""

    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [PartnerKeyInline]

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """A partner stays: its batches and keys point at it."""
        del request, obj
        return False


def _rate_limit_check(text: str) -> str:
    """Returns a key's rate as the gateway will read it, or refuses it."""
    if text:
        try:
            parse_rate(text)
        except ImproperlyConfigured as error:
            raise forms.ValidationError(
                'A rate is requests per period, such as "600/min" '
                "(s, min, hour, day)."
            ) from error
    return text


class PartnerKeyIssueForm(forms.ModelForm):
    """Issues a key: its partner, what it is for and what it may do."""

    scopes = forms.MultipleChoiceField(
        choices=models.PartnerKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        """The fields staff choose; the key itself is made by the service."""

        model = models.PartnerKey
        fields = ["partner", "name", "scopes", "rate_limit"]

    def clean_rate_limit(self) -> str:
        """Refuses a rate the gateway could not read."""
        return _rate_limit_check(self.cleaned_data["rate_limit"].strip())


@admin.register(models.PartnerKey)
class PartnerKeyAdmin(admin.ModelAdmin):
    """Partners' API keys: issued once, shown once, revoked, never edited.

    Issuing calls ``key_issue``: the key is shown in the confirmation
    message, once; only its hash is kept. A key is never edited (a new
    scope is a new key) nor deleted (its batches keep their author);
    revoking calls ``key_revoke``.
    """

    list_display = [
        "prefix",
        "name",
        "partner",
        "scopes",
        "rate_limit",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["partner", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "partner__name"]
    list_select_related = ["partner"]
    readonly_fields = [
        "partner",
        "name",
        "prefix",
        "scopes",
        "rate_limit",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke_keys"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, **kwargs: Any
    ) -> type[forms.ModelForm]:
        """The issuing form to add; nothing to edit afterwards."""
        if obj is None:
            kwargs["form"] = PartnerKeyIssueForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Any = None
    ) -> list[str]:
        """Every field once issued; none while issuing."""
        del request
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """The issuing form's fields, then the key as it stands."""
        if obj is None:
            return list(PartnerKeyIssueForm.Meta.fields)
        return self.readonly_fields

    def save_model(
        self,
        request: HttpRequest,
        obj: models.PartnerKey,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        """Issues the key through the service and shows it, once."""
        del obj, change
        data = form.cleaned_data
        key, raw_key = services.key_issue(
            partner=data["partner"],
            name=data["name"],
            scopes=data["scopes"],
            rate_limit=data["rate_limit"],
            created_by=request.user.get_username(),
        )
        form.instance = key
        self.message_user(
            request,
            f"The key of {key.partner.name} ({key.name}) is {raw_key} : copy "
            "it now, it will not be shown again.",
            messages.WARNING,
        )

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Keys are revoked, never deleted."""
        del request, obj
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking needs the change permission on keys."""
        return request.user.has_perm("accounting.change_partnerkey")

    @admin.action(
        description="Revoke the selected keys", permissions=["revoke"]
    )
    def revoke_keys(self, request: HttpRequest, keys: QuerySet) -> None:
        """Revokes each selected key: it authenticates nothing from now."""
        revoked = sum(
            services.key_revoke(key=key, revoked_by=request.user.get_username())
            for key in keys
        )
        self.message_user(
            request, f"{revoked} key(s) revoked.", messages.SUCCESS
        )


@admin.register(models.CreditBatch)
class CreditBatchAdmin(ReadOnlyModelAdmin):
    """Partners' batches and where each stands; items are listed apart."""

    list_display = [
        "id",
        "partner",
        "status",
        "items_total",
        "items_applied",
        "items_refused",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "partner", "created_at"]
    search_fields = ["=id", "idempotency_key", "partner__name"]
    list_select_related = ["partner"]
    fields = [
        "id",
        "partner",
        "key",
        "idempotency_key",
        "status",
        "items_total",
        "items_applied",
        "items_refused",
        "item_list",
        "attempts",
        "error_code",
        "error_detail",
        "created_at",
        "updated_at",
        "completed_at",
    ]
    readonly_fields = fields

    @admin.display(description="items")
    def item_list(self, batch: models.CreditBatch) -> str:
        """A link to the batch's items and their outcomes."""
        return admin_link(
            models.CreditBatchItem,
            f"{batch.items_total} item(s)",
            f"batch__id__exact={batch.id}",
        )


@admin.register(models.CreditBatchItem)
class CreditBatchItemAdmin(ReadOnlyModelAdmin):
    """Each item of each batch: what was asked, and what became of it."""

    list_display = [
        "batch",
        "position",
        "user",
        "item_amount",
        "currency",
        "reference",
        "status",
        "error_code",
        "transaction",
    ]
    list_filter = ["status", "error_code", "currency"]
    search_fields = ["reference", "user", "=batch__id"]
    fields = [
        "batch",
        "position",
        "user",
        "holder",
        "item_amount",
        "currency",
        "reference",
        "status",
        "transaction",
        "error_code",
        "error_detail",
    ]
    readonly_fields = fields
    item_amount = staticmethod(money_column("amount", "amount"))


# --- Webhooks ---------------------------------------------------------------


@admin.register(models.WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyModelAdmin):
    """Holders' and partners' endpoints; staff may remove one.

    The secret is never shown here: the account saw it when it was made.
    """

    list_display = ["url", "holder", "partner", "events", "created_at"]
    list_filter = [("removed_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["url", "holder__email", "partner__name", "=id"]
    list_select_related = ["holder", "partner"]
    fields = [
        "id",
        "url",
        "holder",
        "partner",
        "events",
        "created_at",
        "previous_secret_until",
        "removed_at",
        "delivery_log",
    ]
    readonly_fields = fields
    actions = ["remove_endpoints"]

    @admin.display(description="deliveries")
    def delivery_log(self, endpoint: models.WebhookEndpoint) -> str:
        """A link to the endpoint's deliveries."""
        return admin_link(
            models.WebhookDelivery,
            "delivery log",
            f"endpoint__id__exact={endpoint.id}",
        )

    def has_remove_permission(self, request: HttpRequest) -> bool:
        """Removing needs the change permission on endpoints."""
        return request.user.has_perm("accounting.change_webhookendpoint")

    @admin.action(
        description="Remove the selected endpoints", permissions=["remove"]
    )
    def remove_endpoints(
        self, request: HttpRequest, endpoints: QuerySet
    ) -> None:
        """Removes each endpoint through ``endpoint_remove``."""
        for endpoint in endpoints:
            services.endpoint_remove(endpoint=endpoint)
        self.message_user(
            request,
            f"{len(endpoints)} endpoint(s) removed.",
            messages.SUCCESS,
        )


class WebhookAttemptInline(ReadOnlyInline):
    """The tries of a delivery, as the receiver answered them."""

    model = models.WebhookAttempt
    fields = ["at", "status_code", "error", "duration_ms", "response_excerpt"]
    readonly_fields = fields
    show_change_link = False


@admin.register(models.WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyModelAdmin):
    """The delivery log: each event to each endpoint; staff may resend."""

    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "last_error", "created_at"]
    search_fields = ["=event__id", "endpoint__url", "=id"]
    list_select_related = ["event", "endpoint"]
    fields = [
        "id",
        "event",
        "event_body",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["resend_deliveries"]

    @admin.display(description="event body")
    def event_body(self, delivery: models.WebhookDelivery) -> str:
        """The event's document, as it is sent."""
        return format_html("<pre>{}</pre>", json.dumps(delivery.event.data))

    def has_resend_permission(self, request: HttpRequest) -> bool:
        """Resending needs the change permission on deliveries."""
        return request.user.has_perm("accounting.change_webhookdelivery")

    @admin.action(
        description="Send the selected deliveries again",
        permissions=["resend"],
    )
    def resend_deliveries(
        self, request: HttpRequest, deliveries: QuerySet
    ) -> None:
        """Makes each delivery due now, through ``delivery_resend``."""
        for delivery in deliveries:
            services.delivery_resend(delivery=delivery)
        self.message_user(
            request,
            f"{len(deliveries)} delivery(ies) to be sent again.",
            messages.SUCCESS,
        )
