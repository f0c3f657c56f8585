"""Holders: created by user events; staff only choose their plan."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounting import errors, models, services
from accounting.admin import exports
from accounting.admin.columns import (
    ReadOnlyInline,
    money_column,
    show_error,
)
from accounting.admin.freezes import freezes_column
from config.admin import ServiceModelAdmin
from config.exports import CsvExportMixin


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
class HolderAdmin(exports.StatementMixin, CsvExportMixin, ServiceModelAdmin):
    """Holders come from user events; staff choose plans, read statements."""

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
        "freezes",
    ]
    inlines = [AccountInline]
    export_columns = exports.HOLDER_COLUMNS

    @admin.display(description="freezes in force")
    def freezes(self, holder: models.Holder) -> str:
        """The holder's freezes that apply now, and a link to freeze."""
        return freezes_column(holder.pk)

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
