"""Admin building blocks shared by the services' back offices."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


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
