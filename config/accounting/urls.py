"""URLs of the accounting service: health, internal API, admin.

The routes themselves live in ``accounting.urls`` (named by string, since
``config`` never imports a service app). Django's own error pages are
replaced by problem documents.
"""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("accounting.urls")),
]

handler400 = "config.problems.handler400"
handler403 = "config.problems.handler403"
handler404 = "config.problems.handler404"
handler500 = "config.problems.handler500"
