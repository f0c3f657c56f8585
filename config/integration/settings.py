"""Settings of the integration gateway: the only public API.

No database and no business data: it verifies JWTs locally with the users
service's public key and proxies to users and accounting over a pooled HTTP
client. OpenAPI docs (Swagger UI, ReDoc) are served with local assets.
"""

from config import logs
from config.base import *  # noqa: F403
from config.base import (
    IMPORT_MAX_BYTES,
    JWT_ISSUER,
    TEMPLATES,
    env,
    read_key,
)
from config.bounds import CREDIT_BATCH_MAX_BYTES

# --- Apps -------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "integration",
]

MIDDLEWARE = [
    # First: the request's id is current in everything after it,
    # and every answer carries it (config.request_id_middleware).
    "config.request_id_middleware.RequestIdMiddleware",
    # Then: it counts what the middleware below answers too.
    "config.metrics.requests.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Per user and per address, before any view runs (integration.limits).
    "integration.limits.RequestLimitMiddleware",
    # ETag and 304 on the public API's reads; inside the limits, so a 304
    # carries their headers too (integration.etags).
    "integration.etags.ConditionalGetMiddleware",
]

# The paths whose larger bodies are spooled to disk before a thread takes
# them (config/request_bodies.py): a statement to import, a partner's
# credit batch.
SPOOLED_BODY_PATHS = {
    "/api/v1/imports": (IMPORT_MAX_BYTES, "text/csv"),
    "/api/v1/partner/credit-batches": (
        CREDIT_BATCH_MAX_BYTES,
        "application/json",
    ),
}
# How many of them one gateway process receives at once.
MAX_SPOOLING = env.int("MAX_SPOOLING", default=4)

ROOT_URLCONF = "config.integration.urls"
WSGI_APPLICATION = "config.integration.wsgi.application"
# HTTP and the WebSocket events of savings groups (integration.realtime).
ASGI_APPLICATION = "config.integration.asgi.application"
APPEND_SLASH = False

# The shared folder and app templates, without the admins' processors.
TEMPLATES = [{**TEMPLATES[0], "OPTIONS": {"context_processors": []}}]

# The gateway keeps no data of its own: its cache holds request limits and
# answers it revalidates with their owner (integration.caching).
DATABASES = {}
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Seconds an answer stays kept: it is revalidated on every use, so this
# only bounds the memory it takes.
GATEWAY_CACHE_TIMEOUT = env.int("GATEWAY_CACHE_TIMEOUT", default=3600)

# --- Authentication (verify only; the users service signs) ------------------

SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": None,
    "VERIFYING_KEY": read_key("JWT_PUBLIC_KEY"),
    "ISSUER": JWT_ISSUER,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- Upstream services ------------------------------------------------------

USERS_SERVICE_URL = env.str(
    "USERS_SERVICE_URL", default="http://127.0.0.1:8001"
)
ACCOUNTING_SERVICE_URL = env.str(
    "ACCOUNTING_SERVICE_URL", default="http://127.0.0.1:8002"
)
# Each internal API accepts exactly one credential: the one named for it.
USERS_SERVICE_TOKEN = env.str("USERS_SERVICE_TOKEN")
ACCOUNTING_SERVICE_TOKEN = env.str("ACCOUNTING_SERVICE_TOKEN")
UPSTREAM_CONNECT_TIMEOUT = env.float("UPSTREAM_CONNECT_TIMEOUT", default=2.0)
UPSTREAM_READ_TIMEOUT = env.float("UPSTREAM_READ_TIMEOUT", default=10.0)
UPSTREAM_POOL_SIZE = env.int("UPSTREAM_POOL_SIZE", default=20)
# Threads of one gateway process serving HTTP requests (config/integration/
# asgi.py): the most it serves at once; each waits on a service meanwhile.
# At most UPSTREAM_POOL_SIZE, so that each finds a pooled connection.
GATEWAY_THREADS = env.int("GATEWAY_THREADS", default=16)
# /readyz must answer a load balancer quickly, whatever the services do.
READYZ_TIMEOUT = env.float("READYZ_TIMEOUT", default=2.0)
# Where staff reach the two admins (linked from the landing page).
USERS_ADMIN_URL = env.str(
    "USERS_ADMIN_URL", default=f"{USERS_SERVICE_URL.rstrip('/')}/admin/"
)
ACCOUNTING_ADMIN_URL = env.str(
    "ACCOUNTING_ADMIN_URL",
    default=f"{ACCOUNTING_SERVICE_URL.rstrip('/')}/admin/",
)

