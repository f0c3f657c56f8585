"""Admin building blocks shared by the services' back offices."""

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from config import audit, exports
from config.errors import DomainError

# --- The audit trail of staff actions (config.audit) ------------------------

# The longest reason staff may give for an action.
REASON_MAX_LENGTH = 1000


def asks_confirmation(action: Callable[..., Any]) -> Callable[..., Any]:
    """Marks an admin action as irreversible: a page confirms it first.

    The page lists the selected objects and asks for a reason, which the
    audit trail keeps; nothing happens until staff confirm.
    """
    action.asks_confirmation = True
    return action


def action_reason(request: HttpRequest) -> str:
    """The reason staff gave on an action's confirmation page."""
    return request.POST.get("reason", "").strip()[:REASON_MAX_LENGTH]


class AuditedAdminMixin:
    """Records every change made through a model admin in the audit trail.

    Adds, changes and deletes are recorded where Django logs them (after
    the form and its related objects are saved, in the view's
    transaction); every bulk action runs in one transaction with one
    record per selected object, the object before and after. Actions
    marked :func:`asks_confirmation` show a confirmation page first.
    """

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: Any = None
    ) -> Any:
        """The object, kept as it is now for the trail of what follows.

        The change view reads the object here before binding the form, so
        this is the object as it was before staff's change (admins may
        override ``save_model`` without calling ``super``; none overrides
        this).
        """
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            _befores(request)[str(obj.pk)] = audit.snapshot(obj)
        return obj

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        """Django's log entry, and the trail's record of the add."""
        self._record_save(request, obj, "add")
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        """Django's log entry, and the trail's record of the change."""
        self._record_save(request, obj, "change")
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        """Django's log entries, and the trail's records of the deletes.

        Called just before the objects are deleted, in the same
        transaction (the delete view's, or the delete action's).
        """
        for obj in queryset:
            audit.staff_action_record(
                request=request,
                action="delete",
                obj=obj,
                before=audit.snapshot(obj),
                after=None,
            )
        return super().log_deletions(request, queryset)

    def _record_save(self, request: HttpRequest, obj: Any, action: str) -> None:
        """Records an add or change saved by :meth:`save_model`."""
        audit.staff_action_record(
            request=request,
            action=action,
            obj=obj,
            before=_befores(request).pop(str(obj.pk), None),
            after=audit.snapshot(audit.fresh(obj)),
        )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """The admin's actions, each recorded (and confirmed if marked)."""
        return {
            name: (_audited(func, name), name, description)
            for name, (func, name, description) in super()
            .get_actions(request)
            .items()
        }


def _befores(request: HttpRequest) -> dict[str, Any]:
    """The objects as they were before this request saved them."""
    if not hasattr(request, "_audit_befores"):
        request._audit_befores = {}
    return request._audit_befores


def _audited(
    action: Callable[..., Any], name: str
) -> Callable[..., HttpResponse | None]:
    """Returns an action that runs in one transaction, with its records.

    Django's own ``delete_selected`` confirms itself and records through
    :meth:`AuditedAdminMixin.log_deletions`; it only gains the
    transaction.
    """

    def run(
        model_admin: admin.ModelAdmin, request: HttpRequest, queryset: Any
    ) -> HttpResponse | None:
        reason = ""
        if getattr(action, "asks_confirmation", False):
            reason = request.POST.get("reason", "").strip()
            if request.POST.get("confirmed") != "yes" or not (
                0 < len(reason) <= REASON_MAX_LENGTH
            ):
                return _confirmation_page(
                    model_admin, request, queryset, action, name
                )
        objects = list(queryset)
        befores = [audit.snapshot(obj) for obj in objects]
        with transaction.atomic(using=router.db_for_write(queryset.model)):
            response = action(model_admin, request, queryset)
            if name != "delete_selected":
                for obj, before in zip(objects, befores, strict=True):
                    audit.staff_action_record(
                        request=request,
                        action=name,
                        obj=obj,
                        before=before,
                        after=audit.snapshot(audit.fresh(obj)),
                        reason=reason,
                    )
        return response

    run.__name__ = name
    run.__doc__ = action.__doc__
    return run


