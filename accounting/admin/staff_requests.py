"""Four eyes: requests above the limit, approved or rejected by another.

A request's page shows what was asked, by whom and why; staff with the
``decide_staffrequest`` permission other than the asker approve it (the
action runs then) or reject it, with a note. Requests are never edited or
deleted; each decision is in the audit trail as well.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from accounting import errors, models, services
from accounting.admin.columns import money_column, staff_of
from config import audit
from config.admin import REASON_MAX_LENGTH, ReadOnlyModelAdmin


class DecisionForm(forms.Form):
    """Approve or reject, with an optional note (a rejection says why)."""

    decision = forms.ChoiceField(choices=[("approve", ""), ("reject", "")])
    note = forms.CharField(
        required=False, max_length=REASON_MAX_LENGTH, strip=True
    )

    def clean(self) -> dict[str, Any]:
        """A rejection needs a note: the asker should learn why."""
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("note"):
            self.add_error("note", "Say why the request is rejected.")
        return data


@admin.register(models.StaffRequest)
class StaffRequestAdmin(ReadOnlyModelAdmin):
    """Requests waiting for a second staff member, and those decided."""

    change_form_template = "admin/accounting/staffrequest/change_form.html"
    list_display = [
        "requested_at",
        "kind",
        "summary",
        "request_amount",
        "status",
        "requested_by",
        "decided_by",
    ]
    list_filter = ["status", "kind", "currency", "requested_at"]
    search_fields = ["summary", "target", "requested_by", "decided_by"]
    fields = [
        "kind",
        "status",
        "summary",
        "target",
        "request_amount",
        "reason",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "params",
        "outcome",
    ]
    readonly_fields = fields
    request_amount = staticmethod(money_column("amount", "amount"))

    def get_urls(self) -> list[URLPattern]:
        """Adds the decision's URL to the admin's own."""
        decide = self.admin_site.admin_view(require_POST(self.decide_view))
        return [
            path(
                "<uuid:object_id>/decide/",
                decide,
                name="accounting_staffrequest_decide",
            ),
            *super().get_urls(),
        ]

    def has_decide_permission(self, request: HttpRequest) -> bool:
        """Deciding needs its own permission."""
        return request.user.has_perm("accounting.decide_staffrequest")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The request, with the decision's form for whoever may decide."""
        extra_context = {
            **(extra_context or {}),
            "can_decide": self.has_decide_permission(request),
            "decision_form": DecisionForm(),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Approves or rejects the request, and records who did."""
        if not self.has_decide_permission(request):
            raise PermissionDenied
        staff_request = get_object_or_404(models.StaffRequest, pk=object_id)
        page = reverse(
            "admin:accounting_staffrequest_change", args=[staff_request.pk]
        )
        form = DecisionForm(request.POST)
        if not form.is_valid():
            for field_errors in form.errors.values():
                self.message_user(request, field_errors[0], messages.ERROR)
            return HttpResponseRedirect(page)
        approve = form.cleaned_data["decision"] == "approve"
        note = form.cleaned_data["note"]
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                before = audit.snapshot(staff_request)
                decide = (
                    services.staff_request_approve
                    if approve
                    else services.staff_request_reject
                )
                decided = decide(
                    staff_request=staff_request,
                    staff=staff_of(request),
                    note=note,
                )
                audit.staff_action_record(
                    request=request,
                    action="approve" if approve else "reject",
                    obj=decided,
                    before=before,
                    after=audit.snapshot(decided),
                    reason=note,
                )
        except errors.AccountingError as error:
            self.message_user(request, error.detail, messages.ERROR)
            return HttpResponseRedirect(page)
        self.message_user(request, *_outcome_message(decided))
        return HttpResponseRedirect(page)


def _outcome_message(decided: models.StaffRequest) -> tuple[str, int]:
    """What staff are told once they decided."""
    if decided.status == models.StaffRequest.Status.DONE:
        return f"Approved and done: {decided}.", messages.SUCCESS
    if decided.status == models.StaffRequest.Status.FAILED:
        detail = decided.outcome["detail"]
        return f"Approved, but the ledger refused: {detail}", messages.ERROR
    return f"Rejected: {decided}.", messages.SUCCESS
