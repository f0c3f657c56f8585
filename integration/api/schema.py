"""OpenAPI building blocks shared by the gateway's views.

The schema is the public contract (``docs/api.md``), so errors are
documented as carefully as successes: every operation lists, per status,
the problem codes it may answer, with one example each
(``config.openapi``, shared with the internal APIs). The bearer scheme,
what every gateway operation may answer, the ``Idempotency-Key`` header,
the forwarded response headers and the OpenAPI links from one operation's
answer to the next operations (a goal created, then read by its id) are
declared once here; so are the partners' key scheme and what a partner
operation may answer about its key.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from config import openapi
from config.openapi import IDEMPOTENCY_KEY_PARAMETER, IDEMPOTENT_REPLAYED_HEADER
from config.problems import Code
from integration.errors import ErrorCode
from integration.permissions import CREDITS_WRITE, WEBHOOKS_MANAGE

TAG_IDENTITY = "Identity"
TAG_PLANS = "Plans"
TAG_MONEY = "Money"
TAG_PERSONAL_FINANCE = "Personal finance"
TAG_GROUPS = "Groups"
TAG_PARTNERS = "Partners"
TAG_WEBHOOKS = "Webhooks"
TAG_OPERATIONS = "Operations"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents the gateway's JWT authentication as HTTP bearer."""

    target_class = "integration.authentication.BearerTokenAuthentication"
    name = "bearerAuth"
    priority = 1

    def get_security_definition(self, auto_schema: object) -> dict:
        """Returns the ``bearerAuth`` security scheme (JWT access token)."""
        del auto_schema
        return build_bearer_security_scheme_object(
            header_name="HTTP_AUTHORIZATION",
            token_prefix="Bearer",  # noqa: S106 (a scheme, not a secret)
            bearer_format="JWT",
        )


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    """Documents a partner's API key as HTTP bearer, with its scopes."""

    target_class = "integration.authentication.PartnerKeyAuthentication"
    name = "partnerKey"
    priority = 1

    def get_security_definition(self, auto_schema: object) -> dict:
        """Returns the ``partnerKey`` security scheme (an ``spk_`` key)."""
        del auto_schema
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "spk_",
            "description": (
                "A partner's API key, sent as `Authorization: Bearer "
                "spk_...`: `spk_` and 43 characters. Staff issue keys in "
                "the accounting admin and show each once; a key is stored "
                "only as a hash and works until staff revoke it. A key "
                "holds scopes: `credits:write` sends credit batches and "
                "reads them back; `webhooks:manage` registers the "
                "partner's webhooks and reads their deliveries; an "
                "operation its key lacks the scope for is 403 "
                "`permission_denied`. A key may have its own request "
                "rate, which replaces the scope's default for it; it is "
                "counted apart from every other client. User access "
                "tokens open no partner operation, and partner keys no "
                "user operation."
            ),
        }


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "example": "100.50",
        "description": "A decimal string in the currency's precision.",
    }
)
class DecimalStringField(serializers.CharField):
    """An amount or a rate as the services render it: a decimal string."""


RETRY_AFTER_HEADER = OpenApiParameter(
    name="Retry-After",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[409, 429],
    description="Seconds to wait before retrying.",
)

# What an operation on the caller's accounts answers while accounting has
# not opened them yet (the user.created event is still on its way).
NOT_READY = {409: [ErrorCode.ACCOUNT_NOT_READY]}

# What every POST that moves money may answer, besides its own judgements:
# the gateway's checks of the amount, accounting's of the caller's
# readiness, and both's of the Idempotency-Key.
MOVES_MONEY = openapi.merge(
    [
        {400: [Code.INVALID_AMOUNT, Code.UNSUPPORTED_CURRENCY]},
        NOT_READY,
        openapi.IDEMPOTENT_WRITE,
    ]
)
# What every POST that takes an Idempotency-Key documents (money moved, a
# goal set, a group started): the key, the header of a replay, and
# Retry-After (a key in flight, accounts not ready).
IDEMPOTENT_PARAMETERS = [
    IDEMPOTENCY_KEY_PARAMETER,
    IDEMPOTENT_REPLAYED_HEADER,
    RETRY_AFTER_HEADER,
]

