"""The staff admin of the users service.

One more interface over the services: creating, editing and deleting a user
here calls ``users.services`` exactly as the API does, so every change
writes its outbox event and reaches accounting; groups and permissions are
set through ``user_permissions_set``, and the forms show the services'
refusals (``user_email_check``). Deleting is a soft delete
(an action); the admin never removes a row. Deleted users are read-only.
The outbox is shown read-only, for operators watching a broker outage.

A user's page also shows their money, as accounting holds it: the holder
(plan, closed or not), each wallet's balances, the latest transactions,
with links into the accounting admin. It is read through accounting's
internal API (``users/clients.py``); when accounting cannot tell in time,
the page says so and still renders.
"""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils import dateparse

from config.admin import (
    AuditedAdminMixin,
    ReadOnlyModelAdmin,
    ServiceFormMixin,
    StaffActionAdmin,
    asks_confirmation,
    audit_staff_admins,
)
from users import clients, services
from users.errors import UsersError
from users.models import OutboxEvent, StaffAction, User

logger = logging.getLogger(__name__)

# The service's name in the branding (templates/admin/base_site.html);
# "View site" is the gateway's landing page, as in the accounting admin.
admin.site.site_header = "users"
admin.site.index_title = "Users and the outbox"
admin.site.site_url = settings.GATEWAY_PUBLIC_URL

# Fields of the change form that ``services.user_update`` applies.
_UPDATABLE = ("email", "first_name", "last_name", "is_active", "is_staff")


class LiveEmailFormMixin:
    """Shows ``email_taken`` on the email field before saving.

    The rule is the service's (``user_email_check``): the model form
    cannot check the conditional constraint itself, it involves
    ``deleted_at``, which is not a form field.
    """

    def clean_email(self) -> str:
        """Returns the email unless another live user has it."""
        email = self.cleaned_data["email"]
        try:
            services.user_email_check(email=email, user_id=self.instance.pk)
        except UsersError as error:
            raise ValidationError(error.detail) from error
        return email


class UserCreationForm(LiveEmailFormMixin, auth_forms.BaseUserCreationForm):
    """Add form: email, names and the password twice (validated)."""

    class Meta:
        """The fields the form edits."""

        model = User
        fields = ("email", "first_name", "last_name")


class UserChangeForm(LiveEmailFormMixin, auth_forms.UserChangeForm):
    """Change form for the email-login user model."""

    class Meta:
        """The fields the form edits."""

        model = User
        fields = "__all__"


