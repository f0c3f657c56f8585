"""Settings of the users service: identity, JWT issuing, the outbox.

Own database (``USERS_DATABASE_URL``); internal API for the gateway behind
``USERS_SERVICE_TOKEN``; the admin for staff at ``/admin/``, which reads
each user's money from accounting (``ACCOUNTING_USERS_TOKEN``). User
changes leave through the outbox as Celery tasks (``config.contracts``).
"""

import datetime as dt

from celery.schedules import crontab
from cryptography.hazmat.primitives import serialization

from config import logs
from config.base import *  # noqa: F403
from config.base import (
    JWT_ACCESS_TOKEN_LIFETIME,
    JWT_ISSUER,
    JWT_REFRESH_TOKEN_LIFETIME,
    VAR_DIR,
    database,
    env,
    read_key,
)
from config.contracts import (
    CREDIT_BATCHES_RESUME_TASK,
    IMPORTS_RESUME_TASK,
    LEDGER_VERIFY_TASK,
    OUTBOX_SWEEP_TASK,
    TASK_ROUTES,
    USERS_QUEUE,
    WEBHOOKS_SEND_TASK,
)

# The audit trail of staff actions in this service's admin (config.audit).
STAFF_ACTION_MODEL = "users.StaffAction"

# --- Apps -------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "users",
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

ROOT_URLCONF = "config.users.urls"
# Cookies are scoped by host, not port: both admins on one host (127.0.0.1
# in the embedded default) must not overwrite each other's session.
SESSION_COOKIE_NAME = "users_sessionid"
CSRF_COOKIE_NAME = "users_csrftoken"
WSGI_APPLICATION = "config.users.wsgi.application"

# --- Database ---------------------------------------------------------------

DATABASES = {"default": database("users")}

# --- Identity ---------------------------------------------------------------

AUTH_USER_MODEL = "users.User"
# Email login among live users only (see users/backends.py). The email is
# unique through a conditional constraint (deleted users keep theirs), which
# Django's check reports as auth.W004 once a custom backend is named.
AUTHENTICATION_BACKENDS = ["users.backends.EmailBackend"]
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": (
            "django.contrib.auth.password_validation.MinimumLengthValidator"
        ),
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation."
        "NumericPasswordValidator"
    },
]


def public_key(private_key: str) -> str:
    """Returns the PEM public key of a PEM private key.

    The users service verifies the refresh tokens it signed: deriving the
    public key from the private one spares it a second secret that could
    disagree with the first.
    """
    key = serialization.load_pem_private_key(private_key.encode(), None)
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


_JWT_PRIVATE_KEY = read_key("JWT_PRIVATE_KEY")
SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": _JWT_PRIVATE_KEY,
    "VERIFYING_KEY": public_key(_JWT_PRIVATE_KEY),
    "ISSUER": JWT_ISSUER,
    "ACCESS_TOKEN_LIFETIME": dt.timedelta(seconds=JWT_ACCESS_TOKEN_LIFETIME),
    "REFRESH_TOKEN_LIFETIME": dt.timedelta(seconds=JWT_REFRESH_TOKEN_LIFETIME),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- Internal API -----------------------------------------------------------

# The one credential this internal API accepts (the gateway's calls).
INTERNAL_API_TOKEN = env.str("USERS_SERVICE_TOKEN")
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.service_auth.ServiceTokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.service_auth.IsService"],
    # Every domain error answered with its status (one map per service).
    "EXCEPTION_HANDLER": "users.api.problems.exception_handler",
}
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "TITLE": "Users service internal API",
    "DESCRIPTION": "Called by the gateway only, with a service credential.",
    "VERSION": "1.0.0",
}

# --- Accounting (the admin's customer panel) ---------------------------------

