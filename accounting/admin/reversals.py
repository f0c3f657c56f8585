"""Reversals in the admin: a Reverse page on a transaction, and the reasons.

A transaction's page offers "Reverse…" to staff with the
``accounting.reverse_transaction`` permission, on a credit, withdrawal,
transfer or conversion not yet reversed. The Reverse page shows exactly
what the reversal will post and asks why; the one call that moves money
is :meth:`TransactionReversalMixin.reversal_apply`, so that an approval
step can stand in front of it. The service's refusals (funds, a reversal
made meanwhile) come back on the form.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http import HttpResponseRedirect as Redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounting import errors, models, selectors, services
from accounting.admin.columns import admin_link, show_error, staff_of
from config import audit, bounds
from config.admin import ReadOnlyModelAdmin

PERMISSION = "accounting.reverse_transaction"


class ReversalForm(forms.Form):
    """Why: required, kept with the reversal, never shown to the holder."""

    reason = forms.CharField(
        max_length=bounds.REVERSAL_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept with the reversal for staff; the holder sees the "
        "reversal, not the reason.",
    )


def _change_url(transaction: models.Transaction) -> str:
    return reverse("admin:accounting_transaction_change", args=[transaction.pk])


class TransactionReversalMixin:
    """The Reverse page of the transaction admin, and what it shows."""

    def get_urls(self) -> list:
        """Adds ``<id>/reverse/`` before the admin's own URLs."""
        return [
            path(
                "<path:object_id>/reverse/",
                self.admin_site.admin_view(self.reverse_view),
                name="accounting_transaction_reverse",
            ),
            *super().get_urls(),
        ]

    def has_reverse_permission(self, request: HttpRequest) -> bool:
        """Reversing moves money: its own permission, not every staff's."""
        return request.user.has_perm(PERMISSION)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The page, with "Reverse…" when this staff member may use it."""
        found = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if (
            found is not None
            and found.kind in selectors.REVERSIBLE_KINDS
            and self.has_reverse_permission(request)
            and not _reversed(found)
        ):
            context["reverse_url"] = reverse(
                "admin:accounting_transaction_reverse", args=[found.pk]
            )
        return super().change_view(request, object_id, form_url, context)

    @admin.display(description="reversal")
    def reversal_info(self, transaction: models.Transaction) -> str:
        """What reverses it, or what it reverses, with why and who."""
        if transaction.kind == models.Transaction.Kind.REVERSAL:
            original = transaction.reverses
            link = admin_link(original, str(original))
            return format_html(
                "Reverses {}{}",
                link,
                _why(selectors.reversal_movement(original)),
            )
        reversal = _reversed(transaction)
        if reversal is None:
            return "-"
        return format_html(
            "Reversed by {}{}",
            admin_link(reversal, str(reversal.pk)),
            _why(selectors.reversal_movement(transaction)),
        )

    def reverse_view(
        self, request: HttpRequest, object_id: str
    ) -> HttpResponse:
        """Shows what a reversal would post; reverses on a valid reason."""
        original = self.get_object(request, unquote(object_id))
        if original is None:
            raise Http404("No such transaction.")
        if not self.has_reverse_permission(request):
            raise PermissionDenied
        try:
            movement = selectors.reversal_movement(original)
        except errors.TransactionNotReversibleError as error:
            self.message_user(request, error.detail, messages.ERROR)
            return Redirect(_change_url(original))
        form = ReversalForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = self.reversal_apply(
                    request,
                    original=original,
                    reason=form.cleaned_data["reason"],
                )
            except errors.AccountingError as error:
                show_error(form, error, "reason")
            else:
                return self._reversed_answer(request, result)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Reverse {original}",
            "original": original,
            "preview": selectors.reversal_preview(original),
            "preview_headers": len(movement),
            "form": form,
        }
        return TemplateResponse(
            request, "admin/accounting/transaction/reverse.html", context
        )

    @transaction.atomic
    def reversal_apply(
        self,
        request: HttpRequest,
        *,
        original: models.Transaction,
        reason: str,
    ) -> models.StaffRequest | dict[str, Any]:
        """The one place the admin reverses: at once, or asked for.

        Above the four-eyes limit the reversal waits for another staff
        member (``reversal_submit``); either way it is in the audit trail.
        """
        done = services.reversal_submit(
            original=original, reason=reason, staff=staff_of(request)
        )
        asked = isinstance(done, models.StaffRequest)
        audit.staff_action_record(
            request=request,
            action="request_reversal" if asked else "reverse",
            obj=done if asked else original,
            before=None if asked else audit.snapshot(original),
            after=audit.snapshot(done) if asked else done,
            reason=reason,
        )
        return done

    def _reversed_answer(
        self, request: HttpRequest, done: models.StaffRequest | dict[str, Any]
    ) -> HttpResponse:
        """Tells what was written, found or asked for, and shows it."""
        if isinstance(done, models.StaffRequest):
            self.message_user(
                request,
                "The amount is more than one staff member may reverse "
                f"alone: asked for approval by another ({done}).",
                messages.WARNING,
            )
            return Redirect(
                reverse("admin:accounting_staffrequest_change", args=[done.pk])
            )
        headers = sorted(
            models.Transaction.objects.filter(pk__in=done["reversals"]),
            key=lambda header: done["reversals"].index(str(header.pk)),
        )
        links = format_html_join(
            ", ", "{}", ((admin_link(h, str(h.pk)),) for h in headers)
        )
        if done["created"]:
            text = format_html("Reversed: {}.", links)
        else:
            text = format_html(
                "Already reversed, for the same reason: {}.", links
            )
        self.message_user(request, text, messages.SUCCESS)
        return Redirect(_change_url(headers[0]))


def _reversed(transaction: models.Transaction) -> models.Transaction | None:
    """Returns the reversal of a header, if any."""
    return models.Transaction.objects.filter(reverses=transaction).first()


def _why(movement: list[models.Transaction]) -> str:
    """Returns ": <reason> (<staff>, <instant>)" of a reversed movement."""
    record = models.Reversal.objects.filter(original=movement[0]).first()
    if record is None:
        return ""
    return format_html(
        ": {} ({}, {} UTC)",
        record.reason,
        record.created_by,
        f"{record.created_at:%Y-%m-%d %H:%M:%S}",
    )


@admin.register(models.Reversal)
class ReversalAdmin(ReadOnlyModelAdmin):
    """Why each movement was reversed, and by whom (never edited)."""

    list_display = ["original", "reason", "created_by", "created_at"]
    fields = list_display
    readonly_fields = fields
    list_filter = ["created_at"]
    search_fields = ["reason", "created_by", "original__holder__email"]
    list_select_related = ["original"]
