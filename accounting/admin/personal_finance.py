"""Suggested expense categories and holders' goals."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounting import errors, models, services
from accounting.admin.columns import (
    money_column,
)
from config.admin import ReadOnlyModelAdmin, ServiceModelAdmin


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
