"""The back office: staff manage plans and holders' plans here.

The admin is one more interface over the services: assigning a plan calls
``plan_assign`` and (de)activating plans calls ``plan_set_active``. Plans
are never deleted (transactions keep snapshots, holders keep choices). The
ledger (accounts, transactions, entries) is read-only here, as everywhere.
"""

import decimal
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounting import models, services
from config import money
from config.admin import ReadOnlyMixin, ReadOnlyModelAdmin

admin.site.site_header = "Savings platform: accounting"
admin.site.site_title = "Accounting admin"
admin.site.index_title = "Plans, holders and the ledger"


def money_column(field: str, description: str) -> Callable[[Any], str]:
    """Returns an admin column showing a minor-unit field as money.

    The ledger stores integers in the currency's minor unit; staff read
    ``100.00`` (USD) or ``100`` (JPY), never ``10000``.

    Args:
        field: The model field holding minor units.
        description: The column heading.

    Returns:
        A display callable for ``list_display`` or ``readonly_fields``
        (wrap it in ``staticmethod`` as a class attribute).
    """

    @admin.display(description=description, ordering=field)
    def column(row: Any) -> str:
        minor = getattr(row, field)
        return (
            "-" if minor is None else money.format_amount(minor, row.currency)
        )

    return column


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """An inline that only shows rows."""

    extra = 0
    can_delete = False
    show_change_link = True


# --- Plans ------------------------------------------------------------------


class PlanForm(forms.ModelForm):
    """Edits a plan with one ``value``: a percent or a flat amount.

    A flat amount is entered in major units (``5.00``) and stored in minor
    units, checked against the currency's precision.
    """

    value = forms.DecimalField(
        max_digits=15,
        decimal_places=3,
        min_value=decimal.Decimal("0.001"),
        help_text="Percent (0-100, 2 decimals) or amount in the currency.",
    )
    currency = forms.ChoiceField(choices=[])

    class Meta:
        """The plan's editable fields; ``value`` replaces the raw ones."""

        model = models.Plan
        fields = ["name", "kind", "currency", "value", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [
            (code, code) for code in money.supported_currencies()
        ]
        if not self.instance._state.adding:
            self.initial["value"] = decimal.Decimal(self.instance.value)

    def clean(self) -> dict[str, Any]:
        """Turns ``value`` into ``percentage`` or ``flat_amount``."""
        data = super().clean()
        value, kind = data.get("value"), data.get("kind")
        currency = data.get("currency")
        if value is None or kind is None or currency is None:
            return data
        if kind == models.Plan.Kind.PERCENTAGE:
            if value > 100 or value != value.quantize(decimal.Decimal("0.01")):
                self.add_error(
                    "value", "A percentage is above 0, at most 100.00."
                )
                return data
            self.instance.percentage = value
            self.instance.flat_amount = None
        else:
            try:
                self.instance.flat_amount = money.to_minor(value, currency)
            except money.MoneyError as error:
                self.add_error("value", str(error))
                return data
            self.instance.percentage = None
        return data


@admin.register(models.Plan)
class PlanAdmin(admin.ModelAdmin):
    """Create, edit and (de)activate plans; never delete them."""

    form = PlanForm
    list_display = ["name", "kind", "value_display", "currency", "is_active"]
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
        """Refuses a plan change for a closed holder."""
        data = super().clean()
        if self.instance.is_closed:
            raise forms.ValidationError("This holder is closed.")
        return data


@admin.register(models.Holder)
class HolderAdmin(admin.ModelAdmin):
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


@admin.register(models.Account)
class AccountAdmin(ReadOnlyModelAdmin):
    """Customer and system accounts."""

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
        "balance_amount",
        "last_sequence",
        "created_at",
        "closed_at",
    ]
    readonly_fields = fields
    balance_amount = staticmethod(money_column("balance", "balance"))
    list_filter = ["kind", "currency", "created_at"]
    search_fields = ["holder__email", "id"]
    list_select_related = ["holder"]


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


@admin.register(models.Transaction)
class TransactionAdmin(ReadOnlyModelAdmin):
    """Journal headers with their entries."""

    list_display = [
        "id",
        "holder",
        "kind",
        "transaction_amount",
        "currency",
        "occurred_at",
    ]
    fields = [
        "id",
        "holder",
        "kind",
        "transaction_amount",
        "currency",
        "occurred_at",
        "description",
        "source",
        "category",
        "plan_snapshot",
        "created_at",
    ]
    readonly_fields = fields
    transaction_amount = staticmethod(money_column("amount", "amount"))
    list_filter = ["kind", "currency", "occurred_at"]
    search_fields = ["holder__email", "id"]
    list_select_related = ["holder"]
    date_hierarchy = "occurred_at"
    inlines = [EntryInline]


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
