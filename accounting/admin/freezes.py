"""Freezes: made and lifted through the services, never edited or deleted.

Staff freeze a wallet or a whole holder from the add form (often reached
from the holder's or the account's page, which prefill it) and lift a
freeze from its page, with a reason. Each of the two writes has one call
site here (``save_model`` and :meth:`FreezeAdmin.lift`), so that what
must come before it (an approval, an audit record) has one place to go.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from accounting import errors, models, selectors, services
from accounting.admin.columns import admin_link, show_error, staff_of
from config import audit, money
from config.admin import ServiceModelAdmin


def freezes_column(holder_id: Any, currency: str = "") -> str:
    """Lists the freezes in force on a holder (or a wallet), with a link.

    The link opens the freeze form prefilled for that holder (and wallet).
    """
    query = {"holder": holder_id}
    if currency:
        query["currency"] = currency
    add = format_html(
        '<a href="{}?{}">{}</a>',
        reverse("admin:accounting_freeze_add"),
        urlencode(query),
        f"Freeze this {'wallet' if currency else 'holder'}",
    )
    listed = format_html_join(
        "",
        "<li>{}</li>",
        (
            (admin_link(freeze, _freeze_summary(freeze)),)
            for freeze in selectors.freezes_in_force(
                holder_id=holder_id, currency=currency
            )
        ),
    )
    if not listed:
        return format_html("None. {}", add)
    return format_html("<ul>{}</ul>{}", listed, add)


def _freeze_summary(freeze: models.Freeze) -> str:
    """``USD, debit-only (no money out), until ...: reason``."""
    until = freeze.expires_at.isoformat() if freeze.expires_at else "lifted"
    return (
        f"{freeze.currency or 'every wallet'}: {freeze.get_mode_display()}, "
        f"until {until} ({freeze.reason})"
    )


class FreezeStateFilter(admin.SimpleListFilter):
    """Freezes in force, expired by themselves, or lifted by staff."""

    title = "state"
    parameter_name = "state"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        """The three states."""
        del request, model_admin
        return [
            ("active", "Active"),
            ("expired", "Expired"),
            ("lifted", "Lifted"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Filters on ``lifted_at`` and ``expires_at`` against now."""
        del request
        now = timezone.now()
        unlifted = queryset.filter(lifted_at__isnull=True)
        if self.value() == "active":
            return unlifted.filter(
                Q(expires_at__isnull=True) | Q(expires_at__gt=now)
            )
        if self.value() == "expired":
            return unlifted.filter(expires_at__lte=now)
        if self.value() == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


class FreezeForm(forms.ModelForm):
    """Freezes a wallet, or every wallet when no currency is chosen.

    The form only parses; ``freeze_validate`` refuses (no reason, an
    expiry not in the future, a wallet the holder lacks) and its error is
    shown on its field.
    """

    SERVICE_FIELDS = ("holder", "currency", "mode", "reason", "expires_at")

    currency = forms.ChoiceField(
        choices=[],
        required=False,
        help_text="The wallet to freeze; every wallet: the holder's "
        "present and future wallets.",
    )
    expires_at = forms.SplitDateTimeField(
        required=False,
        widget=AdminSplitDateTime,
        help_text="When it ends by itself; blank: until lifted.",
    )

    class Meta:
        """What staff enter; who and when are the service's."""

        model = models.Freeze
        fields = ["holder", "currency", "mode", "reason", "expires_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [
            ("", "Every wallet"),
            *((code, code) for code in money.supported_currencies()),
        ]
        # Model validation compares the expiry with the creation, which
        # the service stamps; this is near enough for the form's check.
        self.instance.created_at = timezone.now()

    def service_arguments(self) -> dict[str, Any]:
        """The arguments of ``freeze_validate`` and ``freeze_create``."""
        return {name: self.cleaned_data[name] for name in self.SERVICE_FIELDS}

    def clean(self) -> dict[str, Any]:
        """Shows the rule the freeze breaks, once every field parsed."""
        data = super().clean()
        if all(name in data for name in self.SERVICE_FIELDS):
            try:
                services.freeze_validate(**self.service_arguments())
            except errors.FreezeInvalidError as error:
                show_error(self, error)
            except errors.AccountNotOpenError as error:
                show_error(self, error, field="currency")
        return data


class LiftForm(forms.Form):
    """Why the freeze is lifted (kept with it)."""

    lift_reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=models.Freeze._meta.get_field("lift_reason").max_length,
    )


