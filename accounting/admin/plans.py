"""Plans: saved through ``plan_save``, never deleted."""

import decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounting import errors, models, services
from accounting.admin.columns import (
    show_error,
)
from config import money
from config.admin import ServiceModelAdmin, asks_confirmation


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
    @asks_confirmation
    def deactivate(self, request: HttpRequest, plans: QuerySet) -> None:
        """Stops offering the plans (holders keep theirs)."""
        self._set_active(request, plans, is_active=False)

    @admin.action(description="Activate selected plans")
    def activate(self, request: HttpRequest, plans: QuerySet) -> None:
        """Offers the plans again."""
        self._set_active(request, plans, is_active=True)
