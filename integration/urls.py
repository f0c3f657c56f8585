"""Routes of the gateway: the public API, operations and the docs.

``/api/v1/`` is the contract of ``docs/api.md`` (paths without a trailing
slash, as written there); ``/healthz`` and ``/readyz`` are for load balancers;
``/api/schema/``, ``/api/docs/`` and ``/api/redoc/`` serve the OpenAPI
document with local assets only (a policy tells the browser so).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from integration.api import operations

urlpatterns = [
    path("", operations.LandingView.as_view(), name="landing"),
    path("healthz", operations.HealthzApi.as_view(), name="healthz"),
    path("readyz", operations.ReadyzApi.as_view(), name="readyz"),
    path("api/v1/", include("integration.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        operations.SwaggerView.as_view(url_name="schema"),
        name="swagger-ui",
    ),
    path(
        "api/redoc/",
        operations.RedocView.as_view(url_name="schema"),
        name="redoc",
    ),
]