def _confirmation_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: Any,
    action: Callable[..., Any],
    name: str,
) -> HttpResponse:
    """The page that asks staff to confirm an action, with a reason."""
    meta = model_admin.model._meta
    confirming = request.POST.get("confirmed") == "yes"
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Are you sure?",
        "subtitle": None,
        "opts": meta,
        "app_label": meta.app_label,
        "action_name": name,
        "action_description": getattr(
            action, "short_description", name.replace("_", " ")
        ),
        "objects": list(queryset[:100]),
        "count": queryset.count(),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "reason": request.POST.get("reason", "")[:REASON_MAX_LENGTH],
        "reason_max_length": REASON_MAX_LENGTH,
        "reason_error": (
            f"Say why, in 1 to {REASON_MAX_LENGTH} characters."
            if confirming
            else ""
        ),
    }
    return TemplateResponse(request, "admin/confirm_action.html", context)


# --- Read-only and service-backed admins -----------------------------------


class ReadOnlyMixin:
    """Nobody adds, changes or deletes rows here (admins and inlines).

    For records that only the services write (ledger rows, outbox events):
    the admin is a window on them, never a way around the services.
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Rows are written by the services only."""
        del request, obj
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Rows are never edited by hand."""
        del request, obj
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Any = None
    ) -> bool:
        """Rows are kept."""
        del request, obj
        return False


class ReadOnlyModelAdmin(AuditedAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    """Lists and shows rows that only the services write.

    Its actions (closing wallets, resending deliveries) are recorded.
    """


class ServiceFormMixin:
    """A model admin whose form checks with a service and saves through it.

    Should the service still refuse while saving, after the form's checks
    passed (another staff member changed the row, a user event closed the
    holder, another user took the email), the view's transaction is rolled
    back, nothing is written, and the form comes back with the service's
    error instead of a server error.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The add or change form; a service's late refusal shown on it."""
        try:
            return super().changeform_view(
                request, object_id, form_url, extra_context
            )
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ServiceModelAdmin(AuditedAdminMixin, ServiceFormMixin, admin.ModelAdmin):
    """A model admin of rows written through a service; every change kept."""


def _json_column(lookup: str) -> exports.Column:
    """A column of an object's fields as JSON text."""

    def value(row: dict) -> str | None:
        fields = row[lookup]
        return None if fields is None else json.dumps(fields, sort_keys=True)

    return exports.Column(lookup, value, (lookup,))


class StaffActionAdmin(exports.CsvExportMixin, ReadOnlyModelAdmin):
    """The audit trail: read-only, searchable, exportable as CSV."""

    export_columns = [
        *(
            exports.field(name)
            for name in (
                "at",
                "staff_email",
                "staff_id",
                "ip_address",
                "request_id",
                "action",
                "object_type",
                "object_id",
                "object_repr",
                "reason",
            )
        ),
        _json_column("before"),
        _json_column("after"),
    ]

    list_display = [
        "at",
        "staff_email",
        "action",
        "object_type",
        "object_repr",
        "ip_address",
        "reason",
    ]
    list_filter = ["action", "object_type", "at"]
    search_fields = ["staff_email", "object_id", "object_repr", "request_id"]
    date_hierarchy = "at"
    fields = [
        "at",
        "staff_email",
        "staff_id",
        "ip_address",
        "request_id",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "reason",
        "changes",
        "before",
        "after",
    ]
    readonly_fields = fields

    @admin.display(description="changed fields")
    def changes(self, row: Any) -> str:
        """Each field whose value differs: before -> after."""
        before, after = row.before or {}, row.after or {}
        lines = [
            f"{name}: {before.get(name)!r} -> {after.get(name)!r}"
            for name in sorted(set(before) | set(after))
            if before.get(name) != after.get(name)
        ]
        return "\n".join(lines) or "-"


class StaffGroupAdmin(AuditedAdminMixin, auth_admin.GroupAdmin):
    """Staff groups and their permissions; every change kept."""


class StaffUserAdmin(AuditedAdminMixin, auth_admin.UserAdmin):
    """Staff accounts of a back office; every change kept."""


def audit_staff_admins(site: admin.AdminSite, *, users: bool) -> None:
    """Puts the staff accounts' admins under the audit trail.

    Who may do what is itself a staff action: granting a permission or
    a staff account is recorded as any other change.

    Args:
        site: The admin site.
        users: Whether to replace the default staff user admin too (the
            users service has its own, for its own user model).
    """
    site.unregister(Group)
    site.register(Group, StaffGroupAdmin)
    if users:
        user_model = get_user_model()
        site.unregister(user_model)
        site.register(user_model, StaffUserAdmin)
