"""Routes of the users service: health checks and the internal API.

Everything under ``/internal/v1/`` needs the users service credential (the
settings' default authentication); ``/healthz`` and ``/readyz`` need none.
"""

from django.urls import path

from config import health, schema
from config.contracts import INTERNAL_API_PREFIX
from users.api import tokens
from users.api import users as user_apis

app_name = "users"

urlpatterns = [
    path("healthz", health.HealthzApi.as_view(), name="healthz"),
    path("readyz", health.ReadyzApi.as_view(), name="readyz"),
    path(
        f"{INTERNAL_API_PREFIX}schema/",
        schema.internal_schema_view(),
        name="schema",
    ),
    path(
        f"{INTERNAL_API_PREFIX}users",
        user_apis.UserCreateApi.as_view(),
        name="user-create",
    ),
    path(
        f"{INTERNAL_API_PREFIX}users/<uuid:user_id>",
        user_apis.UserApi.as_view(),
        name="user",
    ),
    path(
        f"{INTERNAL_API_PREFIX}tokens",
        tokens.TokenCreateApi.as_view(),
        name="token-create",
    ),
    path(
        f"{INTERNAL_API_PREFIX}tokens/refresh",
        tokens.TokenRefreshApi.as_view(),
        name="token-refresh",
    ),
]
