"""Settings of the accounting service: plans, the ledger, user events.

Own database (``ACCOUNTING_DATABASE_URL``); internal API for the gateway
behind ``ACCOUNTING_SERVICE_TOKEN`` (and a customer's summary for the
users admin behind ``ACCOUNTING_USERS_TOKEN``); the back office for staff at
``/admin/``; its Celery worker consumes the ``accounting`` queue.
"""

from config import logs, money
from config.base import *  # noqa: F403
from config.base import (
    DEBUG,
    SUPPORTED_CURRENCIES,
    VAR_DIR,
    database,
    env,
)
from config.contracts import USERS_CALLER

# The audit trail of staff actions in this service's admin (config.audit).
STAFF_ACTION_MODEL = "accounting.StaffAction"

# Four eyes: the most one staff member may reverse, close or freeze alone,
# per currency, in major units (``USD=1000,JPY=150000``); above it, or in
# a currency not listed, another staff member must approve.
FOUR_EYES_LIMITS = money.parse_limits(
    env.dict(
        "FOUR_EYES_LIMITS",
        default={
            "USD": "1000",
            "EUR": "1000",
            "GBP": "1000",
            "MXN": "20000",
            "JPY": "150000",
        },
    ),
    SUPPORTED_CURRENCIES,
)

# --- Apps -------------------------------------------------------------------

INSTALLED_APPS = [
    # Django's admin with accounting's site: its index is the dashboard.
    "accounting.apps.AccountingAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounting",
]

MIDDLEWARE = [
    # First: the request's id is current in everything after it,
    # and every answer carries it (config.request_id_middleware).
    "config.request_id_middleware.RequestIdMiddleware",
    # Then: it counts what the middleware below answers too.
    "config.metrics.requests.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.accounting.urls"
# Cookies are scoped by host, not port: both admins on one host (127.0.0.1
# in the embedded default) must not overwrite each other's session.
SESSION_COOKIE_NAME = "accounting_sessionid"
CSRF_COOKIE_NAME = "accounting_csrftoken"
WSGI_APPLICATION = "config.accounting.wsgi.application"

# --- Database ---------------------------------------------------------------

DATABASES = {"default": database("accounting")}

# --- Internal API -----------------------------------------------------------

# The gateway's credential, which every operation of this internal API
# accepts; and the users service's, for its admin's reads of a customer
# (only the operations that name it: config.service_auth).
INTERNAL_API_TOKEN = env.str("ACCOUNTING_SERVICE_TOKEN")
INTERNAL_API_READERS = {USERS_CALLER: env.str("ACCOUNTING_USERS_TOKEN")}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.service_auth.ServiceTokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.service_auth.IsService"],
    # Every domain error answered with its status (one map per service).
    "EXCEPTION_HANDLER": "accounting.api.problems.exception_handler",
}
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "TITLE": "Accounting service internal API",
    "DESCRIPTION": "Called by the gateway only, with a service credential.",
    "VERSION": "1.0.0",
    # One name per choice set shared by several fields.
    "ENUM_NAME_OVERRIDES": {
        **SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"],  # noqa: F405
        "AccountKindEnum": ["main", "savings"],
        "PlanKindEnum": ["flat_amount", "percentage"],
        # An import's and a credit batch's; a batch item's.
        "JobStatusEnum": ["queued", "running", "completed", "failed"],
        "BatchItemStatusEnum": ["pending", "applied", "refused"],
        "WebhookEventTypeEnum": "config.webhook_events.EVENT_TYPES",
        "TransactionKindEnum": [
            "credit",
            "transfer_out",
            "transfer_in",
            "withdrawal",
            "conversion",
            "savings_release",
            "group_contribution",
            "reversal",
        ],
    },
}

# --- Cache (read-mostly answers: plans, rates, categories, past reports) ----

# Redis in the real stack (its own database, not the gateway's throttling
# one). Unset: files in VAR_DIR, not per-process memory: the embedded
# default runs several web workers, and an invalidation must reach them
# all. KEY_PREFIX lets several test runs share one Redis. Short socket
# timeouts: a hung Redis must not hold up requests, the database answers
# instead (accounting/cache.py).
_CACHE_DIR = VAR_DIR / "cache" / "accounting"
CACHES = {
    "default": {
        **env.cache_url("CACHE_URL", default=f"filecache://{_CACHE_DIR}"),
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="accounting"),
    }
}
if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
        **CACHES["default"].get("OPTIONS", {}),
    }
# Seconds an answer is kept unless its caller says otherwise; writers
# invalidate on commit, so this bounds memory, not staleness.
CACHE_TIMEOUT = env.int("CACHE_TIMEOUT", default=300)

# --- Webhooks (accounting/webhooks) -----------------------------------------

# A developer's machine (the embedded default on SQLite, or DEBUG) posts to
# receivers on localhost over plain http; anywhere else only public
# addresses over https: an endpoint URL is chosen by a customer, and must
# not reach into our network (SSRF).
_WEBHOOK_LOCAL = DEBUG or DATABASES["default"]["ENGINE"].endswith(".sqlite3")
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=_WEBHOOK_LOCAL
)
WEBHOOK_REQUIRE_HTTPS = env.bool(
    "WEBHOOK_REQUIRE_HTTPS", default=not _WEBHOOK_LOCAL
)
# Seconds one delivery attempt may take in all (connect, send, answer).
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)

# --- Logging ----------------------------------------------------------------

# The service's name in every JSON log line and on its traces.
SERVICE_NAME = "accounting"
LOGGING = logs.logging_dict(
    service=SERVICE_NAME,
    log_format=LOG_FORMAT,  # noqa: F405
    level=LOG_LEVEL,  # noqa: F405
)