# httpx logs every request at INFO: one line per upstream call is noise (and
# CPU) on the money path; failures are logged by integration.clients.
# The service's name in every JSON log line and on its traces.
SERVICE_NAME = "gateway"
LOGGING = logs.logging_dict(
    service=SERVICE_NAME,
    log_format=LOG_FORMAT,  # noqa: F405
    level=LOG_LEVEL,  # noqa: F405
    loggers={"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
)
# A client's X-Request-ID names its request's id only behind a proxy that
# sets it (config.request_ids); otherwise the gateway makes every id.
REQUEST_ID_TRUSTED = env.bool("REQUEST_ID_TRUSTED", default=False)

# --- Realtime (WebSocket events of savings groups) --------------------------


# Seconds a read from the Redis channel layer may take: above the 5 s
# blocking pop of an idle socket, yet bounded, so a hung Redis is noticed.
REDIS_SOCKET_TIMEOUT = 15.0
REDIS_CONNECT_TIMEOUT = 2.0


def channel_layers(url: str) -> dict:
    """Returns the ``CHANNEL_LAYERS`` setting for a channel layer URL.

    Args:
        url: ``redis://host:port/db`` for the Redis layer every gateway
            process shares, or "" for the in-memory layer of one process.

    Returns:
        The setting. In memory, an event broadcast by one process reaches
        only that process's sockets: the gateway must then run as ONE
        process (``GATEWAY_WORKERS=1``, the embedded default's).
    """
    if not url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": url,
                        # Each socket's receive loop blocks on Redis for up
                        # to 5 s (BZPOPMIN, channels_redis' brpop_timeout);
                        # redis-py's default 5 s read timeout would cut
                        # that pop and drop every socket idle for 5 s.
                        "socket_timeout": REDIS_SOCKET_TIMEOUT,
                        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                    }
                ],
                "prefix": "savings",
            },
        }
    }


CHANNEL_LAYERS = channel_layers(env.str("CHANNEL_LAYER_URL", default=""))
# Seconds a broadcast may wait on the channel layer before it is given up
# (logged): the money has moved already, the HTTP answer must not wait.
CHANNEL_LAYER_TIMEOUT = env.float("CHANNEL_LAYER_TIMEOUT", default=2.0)
# Seconds a socket opened without ?token= has to send {"type": "auth"}.
WEBSOCKET_AUTH_TIMEOUT = env.float("WEBSOCKET_AUTH_TIMEOUT", default=10.0)
# Open sockets per user, and sockets still awaiting their auth message per
# client address, over every gateway process (4429 beyond).
WEBSOCKET_MAX_PER_USER = env.int("WEBSOCKET_MAX_PER_USER", default=10)
WEBSOCKET_MAX_PENDING_PER_ADDRESS = env.int(
    "WEBSOCKET_MAX_PENDING_PER_ADDRESS", default=20
)

# --- Public API -------------------------------------------------------------

