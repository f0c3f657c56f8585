"""Admin building blocks shared by the services' back offices."""

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from config.errors import DomainError


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


class ReadOnlyModelAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Lists and shows rows that only the services write."""


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


class ServiceModelAdmin(ServiceFormMixin, admin.ModelAdmin):
    """A model admin of rows written through a service."""