# The admin shows each user's money through accounting's internal API
# (users/clients.py), with a credential of the users service's own that
# reads a customer's summary and nothing else (config.service_auth).
ACCOUNTING_SERVICE_URL = env.str(
    "ACCOUNTING_SERVICE_URL", default="http://127.0.0.1:8002"
)
ACCOUNTING_USERS_TOKEN = env.str("ACCOUNTING_USERS_TOKEN")
# Seconds the panel waits for accounting (to connect, then for the
# answer): a slow or dead accounting costs a staff page this much, then
# the page shows "accounting unavailable" instead.
ACCOUNTING_TIMEOUT = env.float("ACCOUNTING_TIMEOUT", default=2.0)
# Where staff's browsers reach the accounting admin (the panel's links).
ACCOUNTING_ADMIN_URL = env.str(
    "ACCOUNTING_ADMIN_URL",
    default=f"{ACCOUNTING_SERVICE_URL.rstrip('/')}/admin/",
)

# --- Outbox relay -----------------------------------------------------------

# Pending events older than this are republished by the beat sweep.
OUTBOX_SWEEP_INTERVAL = env.int("OUTBOX_SWEEP_INTERVAL", default=10)
OUTBOX_SWEEP_BATCH_SIZE = env.int("OUTBOX_SWEEP_BATCH_SIZE", default=200)
# A broker outage must cost a request little, then the sweep takes over.
# Each connection attempt gives up after 0.5 s (TCP connect and AMQP
# handshake), a publish is tried twice, and a confirm is awaited 1 s.
# Measured here: a refused connection costs ~0.2 s, a broker that accepts
# the connection but never answers ~0.5 s.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float(
    "CELERY_BROKER_CONNECTION_TIMEOUT", default=0.5
)
OUTBOX_PUBLISH_OPTIONS = {
    "retry": True,
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0.2,
        "interval_step": 0.2,
        "interval_max": 0.2,
    },
    "timeout": 1.0,
    "confirm_timeout": 1.0,
}
# Stored sign-up idempotency keys live this long (docs/api.md: 24 h or more).
IDEMPOTENCY_KEY_TTL = dt.timedelta(
    hours=env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=48)
)
IDEMPOTENCY_PURGE_TASK = "users.idempotency_keys_purge"
CELERY_TASK_ROUTES = {
    **TASK_ROUTES,
    IDEMPOTENCY_PURGE_TASK: {"queue": USERS_QUEUE},
}
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": OUTBOX_SWEEP_TASK,
        "schedule": dt.timedelta(seconds=OUTBOX_SWEEP_INTERVAL),
    },
    "idempotency-keys-purge": {
        "task": IDEMPOTENCY_PURGE_TASK,
        "schedule": dt.timedelta(hours=1),
    },
    # Beat is the platform's one clock: it also wakes accounting's imports
    # and partners' batches whose worker went silent (routed to
    # accounting's queue).
    "imports-resume": {
        "task": IMPORTS_RESUME_TASK,
        "schedule": dt.timedelta(seconds=30),
    },
    "credit-batches-resume": {
        "task": CREDIT_BATCHES_RESUME_TASK,
        "schedule": dt.timedelta(seconds=30),
    },
    # Webhook retries come due on their own: beat asks for them.
    "webhooks-send": {
        "task": WEBHOOKS_SEND_TASK,
        "schedule": dt.timedelta(seconds=10),
    },
    # verify_ledger's checks once a day, at a quiet hour (UTC); a failed
    # or missed run is alerted on (deploy/monitoring/alerts.yml).
    "ledger-verify": {
        "task": LEDGER_VERIFY_TASK,
        "schedule": crontab(
            hour=env.int("LEDGER_VERIFY_HOUR", default=3), minute=30
        ),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Logging ----------------------------------------------------------------

# The service's name in every JSON log line and on its traces.
SERVICE_NAME = "users"
LOGGING = logs.logging_dict(
    service=SERVICE_NAME,
    log_format=LOG_FORMAT,  # noqa: F405
    level=LOG_LEVEL,  # noqa: F405
)
