"""Columns, links and inlines shared by the accounting admin's pages."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounting import errors, services
from config import money
from config.admin import ReadOnlyMixin


def money_column(
    field: str, description: str, currency_field: str = "currency"
) -> Callable[[Any], str]:
    """Returns an admin column showing a minor-unit field as money.

    The ledger stores integers in the currency's minor unit; staff read
    ``100.00 USD`` or ``100 JPY``, never ``10000``.

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
        return "-" if minor is None else money.format_money(minor, currency)

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


def staff_of(request: HttpRequest) -> services.Staff:
    """The staff member acting in this request."""
    user = request.user
    return services.Staff(
        id=str(user.pk), email=user.email or user.get_username()
    )
