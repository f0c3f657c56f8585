"""Partners, their API keys (issued and revoked) and credit batches."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import HttpRequest

from accounting import models, services
from accounting.admin.columns import (
    ReadOnlyInline,
    admin_link,
    money_column,
)
from config.admin import (
    AuditedAdminMixin,
    ReadOnlyModelAdmin,
    asks_confirmation,
)
from config.request_rates import parse_rate


class PartnerKeyInline(ReadOnlyInline):
    """A partner's keys, live and revoked."""

    model = models.PartnerKey
    fields = ["prefix", "name", "scopes", "last_used_at", "revoked_at"]
    readonly_fields = fields


@admin.register(models.Partner)
class PartnerAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Employers and payroll providers; their keys are issued below."""

    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [PartnerKeyInline]

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """A partner stays: its batches and keys point at it."""
        del request, obj
        return False


def _rate_limit_check(text: str) -> str:
    """Returns a key's rate as the gateway will read it, or refuses it."""
    if text:
        try:
            parse_rate(text)
        except ImproperlyConfigured as error:
            raise forms.ValidationError(
                'A rate is requests per period, such as "600/min" '
                "(s, min, hour, day)."
            ) from error
    return text


class PartnerKeyIssueForm(forms.ModelForm):
    """Issues a key: its partner, what it is for and what it may do."""

    scopes = forms.MultipleChoiceField(
        choices=models.PartnerKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        """The fields staff choose; the key itself is made by the service."""

        model = models.PartnerKey
        fields = ["partner", "name", "scopes", "rate_limit"]

    def clean_rate_limit(self) -> str:
        """Refuses a rate the gateway could not read."""
        return _rate_limit_check(self.cleaned_data["rate_limit"].strip())


@admin.register(models.PartnerKey)
class PartnerKeyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Partners' API keys: issued once, shown once, revoked, never edited.

    Issuing calls ``key_issue``: the key is shown in the confirmation
    message, once; only its hash is kept. A key is never edited (a new
    scope is a new key) nor deleted (its batches keep their author);
    revoking calls ``key_revoke``.
    """

    list_display = [
        "prefix",
        "name",
        "partner",
        "scopes",
        "rate_limit",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["partner", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "partner__name"]
    list_select_related = ["partner"]
    readonly_fields = [
        "partner",
        "name",
        "prefix",
        "scopes",
        "rate_limit",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke_keys"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, **kwargs: Any
    ) -> type[forms.ModelForm]:
        """The issuing form to add; nothing to edit afterwards."""
        if obj is None:
            kwargs["form"] = PartnerKeyIssueForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Any = None
    ) -> list[str]:
        """Every field once issued; none while issuing."""
        del request
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """The issuing form's fields, then the key as it stands."""
        if obj is None:
            return list(PartnerKeyIssueForm.Meta.fields)
        return self.readonly_fields

    def save_model(
        self,
        request: HttpRequest,
        obj: models.PartnerKey,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        """Issues the key through the service and shows it, once."""
        del obj, change
        data = form.cleaned_data
        key, raw_key = services.key_issue(
            partner=data["partner"],
            name=data["name"],
            scopes=data["scopes"],
            rate_limit=data["rate_limit"],
            created_by=request.user.get_username(),
        )
        form.instance = key
        self.message_user(
            request,
            f"The key of {key.partner.name} ({key.name}) is {raw_key} : copy "
            "it now, it will not be shown again.",
            messages.WARNING,
        )

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Keys are revoked, never deleted."""
        del request, obj
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking needs the change permission on keys."""
        return request.user.has_perm("accounting.change_partnerkey")

    @admin.action(
        description="Revoke the selected keys", permissions=["revoke"]
    )
    @asks_confirmation
    def revoke_keys(self, request: HttpRequest, keys: QuerySet) -> None:
        """Revokes each selected key: it authenticates nothing from now."""
        revoked = sum(
            services.key_revoke(key=key, revoked_by=request.user.get_username())
            for key in keys
        )
        self.message_user(
            request, f"{revoked} key(s) revoked.", messages.SUCCESS
        )


@admin.register(models.CreditBatch)
class CreditBatchAdmin(ReadOnlyModelAdmin):
    """Partners' batches and where each stands; items are listed apart."""

    list_display = [
        "id",
        "partner",
        "status",
        "items_total",
        "items_applied",
        "items_refused",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "partner", "created_at"]
    search_fields = ["=id", "idempotency_key", "partner__name"]
    list_select_related = ["partner"]
    fields = [
        "id",
        "partner",
        "key",
        "idempotency_key",
        "status",
        "items_total",
        "items_applied",
        "items_refused",
        "item_list",
        "attempts",
        "error_code",
        "error_detail",
        "created_at",
        "updated_at",
        "completed_at",
    ]
    readonly_fields = fields

    @admin.display(description="items")
    def item_list(self, batch: models.CreditBatch) -> str:
        """A link to the batch's items and their outcomes."""
        return admin_link(
            models.CreditBatchItem,
            f"{batch.items_total} item(s)",
            f"batch__id__exact={batch.id}",
        )


@admin.register(models.CreditBatchItem)
class CreditBatchItemAdmin(ReadOnlyModelAdmin):
    """Each item of each batch: what was asked, and what became of it."""

    list_display = [
        "batch",
        "position",
        "user",
        "item_amount",
        "reference",
        "status",
        "error_code",
        "transaction",
    ]
    list_filter = ["status", "error_code", "currency"]
    search_fields = ["reference", "user", "=batch__id"]
    fields = [
        "batch",
        "position",
        "user",
        "holder",
        "item_amount",
        "currency",
        "reference",
        "status",
        "transaction",
        "error_code",
        "error_detail",
    ]
    readonly_fields = fields
    item_amount = staticmethod(money_column("amount", "amount"))