class DeletedListFilter(admin.SimpleListFilter):
    """Filters users by whether they were soft-deleted."""

    title = "deleted"
    parameter_name = "deleted"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        """Offers yes and no."""
        del request, model_admin
        return [("yes", "Yes"), ("no", "No")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> QuerySet[User]:
        """Keeps deleted users, live users, or all."""
        del request
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class PasswordResetForm(auth_forms.AdminPasswordChangeForm):
    """The admin's "change password" page, through the services.

    Saving calls ``services.user_password_reset``, which also writes the
    user event and ends the user's sessions. Password login cannot be
    switched off here: staff suspend a user instead.
    """

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = True
        self.fields["password2"].required = True

    def save(self, commit: bool = True) -> User:
        """Sets the password through the service; returns the saved user."""
        del commit
        self.user = services.user_password_reset(
            user_id=self.user.pk, password=self.cleaned_data["password1"]
        )
        return self.user


def _accounting_admin(model: str, pk: str) -> str:
    """Returns the accounting admin's page of one of its rows."""
    return f"{settings.ACCOUNTING_ADMIN_URL}accounting/{model}/{pk}/change/"


def _money(amount: str, currency: str) -> str:
    """Returns an amount as staff read it: ``25.00 USD``."""
    return f"{amount} {currency}"


def accounting_panel(user: User) -> dict[str, Any]:
    """Returns what the user's page shows of their money.

    Args:
        user: The user shown.

    Returns:
        ``{"state": "unavailable"}`` when accounting could not tell in
        time, ``{"state": "not_ready"}`` when it does not know the user
        yet, else ``{"state": "ok", "holder", "wallets",
        "transactions"}``: the holder with its accounting admin link,
        one wallet per currency (main and savings balances as money,
        each account's link) and the latest transactions.
    """
    try:
        summary = clients.holder_summary(user_id=user.pk)
    except clients.AccountingUnavailableError:
        return {"state": "unavailable"}
    if summary is None:
        return {"state": "not_ready"}
    try:
        return _panel(summary)
    except (KeyError, TypeError, ValueError) as error:
        # Outside the contract (tests/contract holds accounting to it):
        # a note on the page, as for an outage, never a server error.
        logger.error("accounting's summary is not the contract's: %r", error)
        return {"state": "unavailable"}


def _instant(text: str) -> dt.datetime:
    """An instant of the summary, for the page to show as any other.

    Raises:
        ValueError: Not an ISO 8601 instant.
    """
    instant = dateparse.parse_datetime(text)
    if instant is None:
        raise ValueError(f"not an instant: {text!r}")
    return instant


def _panel(summary: dict[str, Any]) -> dict[str, Any]:
    """Returns the panel of a summary as accounting documents it."""
    holder = summary["holder"]
    wallets: dict[str, dict[str, Any]] = {}
    for account in summary["accounts"]:
        currency = account["currency"]
        wallet = wallets.setdefault(currency, {"currency": currency})
        wallet[account["kind"]] = {
            "balance": _money(account["balance"], currency),
            "url": _accounting_admin("account", account["id"]),
            "closed_at": account["closed_at"],
        }
    return {
        "state": "ok",
        "holder": {
            **holder,
            "url": _accounting_admin("holder", holder["user_id"]),
            "closed_at": holder["closed_at"] and _instant(holder["closed_at"]),
        },
        "wallets": list(wallets.values()),
        "transactions": [
            {
                **transaction,
                "amount": _money(
                    transaction["amount"], transaction["currency"]
                ),
                "url": _accounting_admin("transaction", transaction["id"]),
                "effective_at": _instant(transaction["effective_at"]),
            }
            for transaction in summary["transactions"]
        ],
    }


@admin.register(User)
class UserAdmin(AuditedAdminMixin, ServiceFormMixin, auth_admin.UserAdmin):
    """Staff manage users; every write goes through the services."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = PasswordResetForm
    list_display = (
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "date_joined",
        "deleted_at",
    )
    list_filter = ("is_active", "is_staff", DeletedListFilter)
    search_fields = ("email", "first_name", "last_name", "id")
    ordering = ("-date_joined",)
    readonly_fields = (
        "id",
        "is_superuser",
        "date_joined",
        "last_login",
        "version",
        "deleted_at",
    )
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (
            "History",
            {"fields": ("date_joined", "last_login", "version", "deleted_at")},
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    actions = ("suspend", "reinstate", "soft_delete")
    # The change form with the accounting panel above the fields.
    change_form_template = "admin/users/user/change_form.html"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The user's page, with their money as accounting holds it."""
        user = self.get_object(request, object_id)
        if user is not None and request.method == "GET":
            extra_context = {
                **(extra_context or {}),
                "accounting": accounting_panel(user),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(
        self, request: HttpRequest, obj: User | None = None
    ) -> bool:
        """Never removes a row: users are soft-deleted by an action."""
        del request, obj
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: User | None = None
    ) -> tuple[str, ...]:
        """Makes a deleted user entirely read-only."""
        if obj is not None and obj.is_deleted:
            return tuple(
                field
                for _, options in self.fieldsets
                for field in options["fields"]
            )
        return tuple(super().get_readonly_fields(request, obj))

    def save_model(
        self, request: HttpRequest, obj: User, form: ModelForm, change: bool
    ) -> None:
        """Creates or updates the user through the services."""
        del request
        data = form.cleaned_data
        if not change:
            created = services.user_create(
                email=data["email"],
                password=data["password1"],
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            # The admin goes on with ``obj`` (log entry, redirect): make it
            # the saved user.
            vars(obj).update(vars(created))
            return
        updated = services.user_update(
            user_id=obj.pk,
            include_inactive=True,
            **{field: data[field] for field in _UPDATABLE if field in data},
        )
        obj.version = updated.version

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm,
        formsets: list[Any],
        change: bool,
    ) -> None:
        """Sets the groups and permissions edited through the service.

        Instead of the form's own many-to-many save (there are no
        inlines); the add form and a deleted user's page edit neither.
        """
        del request, formsets, change
        data = form.cleaned_data
        if "groups" in data and "user_permissions" in data:
            services.user_permissions_set(
                user_id=form.instance.pk,
                groups=data["groups"],
                permissions=data["user_permissions"],
            )

    @admin.action(description="Suspend selected users")
    @asks_confirmation
    def suspend(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Suspends the selected live users: login stops until reinstated.

        Through ``user_update``, so accounting hears of it as of any
        change; a suspended user's data and money stay as they are.
        """
        suspended = 0
        for user in queryset.filter(deleted_at__isnull=True, is_active=True):
            services.user_update(
                user_id=user.pk, is_active=False, include_inactive=True
            )
            suspended += 1
        self.message_user(
            request, f"{suspended} user(s) suspended.", level=messages.SUCCESS
        )

    @admin.action(description="Reinstate selected users")
    def reinstate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Lets the selected suspended (not deleted) users log in again."""
        reinstated = 0
        for user in queryset.filter(deleted_at__isnull=True, is_active=False):
            services.user_update(
                user_id=user.pk, is_active=True, include_inactive=True
            )
            reinstated += 1
        self.message_user(
            request, f"{reinstated} user(s) reinstated.", level=messages.SUCCESS
        )

    @admin.action(description="Soft delete selected users")
    @asks_confirmation
    def soft_delete(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> None:
        """Deletes the selected live users (login stops, rows stay)."""
        deleted = 0
        for user in queryset.filter(deleted_at__isnull=True):
            services.user_delete(user_id=user.pk, include_inactive=True)
            deleted += 1
        self.message_user(
            request, f"{deleted} user(s) deleted.", level=messages.SUCCESS
        )


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyModelAdmin):
    """Read-only view of the user events and their publication."""

    list_display = ("id", "type", "created_at", "published_at", "attempts")
    list_filter = ("type", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("id",)
    ordering = ("-created_at",)


admin.site.register(StaffAction, StaffActionAdmin)
audit_staff_admins(admin.site, users=False)
