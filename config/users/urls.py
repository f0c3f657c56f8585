"""URLs of the users service: its app's routes and the staff admin.

The app (``users.urls``) serves ``/healthz``, ``/readyz`` and the internal
API under ``/internal/v1/``; it is included by name because ``config`` never
imports a service app. Django's own error pages are replaced by problem
documents.
"""

from django.contrib import admin
from django.urls import include, path

handler400 = "config.problems.handler400"
handler403 = "config.problems.handler403"
handler404 = "config.problems.handler404"
handler500 = "config.problems.handler500"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("users.urls")),
]
