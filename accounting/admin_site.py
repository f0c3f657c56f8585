"""The accounting admin site: its names, and its index, the dashboard.

Django's default site is this class (``AccountingAdminConfig.default_site``
in ``accounting/apps.py``), so every ``admin.register`` of
``accounting.admin`` lands on it. Its index keeps Django's list of models,
below the dashboard (``accounting/admin/dashboard.py``), and it adds the
dashboard's two views for ``verify_ledger`` runs.

It lives outside the ``accounting.admin`` package, and imports that
package's dashboard only when a request comes: Django makes this site
when ``accounting.admin`` first registers a model, in the middle of
importing that package, and importing it again from here would make a
second site that loses every registration.
"""

import types
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path


def _dashboard() -> types.ModuleType:
    """Returns ``accounting.admin.dashboard``, imported late (see above)."""
    from accounting.admin import dashboard  # noqa: PLC0415

    return dashboard


class AccountingAdminSite(admin.AdminSite):
    """The back office of accounting (``:8002/admin/``)."""

    # The service's name in the branding (templates/admin/base_site.html).
    site_header = "accounting"
    index_title = "Plans, holders, rates and the ledger"
    # "View site" is the gateway's landing page, as in the users admin.
    site_url = settings.GATEWAY_PUBLIC_URL
    index_template = "admin/accounting/dashboard.html"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The dashboard over the chosen period, then the models."""
        context = _dashboard().dashboard_context(request)
        return super().index(request, {**context, **(extra_context or {})})

    def get_urls(self) -> list[URLPattern]:
        """Django's admin URLs and the dashboard's ``verify_ledger`` views."""
        dashboard = _dashboard()
        return [
            path(
                "dashboard/ledger-check/",
                self.admin_view(dashboard.ledger_check_start),
                name="accounting_ledger_check_start",
            ),
            path(
                "dashboard/ledger-check/<uuid:run_id>/",
                self.admin_view(dashboard.ledger_check_progress),
                name="accounting_ledger_check_progress",
            ),
            *super().get_urls(),
        ]