@admin.register(models.Freeze)
class FreezeAdmin(ServiceModelAdmin):
    """Freezes with their history: made, lifted, never edited or deleted."""

    form = FreezeForm
    list_display = [
        "holder",
        "wallet",
        "mode",
        "state",
        "created_at",
        "created_by",
        "expires_at",
        "lifted_at",
    ]
    list_filter = [FreezeStateFilter, "mode", "currency", "created_at"]
    search_fields = ["holder__email", "reason"]
    list_select_related = ["holder"]
    autocomplete_fields = ["holder"]
    change_form_template = "admin/accounting/freeze/change_form.html"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """The form when adding; the whole record when viewing."""
        del request
        fields = ["holder", "currency", "mode", "reason", "expires_at"]
        if obj is None:
            return fields
        return [
            *fields,
            "created_by",
            "created_at",
            "lifted_at",
            "lifted_by",
            "lift_reason",
        ]

    def has_change_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """A freeze is history: it is lifted, never edited."""
        del request, obj
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Freezes are kept, lifted ones too."""
        del request, obj
        return False

    def has_lift_permission(self, request: HttpRequest) -> bool:
        """Lifting needs the change permission on freezes."""
        return request.user.has_perm("accounting.change_freeze")

    @admin.display(description="wallet", ordering="currency")
    def wallet(self, freeze: models.Freeze) -> str:
        """The currency, or every wallet."""
        return freeze.currency or "every wallet"

    @admin.display(description="state")
    def state(self, freeze: models.Freeze) -> str:
        """Active, expired or lifted, now."""
        return freeze.state(timezone.now())

    def save_model(
        self,
        request: HttpRequest,
        obj: models.Freeze,
        form: FreezeForm,
        change: bool,
    ) -> None:
        """Freezes through the service, or asks for it above the limit."""
        del change
        done = services.freeze_submit(
            **form.service_arguments(), staff=staff_of(request)
        )
        if isinstance(done, models.StaffRequest):
            request.staff_request = done
            return
        freeze = models.Freeze.objects.get(pk=done["freeze"])
        # The admin logs and links the object it passed in: make it the
        # saved freeze.
        obj.pk, obj.created_by = freeze.pk, freeze.created_by
        obj.created_at, obj.reason = freeze.created_at, freeze.reason
        obj._state.adding, obj._state.db = False, freeze._state.db

    def log_addition(
        self, request: HttpRequest, obj: models.Freeze, message: Any
    ) -> Any:
        """The freeze's records, or, when only asked for, the request's."""
        asked = getattr(request, "staff_request", None)
        if asked is None:
            return super().log_addition(request, obj, message)
        return audit.staff_action_record(
            request=request,
            action="request_freeze",
            obj=asked,
            before=None,
            after=audit.snapshot(asked),
            reason=asked.reason,
        )

    def response_add(
        self, request: HttpRequest, obj: models.Freeze, *args: Any
    ) -> HttpResponse:
        """To the freeze, or to the request another staff must approve."""
        asked = getattr(request, "staff_request", None)
        if asked is None:
            return super().response_add(request, obj, *args)
        self.message_user(
            request,
            f"The wallets hold more than one staff member may freeze alone: "
            f"asked for approval by another ({asked}).",
            messages.WARNING,
        )
        return redirect(
            reverse("admin:accounting_staffrequest_change", args=[asked.pk])
        )

    @transaction.atomic
    def lift(
        self, request: HttpRequest, freeze: models.Freeze, reason: str
    ) -> models.Freeze:
        """Lifts a freeze through the service, recorded: the one place."""
        before = audit.snapshot(freeze)
        lifted = services.freeze_lift(
            freeze=freeze, reason=reason, lifted_by=staff_of(request).email
        )
        audit.staff_action_record(
            request=request,
            action="lift",
            obj=lifted,
            before=before,
            after=audit.snapshot(audit.fresh(lifted)),
            reason=reason,
        )
        return lifted

    def get_urls(self) -> list:
        """Adds ``<id>/lift/``."""
        return [
            path(
                "<path:object_id>/lift/",
                self.admin_site.admin_view(self.lift_view),
                name="accounting_freeze_lift",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The record, with a Lift button while it is not lifted."""
        freeze = self.get_object(request, object_id)
        can_lift = (
            freeze is not None
            and freeze.lifted_at is None
            and self.has_lift_permission(request)
        )
        return super().change_view(
            request,
            object_id,
            form_url,
            {**(extra_context or {}), "can_lift": can_lift},
        )

    def lift_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Asks why, then lifts the freeze; a lifted one is shown as is."""
        freeze = self.get_object(request, object_id)
        if freeze is None:
            raise Http404
        if not self.has_lift_permission(request):
            raise PermissionDenied
        change_url = reverse("admin:accounting_freeze_change", args=[freeze.pk])
        if freeze.lifted_at is not None:
            self.message_user(request, "This freeze is lifted already.")
            return redirect(change_url)
        form = LiftForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                self.lift(request, freeze, form.cleaned_data["lift_reason"])
            except errors.FreezeInvalidError as error:
                show_error(form, error)
            else:
                self.message_user(
                    request, f"Freeze lifted: {freeze}.", messages.SUCCESS
                )
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Lift a freeze",
            "freeze": freeze,
            "summary": _freeze_summary(freeze),
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(
            request, "admin/accounting/freeze/lift.html", context
        )
