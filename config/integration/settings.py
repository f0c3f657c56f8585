"""Settings of the integration gateway: the only public API.

No database and no business data: it verifies JWTs locally with the users
service's public key and proxies to users and accounting over a pooled HTTP
client. OpenAPI docs (Swagger UI, ReDoc) are served with local assets.
"""

from config.base import *  # noqa: F403
from config.base import JWT_ISSUER, JWT_PUBLIC_KEY, env

# --- Apps -------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "integration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "config.integration.urls"
WSGI_APPLICATION = "config.integration.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

# The gateway keeps no data of its own.
DATABASES = {}
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Authentication (verify only; the users service signs) ------------------

SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": None,
    "VERIFYING_KEY": JWT_PUBLIC_KEY,
    "ISSUER": JWT_ISSUER,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- Upstream services ------------------------------------------------------

UPSTREAM_CONNECT_TIMEOUT = env.float("UPSTREAM_CONNECT_TIMEOUT", default=2.0)
UPSTREAM_READ_TIMEOUT = env.float("UPSTREAM_READ_TIMEOUT", default=10.0)
UPSTREAM_POOL_SIZE = env.int("UPSTREAM_POOL_SIZE", default=20)

# --- Public API -------------------------------------------------------------

AUTH_THROTTLE_RATE = env.str("AUTH_THROTTLE_RATE", default="20/min")
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated"
    ],
    "DEFAULT_THROTTLE_RATES": {"auth": AUTH_THROTTLE_RATE},
}
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "TITLE": "Savings platform API",
    "DESCRIPTION": (
        "The public API of the savings and payments platform: identity, "
        "savings plans, credits, balances and transactions."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
}
