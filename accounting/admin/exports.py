"""Exports: lists as CSV, and holders' statements as CSV or PDF.

The lists' exports are ``config.exports``' (what the filters show,
streamed); this module says which columns each list exports. A holder's
statement is read by ``selectors.statement_get`` and laid out by
``accounting.documents``; its page is reached from the holder's page.
"""

import datetime as dt

from django import forms
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounting import documents, errors, models, selectors
from accounting.admin.columns import show_error
from config import exports, money
from config.exports import field, money_field


def _rate(lookup: str) -> exports.Column:
    """A column of a decimal rate as staff read it: ``0.92``."""

    def value(row: dict) -> str | None:
        rate = row[lookup]
        return None if rate is None else models.format_rate(rate)

    return exports.Column(lookup, value, (lookup,))


def _balance(row: dict) -> str | None:
    """A running balance; none for system accounts, which keep none.

    Their balance is a sum of all their entries (the account's page
    shows it), too costly to compute for every row of an export.
    """
    if row["holder_id"] is None and row["kind"] != models.Account.Kind.POT:
        return None
    return money.format_amount(row["balance"], row["currency"])


TRANSACTION_COLUMNS = [
    field("id"),
    field("holder__email", "holder_email"),
    field("holder_id", "holder_user_id"),
    field("kind"),
    money_field("amount"),
    field("currency"),
    field("occurred_at"),
    field("effective_at"),
    field("description"),
    field("source"),
    field("category"),
    field("counterparty_account_id", "counterparty_account"),
    field("related_id", "related"),
    money_field("to_amount", currency="to_currency"),
    field("to_currency"),
    _rate("fx_rate"),
    field("rate_id", "rate"),
    field("created_at"),
]

ENTRY_COLUMNS = [
    field("id"),
    field("transaction_id", "transaction"),
    field("transaction__kind", "kind"),
    field("account_id", "account"),
    field("account__kind", "account_kind"),
    field("account__holder__email", "holder_email"),
    money_field("amount"),
    field("currency"),
    field("sequence"),
    money_field("balance_after"),
    field("occurred_at"),
]

ACCOUNT_COLUMNS = [
    field("id"),
    field("holder__email", "holder_email"),
    field("holder_id", "holder_user_id"),
    field("kind"),
    field("currency"),
    exports.Column(
        "balance", _balance, ("holder_id", "kind", "balance", "currency")
    ),
    field("last_sequence"),
    field("created_at"),
    field("closed_at"),
]

HOLDER_COLUMNS = [
    field("user_id"),
    field("email"),
    field("first_name"),
    field("last_name"),
    field("plan__name", "plan"),
    field("plan_id"),
    field("plan_selected_at"),
    field("created_at"),
    field("closed_at"),
]

RATE_COLUMNS = [
    field("id"),
    field("base"),
    field("quote"),
    _rate("rate"),
    field("valid_from"),
    field("created_by"),
    field("created_at"),
]


class StatementForm(forms.Form):
    """A period of whole days (UTC), both days included, and a format."""

    date_from = forms.DateField(label="From", widget=AdminDateWidget)
    date_to = forms.DateField(
        label="To",
        widget=AdminDateWidget,
        help_text="Included: the statement ends at the next midnight (UTC).",
    )
    format = forms.ChoiceField(
        choices=[("pdf", "PDF"), ("csv", "CSV")], initial="pdf"
    )

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """The half-open period of the selector: ``[from, to + 1 day)``."""
        start = dt.datetime.combine(
            self.cleaned_data["date_from"], dt.time(), tzinfo=dt.UTC
        )
        end = dt.datetime.combine(
            self.cleaned_data["date_to"] + dt.timedelta(days=1),
            dt.time(),
            tzinfo=dt.UTC,
        )
        return start, end


class StatementMixin:
    """A holder's page links to a page making their statement."""

    change_form_template = "admin/tools/change_form.html"

    def get_urls(self) -> list:
        """The holder's URLs, and ``<holder>/statement/``."""
        statement = path(
            "<path:object_id>/statement/",
            self.admin_site.admin_view(self.statement_view),
            name="accounting_holder_statement",
        )
        return [statement, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        """The holder's page, with a "Statement" link."""
        url = reverse("admin:accounting_holder_statement", args=[object_id])
        tools = [("Statement", url)]
        context = {"extra_object_tools": tools, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def statement_view(
        self, request: HttpRequest, object_id: str
    ) -> HttpResponse:
        """The period's form; once filled in, the statement to download.

        Raises:
            Http404: No such holder.
            PermissionDenied: The user may not view holders.
        """
        holder = self.get_object(request, unquote(object_id))
        if holder is None:
            raise Http404
        if not self.has_view_or_change_permission(request, holder):
            raise PermissionDenied
        form = StatementForm(request.GET or None)
        if form.is_valid():
            start, end = form.period()
            try:
                statement = selectors.statement_get(
                    holder=holder, start=start, end=end
                )
            except errors.InvalidRangeError as error:
                show_error(form, error, field="date_to")
            else:
                return _statement_response(form, statement)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Statement of {holder.email}",
            "opts": self.model._meta,
            "original": holder,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/accounting/holder/statement.html", context
        )


def _statement_response(
    form: StatementForm, statement: selectors.Statement
) -> HttpResponse:
    """The statement as a download in the chosen format."""
    data = form.cleaned_data
    stem = (
        f"statement-{statement.holder.user_id}-"
        f"{data['date_from']:%Y%m%d}-{data['date_to']:%Y%m%d}"
    )
    if data["format"] == "csv":
        return exports.csv_response(
            documents.CSV_COLUMNS,
            documents.statement_rows(statement),
            f"{stem}.csv",
        )
    response = HttpResponse(
        documents.statement_pdf(statement), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
    return response