# Requests per scope and window, counted per user (per client address
# without a token; always per address for ``auth``): integration.limits.
API_RATE_LIMITS = {
    "auth": env.str("AUTH_THROTTLE_RATE", default="20/min"),
    "read": env.str("API_READ_RATE", default="1200/min"),
    "write": env.str("API_WRITE_RATE", default="600/min"),
    "money": env.str("API_MONEY_RATE", default="300/min"),
}
# Requests of one user (or address) being served at once, all processes.
API_MAX_IN_FLIGHT = env.int("API_MAX_IN_FLIGHT", default=4)
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    # simplejwt's stateless JWT check, with clean problem+json failures.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integration.authentication.BearerTokenAuthentication"
    ],
    # The gateway's statuses, and services' problems passed through.
    "EXCEPTION_HANDLER": "integration.api.problems.exception_handler",
    # Limits count per client address: trust X-Forwarded-For only from as
    # many proxies as the deployment puts in front.
    "NUM_PROXIES": NUM_PROXIES,  # noqa: F405
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated"
    ],
}
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "TITLE": "Savings platform API",
    "DESCRIPTION": (
        "The public API of the savings and payments platform: identity, "
        "savings plans, wallets in several currencies, credits, transfers, "
        "withdrawals, FX conversions, balances and transactions; reports, "
        "savings goals and savings groups; partners' credit batches; "
        "webhooks.\n\n"
        "Errors are RFC 9457 problem details with a stable `code` and the "
        "request's `request_id`, which every answer also carries in its "
        "`X-Request-ID` header: quote it when reporting a problem. A body "
        "member the operation does not declare, a value of the wrong JSON "
        "type, an object with a key twice, and a query parameter that is "
        "unknown, repeated or empty are refused (400, naming each in "
        "`errors`); a body must be sent as `application/json`.\n\n"
        "Limits: each user (each client address without a token; each "
        "partner key, at its own rate if it has one) has a "
        "quota of requests per minute in each scope (`read`: GET; `write`; "
        "`money`: the POSTs that move money; `auth`: sign-up and log-in, "
        "per address) and a bound on requests in progress at once. Each "
        'answer carries `RateLimit-Policy` (`"read";q=1200;w=60`) and '
        '`RateLimit` (`"read";r=1187;t=42`: remaining, seconds to the '
        "reset); over a limit the answer is 429 `rate_limited` with "
        "`Retry-After`. A 503 carries `Retry-After` too: a dependency is out "
        "for a moment, and the same request (same `Idempotency-Key`) may be "
        "sent again."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        **SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"],  # noqa: F405
        # "status" names two choice sets, each in several components.
        "StatusEnum": "integration.api.serializers.JOB_STATUSES",
        "CreditBatchItemStatusEnum": (
            "integration.api.serializers.CREDIT_BATCH_ITEM_STATUSES"
        ),
        "WebhookDeliveryStatusEnum": (
            "integration.api.serializers.WEBHOOK_DELIVERY_STATUSES"
        ),
        # A webhook's event types; a partner's webhook takes one of them.
        "WebhookEventTypeEnum": (
            "integration.api.serializers.WEBHOOK_EVENT_TYPES"
        ),
        "PartnerWebhookEventTypeEnum": (
            "integration.api.serializers.PARTNER_WEBHOOK_EVENT_TYPES"
        ),
    },
    # ETag, If-None-Match and 304 on every read (integration.etags); the
    # body of a webhook delivery, which no operation answers.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integration.api.schema.conditional_reads_hook",
        "integration.api.webhooks.event_component_hook",
    ],
    "SERVE_AUTHENTICATION": [],
    "TAGS": [
        {"name": "Identity", "description": "Sign-up, tokens, my profile."},
        {"name": "Plans", "description": "Savings plans and my choice."},
        {
            "name": "Money",
            "description": (
                "Wallets, credits, transfers, withdrawals, conversions, "
                "rates, balances and transactions."
            ),
        },
        {
            "name": "Personal finance",
            "description": (
                "Where my money goes and what I save: a summary report "
                "(income, expenses, saved, savings rate) grouped by "
                "category, source or month; the suggested expense "
                "categories; savings goals, which are views on my savings "
                "(my savings balance is allocated to my goals in order, "
                "earliest target date first) and hold no money of their own."
            ),
        },
        {
            "name": "Groups",
            "description": (
                "Savings challenges with friends: a group has a pot in one "
                "currency, a target and members; a member contributes from "
                "their savings, adds other members by email and may leave "
                "(their money stays in the pot); the group shows its total, "
                "progress and a leaderboard.\n\n"
                "Live events: members may open the WebSocket "
                "`/ws/groups/{id}/` on this host (`wss://` behind TLS). "
                "Authenticate with the access token either as `?token=` "
                "(a bad token, or a user who is not a member, is refused at "
                "the handshake: HTTP 403) or, without it, by sending "
                '`{"type": "auth", "token": "<access token>"}` as the first '
                "message within 10 seconds (answered "
                '`{"type": "auth_ok"}`). Then each contribution '
                "arrives as a JSON text frame: "
                '`{"type": "contribution", "group_id", "user_id", "amount", '
                '"currency", "message", "timestamp", "total"}` (`timestamp`: '
                "the transaction's `occurred_at`; `total`: the pot after it), "
                "and each member who leaves as "
                '`{"type": "member_left", "group_id", "user_id", '
                '"timestamp"}`. A replayed request sends no event; read '
                "`GET /groups/{id}` for what came while you were away.\n\n"
                "Close codes: 4401, no valid access token (a bad or missing "
                "one in the auth message, a deleted user, or the token "
                "expired: reconnect with a fresh one); 4403, not a member "
                "of the group, or no longer (you left it); 4429, too many "
                f"sockets ({WEBSOCKET_MAX_PER_USER} per user, "
                f"{WEBSOCKET_MAX_PENDING_PER_ADDRESS} awaiting their auth "
                "message per address); 1011, membership could not be "
                "checked (retry later); 1012, the gateway is restarting "
                "(reconnect)."
            ),
        },
        {
            "name": "Partners",
            "description": (
                "Partner payroll: an employer or a payroll provider credits "
                "many users in one request with an API key of its own "
                "(`partnerKey`), not a user's token. A credit batch holds up "
                "to 10,000 credits, each to a user named by id or email and "
                "split by that user's plan; a worker applies it, and the "
                "partner reads the batch and each credit's outcome back. "
                "Every batch needs an `Idempotency-Key`; an item applies at "
                "most once, and a partner's `reference` is credited at most "
                "once across its batches. A key with `webhooks:manage` "
                "registers webhooks told when a batch ends (`Webhooks`)."
            ),
        },
        {
            "name": "Webhooks",
            "description": (
                "Webhooks tell a server of yours what happens, as it "
                "happens, instead of polling: a user registers them with "
                "their access token (`/webhooks`), a partner with a key "
                "that holds `webhooks:manage` (`/partner/webhooks`). An "
                "account has at most 10; each takes the event types it "
                "names, or all of them.\n\n"
                "**Events.** `transaction.created` (`data.transaction`, as "
                "`GET /transactions/{id}` reads it: every transaction of "
                "the user's), `import.completed` (`data.import`: a "
                "statement import ended, `completed` or `failed`), "
                "`group.contribution` (`data.group` and "
                "`data.contribution`: a member, the user included, "
                "contributed to one of the user's groups) and, for "
                "partners only, `batch.completed` (`data.batch`: a credit "
                "batch ended, `completed` or `failed`). An event is "
                "written in the database transaction of the change it "
                "tells of: none is lost, none tells of a change that did "
                "not happen. An account's events are recorded while it "
                "has a webhook.\n\n"
                "**Delivery.** `POST` to the webhook's `url` with "
                "`Content-Type: application/json`, a `WebhookEvent` body "
                "(`{id, type, created_at, sequence, account, data}`) and "
                "three headers: `Webhook-Id` (the event's `id`), "
                "`Webhook-Timestamp` (when it was signed, Unix seconds) "
                "and `Webhook-Signature: t=<timestamp>,v1=<hex>`. Answer "
                "any 2xx within 10 seconds; anything else, a redirect "
                "included (none is followed), is a failure.\n\n"
                "**Verify** each request before trusting it: the "
                "HMAC-SHA256 of `<t>.` followed by the raw body (the bytes "
                "received, before any JSON parsing), keyed with the "
                "webhook's `secret` (the whole `whsec_...` string), in "
                "lowercase hex, must equal one of the `v1` values "
                "(compare in constant time), and `t` must be within 5 "
                "minutes of your clock (an older request is a replay: "
                "refuse it). For 24 hours after a secret is rotated a "
                "second `v1`, by the previous secret, comes too.\n\n"
                "**Retries.** A failed delivery is tried again after 30 "
                "seconds, then after twice as long each time, up to 1 hour "
                "between tries (each delay +/-10%), until 72 hours after "
                "its first try; it is then `failed`. The delivery log "
                "(`GET .../deliveries`) shows every delivery and its "
                "tries, and `POST .../resend` sends one again.\n\n"
                "**Idempotent receivers.** The same event may arrive more "
                "than once (a retry after a lost answer, a resend) and "
                "events may arrive out of order: de-duplicate on "
                "`Webhook-Id` and order by `sequence` (the event's rank "
                "among its account's events, from 1)."
            ),
        },
        {"name": "Operations", "description": "Health and readiness."},
    ],
}