# Codes any operation may answer: its limits (integration.limits) and the
# failures of the services behind the gateway.
_ANY_OPERATION = {
    429: [Code.RATE_LIMITED],
    431: [Code.HEADERS_TOO_LARGE],
    502: [ErrorCode.BAD_GATEWAY],
    503: [
        ErrorCode.UPSTREAM_UNAVAILABLE,
        Code.DATABASE_UNAVAILABLE,
    ],
    504: [ErrorCode.UPSTREAM_TIMEOUT],
}
_AUTHENTICATED = {
    401: [Code.NOT_AUTHENTICATED, Code.INVALID_TOKEN, ErrorCode.USER_INACTIVE]
}
_DETAILS = {
    ErrorCode.ACCOUNT_NOT_READY: (
        "Your accounts are being opened; retry in a moment."
    ),
    ErrorCode.UPSTREAM_UNAVAILABLE: (
        "The accounting service is unavailable; retry later."
    ),
    ErrorCode.SAME_CURRENCY: "`to_currency` is `from_currency`: nothing to do.",
    ErrorCode.ACCOUNT_NOT_FOUND: "No open main account with that id.",
    ErrorCode.SAME_ACCOUNT: "An account cannot transfer to itself.",
    ErrorCode.CURRENCY_MISMATCH: "The recipient's account is in EUR, not USD.",
    ErrorCode.INSUFFICIENT_FUNDS: "Not enough money in main: 12.50 USD.",
    ErrorCode.ACCOUNT_FROZEN: (
        "The USD wallet is frozen: debit-only (no money out)."
    ),
    ErrorCode.SAVINGS_LOCKED: (
        "Savings credited less than 30 days ago stay locked; 40.00 USD is "
        "free to release."
    ),
    ErrorCode.RATE_UNAVAILABLE: "No USD/EUR rate is valid now.",
    ErrorCode.AMOUNT_TOO_SMALL: "1 KRW converts to 0.00 USD.",
    ErrorCode.GOAL_NOT_FOUND: "You have no goal with that id.",
    ErrorCode.GROUP_NOT_FOUND: "You are not a member of a group with that id.",
    ErrorCode.USER_NOT_FOUND: "No user with that email.",
    ErrorCode.ALREADY_MEMBER: "That user is already a member of the group.",
    ErrorCode.INVALID_WEBHOOK_URL: (
        "The URL's host does not resolve to a public address."
    ),
    ErrorCode.WEBHOOK_NOT_FOUND: "No webhook with that id.",
    ErrorCode.DELIVERY_NOT_FOUND: "No delivery with that id.",
}


def link(operation: str, **parameters: str) -> dict[str, Any]:
    """Returns an OpenAPI link to an operation, its parameters filled.

    Args:
        operation: The target's ``operationId``.
        **parameters: Its parameters, as runtime expressions such as
            ``$response.body#/id``.
    """
    return {"operationId": operation, "parameters": parameters}


