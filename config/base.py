"""Settings shared by every service.

Each service's ``settings.py`` starts with ``from config.base import *`` and
then names its own apps, URLs and database. Values are read once from the
environment with django-environ. Operating-system variables win; then
a ``.env`` file in the project root, if you keep one (copy
``.env.example``); then ``var/local.env``, which ``make`` generates for the
embedded default (secret key, service tokens, JWT key paths), so that
``make run`` works with no environment set at all. See ``.env.example`` for
every variable.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from config import contracts

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
LOCAL_ENV_FILE = VAR_DIR / "local.env"
# A deployment's own file (``ENV_FILE`` names another than the root .env).
ENV_FILE = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
# read_env never overrides variables already set, so the first file wins.
for _env_file in (ENV_FILE, LOCAL_ENV_FILE):
    if _env_file.exists():
        env.read_env(str(_env_file))

# --- Core -------------------------------------------------------------------

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]", "testserver"],
)
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False
# Instants to the second, in ISO order, in both admins (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Requests larger than this are refused before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# A statement import (POST /imports) is the one larger body: streamed to
# disk at the gateway and to the database at accounting, never held whole.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=32 * 1024 * 1024)

# How many proxies of the deployment stand in front of a service: that many
# X-Forwarded-For entries are trusted (the gateway's rate limits count per
# client address; the admins' audit trails record staff's address).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# --- Money ------------------------------------------------------------------

DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="USD")
SUPPORTED_CURRENCIES = env.list(
    "SUPPORTED_CURRENCIES", default=["USD", "EUR", "GBP", "MXN", "JPY"]
)

# --- Secrets ------------------------------------------------------------------

# Each service reads only the credentials it uses, in its own settings, and
# refuses to start without them: users its service token and the JWT
# private key, accounting its service token, the gateway both tokens (to
# call the services) and the JWT public key. DJANGO_SECRET_KEY, above, is
# every service's own.


def read_key(name: str) -> str:
    r"""Returns a PEM key from ``NAME``, or from the file named by NAME_FILE.

    Args:
        name: The variable, such as ``JWT_PUBLIC_KEY``; in ``NAME`` itself
            newlines may be written as ``\n``.

    Returns:
        The key.

    Raises:
        ImproperlyConfigured: Neither variable is set.
    """
    value = env.str(name, default="")
    if value:
        return value.replace("\\n", "\n")
    path = env.str(f"{name}_FILE", default="")
    if not path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE.")
    return Path(path).read_text()


# Staff account created by ``seed_demo`` in each admin (embedded default).
STAFF_EMAIL = env.str("STAFF_EMAIL", default="")
STAFF_PASSWORD = env.str("STAFF_PASSWORD", default="")

# --- JWT (RS256: users signs, the gateway verifies locally) -----------------

JWT_ACCESS_TOKEN_LIFETIME = env.int("JWT_ACCESS_TOKEN_LIFETIME", default=300)
JWT_REFRESH_TOKEN_LIFETIME = env.int(
    "JWT_REFRESH_TOKEN_LIFETIME", default=7 * 24 * 3600
)
JWT_ISSUER = env.str("JWT_ISSUER", default="savings-platform")

# --- Templates ----------------------------------------------------------------

# The project's own templates live in one top-level folder (the gateway's
# landing and ReDoc pages, the admins' branding); Django's and the
# libraries' own (the admin, drf-spectacular) come from their apps. The
# folder is searched first, so ``admin/base_site.html`` there overrides the
# admin's. The admins' context processors; the gateway needs none.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.back_office",
            ]
        },
    }
]

# --- Back office (both admins) -----------------------------------------------

# Where "View site" of both admins goes: the gateway's landing page, the
# platform's front door (its links lead to the API docs and both admins).
GATEWAY_PUBLIC_URL = env.str(
    "GATEWAY_PUBLIC_URL", default="http://127.0.0.1:8000/"
)
# The badge on every admin page, so that staff always know which
# platform their clicks change ("dev", "staging", "prod").
ENVIRONMENT_NAME = env.str("ENVIRONMENT_NAME", default="dev")

# --- Static files -----------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The project's own files beside the apps' (the admins' stylesheet).
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
    },
}

# --- Celery (namespace CELERY_, read by config/celery.py) -------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# The embedded default: kombu's file-system transport, one shared folder.
_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
        # Seconds between polls of the folder: how late a task may start,
        # and how long a worker takes to notice it should stop.
        "polling_interval": 0.2,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"confirm_publish": True}
)
# Remote control (celery inspect) needs a fanout exchange; on the file-system
# transport it only polls files and slows every shutdown.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = not CELERY_BROKER_URL.startswith(
    "filesystem"
)
if CELERY_BROKER_URL.startswith("filesystem"):
    # kombu's file-system transport expects its folders to exist.
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = contracts.ACCOUNTING_QUEUE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ROUTES = contracts.TASK_ROUTES
# Quorum queues on RabbitMQ (replicated, poison-message safe); the
# file-system transport of the embedded default ignores queue arguments.
_QUEUE_ARGUMENTS = (
    {}
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"x-queue-type": env.str("CELERY_QUEUE_TYPE", default="quorum")}
)
# One exchange per queue, so a queue receives only its own tasks; topic
# exchanges let Celery use RabbitMQ's native delayed delivery for retries.
CELERY_TASK_QUEUES = [
    Queue(
        name,
        Exchange(f"{name}.tasks", type="topic"),
        routing_key=name,
        durable=True,
        queue_arguments=_QUEUE_ARGUMENTS,
    )
    for name in (contracts.ACCOUNTING_QUEUE, contracts.USERS_QUEUE)
]

# --- REST framework (each service adds its own authentication) --------------

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.DecimalJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": (
        "config.parsers.ExactContentNegotiation"
    ),
    "EXCEPTION_HANDLER": "config.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every currency field documents the same supported codes.
    "ENUM_NAME_OVERRIDES": {
        "CurrencyEnum": "config.money.supported_currencies"
    },
}

# --- Logging ----------------------------------------------------------------

# Each service's settings build LOGGING with config.logs.logging_dict: every
# line carries the request id; "json" in the real stack, "text" (readable)
# in the embedded default.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING_CONFIG = "config.logs.configure"

# --- Request ids ------------------------------------------------------------

# Whether a request's X-Request-ID names its id (config.request_ids). On in
# users and accounting, whose callers are the gateway (which sends its id on
# every internal call) and staff; the gateway reads its own from the
# environment.
REQUEST_ID_TRUSTED = True

# --- Tracing ----------------------------------------------------------------

# OpenTelemetry (config.tracing): off unless OTEL_ENABLED=1; the standard
# OTEL_* variables say where spans go.
OTEL_ENABLED = env.bool("OTEL_ENABLED", default=False)


def database(name: str) -> dict:
    """Returns the database settings for one service.

    Args:
        name: The service name; the URL is read from ``<NAME>_DATABASE_URL``
            and defaults to a SQLite file under ``var/``.

    Returns:
        A Django ``DATABASES`` entry. PostgreSQL connections are kept open
        between requests; SQLite runs in WAL mode with immediate transactions
        so that concurrent writers queue instead of failing.
    """
    config = env.db_url(
        f"{name.upper()}_DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / f'{name}.sqlite3'}",
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            ),
        }
    else:
        config["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
        config["ENGINE"] = "config.postgresql"
        config["CONN_HEALTH_CHECKS"] = True
        # Statements are bound and prepared on the server, once per
        # connection (after their second use): the money path's statements
        # are few and repeated, and a prepared one skips parsing and
        # planning on every call.
        config["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": 2,
        }
    config["ATOMIC_REQUESTS"] = False
    return config
