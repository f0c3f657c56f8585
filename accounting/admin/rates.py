"""FX rates: published through ``rate_create``, never edited."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.http import HttpRequest

from accounting import errors, models, services
from accounting.admin import exports
from accounting.admin.columns import (
    show_error,
)
from config import money
from config.admin import ServiceModelAdmin
from config.exports import CsvExportMixin


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
class RateAdmin(CsvExportMixin, ServiceModelAdmin):
    """Rates with their history: added, never changed or deleted."""

    form = RateForm
    list_display = ["base", "quote", "rate_value", "valid_from", "created_by"]
    list_filter = ["base", "quote"]
    date_hierarchy = "valid_from"
    ordering = ["base", "quote", "-valid_from"]
    export_columns = exports.RATE_COLUMNS

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