def _links_by_id(
    pointer: str, targets: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Links to the operations on one object, from its id in an answer."""
    return {
        name: link(operation, id=f"$response.body#{pointer}")
        for name, operation in targets.items()
    }


_GOAL = {
    "GetGoal": "goals_retrieve",
    "UpdateGoal": "goals_update",
    "DeleteGoal": "goals_destroy",
}
_GROUP = {
    "GetGroup": "groups_retrieve",
    "Contribute": "groups_contributions_create",
    "AddMember": "groups_members_create",
    "Leave": "groups_members_leave",
}
# From a goal (created or changed) to reading, changing and deleting it.
GOAL_LINKS = _links_by_id("/id", _GOAL)
# From a group started to reading it, contributing, adding and leaving.
GROUP_LINKS = _links_by_id("/id", _GROUP)
# From a movement's answer to the transaction it wrote.
TRANSACTION_LINKS = _links_by_id(
    "/transaction/id", {"GetTransaction": "transactions_retrieve"}
)
# From a contribution to its transaction and to the group after it.
CONTRIBUTION_LINKS = {
    **TRANSACTION_LINKS,
    **_links_by_id("/group/id", {"GetGroup": "groups_retrieve"}),
}
# From the first item of a list to what one does with it.
FIRST_GOAL_LINKS = _links_by_id("/results/0/id", {"GetGoal": "goals_retrieve"})
FIRST_GROUP_LINKS = _links_by_id(
    "/results/0/id", {"GetGroup": "groups_retrieve"}
)
FIRST_TRANSACTION_LINKS = _links_by_id(
    "/results/0/id", {"GetTransaction": "transactions_retrieve"}
)
FIRST_PLAN_LINKS = {
    "SelectPlan": {
        "operationId": "me_plan_update",
        "requestBody": {"plan_id": "$response.body#/results/0/id"},
    }
}
# From a sign-up to logging in with its credentials, and on to renewing.
SIGNUP_LINKS = {
    "LogIn": {
        "operationId": "auth_token_obtain",
        "requestBody": {
            "email": "$request.body#/email",
            "password": "$request.body#/password",
        },
    }
}
TOKEN_LINKS = {
    "Refresh": {
        "operationId": "auth_token_refresh",
        "requestBody": {"refresh": "$response.body#/refresh"},
    }
}


# Every operation of the gateway: its bearer token, its limits and the
# services behind it.
problem_responses = openapi.ProblemDocs(
    credential=_AUTHENTICATED, always=_ANY_OPERATION, details=_DETAILS
)


def _partner_problems(scope: str) -> openapi.ProblemDocs:
    """The documented errors of the partner operations that need ``scope``.

    Each needs a partner key holding the scope; any may meet the limits
    and the failures of the services behind the gateway.
    """
    return openapi.ProblemDocs(
        credential={
            401: [Code.NOT_AUTHENTICATED, ErrorCode.INVALID_API_KEY],
            403: [Code.PERMISSION_DENIED],
        },
        always=_ANY_OPERATION,
        details={
            **_DETAILS,
            Code.NOT_AUTHENTICATED: (
                "Authentication credentials were not provided."
            ),
            ErrorCode.INVALID_API_KEY: "The API key is invalid or revoked.",
            Code.PERMISSION_DENIED: (
                f"This API key does not have the scope `{scope}` this "
                "operation needs; staff add scopes to a key in the "
                "accounting admin."
            ),
            ErrorCode.BATCH_NOT_FOUND: "No credit batch with that id.",
        },
    )


# Every partner operation on credit batches, and on webhooks.
partner_problem_responses = _partner_problems(CREDITS_WRITE)
partner_webhook_problem_responses = _partner_problems(WEBHOOKS_MANAGE)


# --- Conditional reads (integration.etags) ----------------------------------

_ETAG_EXAMPLE = '"9f86d081884c7d659a2feaa0c55ad015"'
_READ_HEADERS = {
    "ETag": {
        "description": (
            "A strong validator of this answer's bytes: send it back as "
            "`If-None-Match` to be answered 304 while the answer is the "
            "same."
        ),
        "schema": {"type": "string", "example": _ETAG_EXAMPLE},
    },
    "Cache-Control": {
        "description": (
            "`private, no-cache`: a client may keep the answer but must "
            "revalidate it; no shared cache may keep it."
        ),
        "schema": {"type": "string", "enum": ["private, no-cache"]},
    },
    "Vary": {
        "description": "Includes `Authorization`: the answer is the caller's.",
        "schema": {"type": "string", "example": "Accept, Authorization"},
    },
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": (
        "The `ETag` of an answer the client holds (a list, `W/` tags or "
        "`*` also): 304 with no body while it is current. A value that is "
        "not a list of entity tags is ignored."
    ),
    # No example: Swagger UI's try-out fills a parameter with its example
    # and sends it, as if the client held that (made-up) tag.
    "schema": {"type": "string"},
}
NOT_MODIFIED = {
    "description": (
        "Not Modified: the answer is the one the `If-None-Match` tag names; "
        "no body."
    ),
    "headers": _READ_HEADERS,
}


def conditional_reads_hook(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Documents ETag, If-None-Match and 304 on every GET of the API.

    A postprocessing hook of drf-spectacular: ``integration.etags`` treats
    every read alike, so the schema says it once here rather than in each
    view.

    Args:
        result: The generated schema.
        generator: Unused.
        request: Unused.
        public: Unused.

    Returns:
        The schema, with each GET's ``If-None-Match`` parameter, its 200's
        headers and its 304.
    """
    del generator, request, public
    for path, item in result.get("paths", {}).items():
        operation = item.get("get")
        if operation is None or not path.startswith("/api/v1/"):
            continue
        operation.setdefault("parameters", []).append(IF_NONE_MATCH)
        responses = operation["responses"]
        responses["200"].setdefault("headers", {}).update(_READ_HEADERS)
        responses["304"] = NOT_MODIFIED
        operation["responses"] = dict(
            sorted(responses.items(), key=lambda pair: pair[0])
        )
    return result
