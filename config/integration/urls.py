"""URLs of the integration gateway.

The routes live in the ``integration`` app (config never imports a service
app; these are dotted paths). Every error, an unknown URL included, answers
problem+json through the shared handlers.
"""

from django.urls import include, path

handler400 = "config.problems.handler400"
handler403 = "config.problems.handler403"
handler404 = "config.problems.handler404"
handler500 = "config.problems.handler500"

urlpatterns = [path("", include("integration.urls"))]
