"""Webhooks: a user's or a partner's endpoints, and what was sent to them.

Accounting keeps the endpoints, writes each event in the transaction of
the change it tells of, and posts it, signed, to every endpoint that wants
it, retrying for 72 hours (``accounting/services/webhooks.py``). The
gateway serves the same seven operations twice: under ``/webhooks`` with a
user's access token, and under ``/partner/webhooks`` with a partner's key
that holds ``webhooks:manage``. Each is one call to accounting's routes of
that account (``selectors.WebhookAccount``), whose id is the token's or
the key's. The gateway refuses the bodies and queries it can judge (an
unknown event type; for a partner, any but its batches'); accounting
judges the URL (422 ``invalid_webhook_url``: not https, or a host that
leads into a private network) and which webhooks and deliveries are the
caller's (404, as unknown ids).

What a receiver must know (the headers, how to verify a signature, the
retries, de-duplicating and ordering) is the ``Webhooks`` tag's
description, in the settings; :data:`EVENT_COMPONENT` is the body it
receives, added to the schema's components by :func:`event_component_hook`.
"""

import copy
import dataclasses
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import bounds, webhook_events
from config.openapi import ProblemDocs, StatusCodes, links
from config.problems import Code
from config.serializers import StrictInputSerializer
from integration import selectors, services
from integration.api import common
from integration.api.schema import (
    NOT_READY,
    RETRY_AFTER_HEADER,
    TAG_WEBHOOKS,
    link,
    partner_webhook_problem_responses,
    problem_responses,
)
from integration.api.serializers import (
    EXAMPLE_AT,
    PARTNER_WEBHOOK_EVENT_TYPES,
    USER_WEBHOOK_EVENT_TYPES,
    WEBHOOK_DELIVERY_STATUSES,
    WebhookDeliveryPageSerializer,
    WebhookDeliverySerializer,
    WebhookListSerializer,
    WebhookSerializer,
    WebhookWithSecretSerializer,
    transaction_example,
)
from integration.authentication import PartnerKeyAuthentication
from integration.errors import ErrorCode
from integration.permissions import WEBHOOKS_MANAGE, HasPartnerScopes
from integration.selectors import WebhookAccount

_WEBHOOK_NOT_FOUND = {404: [ErrorCode.WEBHOOK_NOT_FOUND, Code.NOT_FOUND]}
_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The webhook's."
)
_DELIVERY_ID = OpenApiParameter(
    "delivery_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="One of the webhook's deliveries.",
)


def _no_store(status: int) -> OpenApiParameter:
    """The ``Cache-Control`` of an answer that shows a secret."""
    return OpenApiParameter(
        name="Cache-Control",
        type={"type": "string", "enum": ["no-store"]},
        location=OpenApiParameter.HEADER,
        response=[status],
        description="`no-store`: the secret must not be kept by any cache.",
    )


def _with_secret(response: Response) -> Response:
    """Marks an answer that shows a secret as one no cache may keep."""
    response["Cache-Control"] = "no-store"
    return response


# --- Examples ----------------------------------------------------------------

_EXAMPLE_ID = "8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a"
_EXAMPLE_URL = "https://hooks.example.com/savings"
_EXAMPLE_SECRET = "whsec_" + "Zk3q9XbT2vYh7LmNc4RfWp8sJd1GaEo6KuQiVy5Bx0A"
_EXAMPLE_EVENT_ID = "2b1a0f9e-8d7c-4b6a-9f4e-3d2c1b0a9f8e"
# A day after EXAMPLE_AT: when a secret rotated then stops signing.
_EXAMPLE_GRACE_END = "2026-11-22T10:00:00.000000Z"


def _webhook_example(**fields: Any) -> dict[str, Any]:
    """Returns an example webhook, ``fields`` changed."""
    return {
        "id": _EXAMPLE_ID,
        "url": _EXAMPLE_URL,
        "events": [],
        "created_at": EXAMPLE_AT,
        "previous_secret_until": None,
        **fields,
    }


def _delivery_example(event_type: str, **fields: Any) -> dict[str, Any]:
    """Returns an example delivery that failed once, ``fields`` changed."""
    return {
        "id": "5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b",
        "event": {
            "id": _EXAMPLE_EVENT_ID,
            "type": event_type,
            "sequence": 42,
            "created_at": EXAMPLE_AT,
        },
        "status": "pending",
        "attempts": 1,
        "last_status_code": 503,
        "last_error": "http_5xx",
        "next_attempt_at": "2026-11-21T10:00:30.000000Z",
        "delivered_at": None,
        "created_at": EXAMPLE_AT,
        "tries": [
            {
                "at": EXAMPLE_AT,
                "status_code": 503,
                "error": "http_5xx",
                "duration_ms": 84,
            }
        ],
        **fields,
    }


# The body of a delivery, as the receiver gets it.
EVENT_EXAMPLE = {
    "id": _EXAMPLE_EVENT_ID,
    "type": "transaction.created",
    "created_at": EXAMPLE_AT,
    "sequence": 42,
    "account": {"user_id": "3f2e1d0c-9b8a-4f6e-8d5c-4b3a2f1e0d9c"},
    "data": {
        "transaction": transaction_example(
            source="salary",
            splits=[
                {"account_kind": "main", "currency": "USD", "amount": "90.45"},
                {
                    "account_kind": "savings",
                    "currency": "USD",
                    "amount": "10.05",
                },
            ],
        )
    },
}


def _ref(component: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{component}"}


def _object(description: str, **properties: dict[str, Any]) -> dict:
    """A JSON schema object with every one of its properties required."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties),
    }


_UUID = {"type": "string", "format": "uuid"}
_INSTANT = {"type": "string", "format": "date-time"}
# The event a receiver gets: not an answer of any operation (OpenAPI 3.0
# has no webhooks), so the schema carries it as a component of its own.
EVENT_COMPONENT = {
    **_object(
        "The body of every webhook delivery (`POST` to the webhook's "
        "`url`, `Content-Type: application/json`), the same bytes on every "
        "try of it. Verify `Webhook-Signature` over these raw bytes before "
        "parsing them.",
        id={
            **_UUID,
            "description": (
                "The event's id, also sent as `Webhook-Id`: the same on "
                "every delivery and retry of the event. De-duplicate on it."
            ),
        },
        type=_ref("WebhookEventTypeEnum"),
        created_at={
            **_INSTANT,
            "description": "When it happened (the change's commit).",
        },
        sequence={
            "type": "integer",
            "minimum": 1,
            "description": (
                "The event's rank among its account's events, from 1, in "
                "the order they happened; deliveries may arrive in another "
                "order. A webhook that takes some types only sees gaps."
            ),
        },
        account={
            "oneOf": [
                _object("A user's event.", user_id=_UUID),
                _object("A partner's event.", partner_id=_UUID),
            ]
        },
        data={
            "oneOf": [
                _object(
                    "`transaction.created`: a transaction of mine, as "
                    "`GET /transactions/{id}` reads it.",
                    transaction=_ref("Transaction"),
                ),
                _object(
                    "`import.completed`: an import that ended, "
                    "`completed` or `failed`, as `GET /imports/{id}` "
                    "reads it.",
                    **{"import": _ref("Import")},
                ),
                _object(
                    "`batch.completed`: a partner's credit batch that "
                    "ended, `completed` or `failed`, as `GET /partner/"
                    "credit-batches/{id}` reads it.",
                    batch=_ref("CreditBatch"),
                ),
                _object(
                    "`group.contribution`: a contribution by any member "
                    "(me included) to a group I belong to.",
                    group=_ref("TransactionGroup"),
                    contribution=_object(
                        "The contribution.",
                        transaction_id=_UUID,
                        member={
                            **_UUID,
                            "description": "The contributor's user id.",
                        },
                        amount={"type": "string", "format": "decimal"},
                        currency={"type": "string"},
                        message={"type": "string"},
                        occurred_at=_INSTANT,
                    ),
                ),
            ]
        },
    ),
    "example": EVENT_EXAMPLE,
}


def event_component_hook(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Adds :data:`EVENT_COMPONENT` to the schema, as ``WebhookEvent``.

    A postprocessing hook of drf-spectacular, run after the enums are
    named (the component refers to ``WebhookEventTypeEnum``).

    Args:
        result: The generated schema.
        generator: Unused.
        request: Unused.
        public: Unused.

    Returns:
        The schema, with the component.
    """
    del generator, request, public
    schemas = result["components"]["schemas"]
    schemas["WebhookEvent"] = copy.deepcopy(EVENT_COMPONENT)
    return result


# --- Whose webhooks ----------------------------------------------------------


def _events(choices: list[str]) -> serializers.ListField:
    """Returns the event types a new webhook takes, among ``choices``."""
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices),
        required=False,
        max_length=len(choices),
        help_text="The event types to send; omitted or empty: every one.",
    )


class _CreateInputSerializer(StrictInputSerializer):
    """Where to post events, and which."""

    url = serializers.CharField(
        max_length=webhook_events.URL_MAX_LENGTH,
        help_text=(
            "An absolute `https` URL without user, password or fragment, "
            "whose host resolves to public addresses only."
        ),
    )


@extend_schema_serializer(component_name="WebhookCreate")
class WebhookCreateSerializer(_CreateInputSerializer):
    """A user's new webhook."""

    events = _events(USER_WEBHOOK_EVENT_TYPES)


@extend_schema_serializer(component_name="PartnerWebhookCreate")
class PartnerWebhookCreateSerializer(_CreateInputSerializer):
    """A partner's new webhook: its batches' events only."""

    events = _events(PARTNER_WEBHOOK_EVENT_TYPES)


@extend_schema_serializer(component_name="WebhookDeliveryQuery")
class WebhookDeliveryListQuery(StrictInputSerializer):
    """Which deliveries, and where the page starts."""

    status = serializers.ChoiceField(
        choices=WEBHOOK_DELIVERY_STATUSES,
        required=False,
        help_text="Only the deliveries with this status.",
    )
    cursor = serializers.CharField(
        max_length=bounds.CURSOR_MAX_LENGTH,
        required=False,
        help_text="Opaque; take it from `next`.",
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=bounds.MAX_PAGE_SIZE,
        default=bounds.DEFAULT_PAGE_SIZE,
    )


@dataclasses.dataclass(frozen=True)
class _Audience:
    """Whose webhooks a set of views serves, and how its schema reads.

    Attributes:
        operation_prefix: Its operations' ids start with it.
        problems: The documented errors of its operations.
        own: What each of its operations may answer besides its own.
        headers: The response headers each of its operations documents.
        create_input: The body of a new webhook.
        event_type: The event type of its examples.
        summaries: Per operation, its summary.
        events: What the description of a new webhook says of its types.
        account: The account of a request's caller.
    """

    operation_prefix: str
    problems: ProblemDocs
    own: StatusCodes
    headers: list[OpenApiParameter]
    create_input: type[_CreateInputSerializer]
    event_type: str
    summaries: dict[str, str]
    events: str
    account: Callable[[Request], WebhookAccount]

    def operation_id(self, name: str) -> str:
        """Returns the id of one of its operations."""
        return f"{self.operation_prefix}_{name}"


_USER = _Audience(
    operation_prefix="webhooks",
    problems=problem_responses,
    own=NOT_READY,
    headers=[RETRY_AFTER_HEADER],
    create_input=WebhookCreateSerializer,
    event_type="transaction.created",
    summaries={
        "list": "List my webhooks",
        "create": "Register a webhook",
        "retrieve": "Read one of my webhooks",
        "destroy": "Remove one of my webhooks",
        "secret_rotate": "Rotate a webhook's secret",
        "deliveries_list": "List a webhook's deliveries",
        "deliveries_resend": "Send a delivery again",
    },
    events=(
        "`events`: any of `transaction.created` (every transaction of "
        "mine), `import.completed` (a statement import of mine ended) and "
        "`group.contribution` (a contribution to a group I belong to); "
        "`batch.completed` is a partner's and never comes to a user."
    ),
    account=lambda request: WebhookAccount(user_id=common.caller_id(request)),
)
_PARTNER = _Audience(
    operation_prefix="partner_webhooks",
    problems=partner_webhook_problem_responses,
    own={},
    headers=[],
    create_input=PartnerWebhookCreateSerializer,
    event_type="batch.completed",
    summaries={
        "list": "List our webhooks",
        "create": "Register one of our webhooks",
        "retrieve": "Read one of our webhooks",
        "destroy": "Remove one of our webhooks",
        "secret_rotate": "Rotate one of our webhooks' secret",
        "deliveries_list": "List one of our webhooks' deliveries",
        "deliveries_resend": "Send one of our deliveries again",
    },
    events=(
        "`events`: `batch.completed` only (a credit batch of the partner's "
        "ended, `completed` or `failed`, whichever of its keys sent it); "
        "another type is 400 `validation_error`."
    ),
    account=lambda request: WebhookAccount(partner_id=request.user.partner_id),
)


# --- What each operation says ------------------------------------------------

_VERIFY = (
    " Deliveries are verified, retried and de-duplicated as the `Webhooks` "
    "tag says."
)


def _list_schema(audience: _Audience) -> dict[str, Any]:
    return {
        "description": (
            "The webhooks in use, oldest first (10 at most), without their "
            "secrets; the list comes whole (`next` is always null)."
        ),
        "parameters": audience.headers,
        "responses": {
            200: WebhookListSerializer,
            **audience.problems(audience.own),
        },
        "examples": [
            OpenApiExample(
                "Webhooks",
                value={"results": [_webhook_example()], "next": None},
                response_only=True,
                status_codes=[200],
            )
        ],
    }


def _create_schema(audience: _Audience) -> dict[str, Any]:
    return {
        "description": (
            "Registers an endpoint that events are POSTed to, signed. "
            "`url`: an absolute URL of at most 2,000 characters, `https` "
            "(plain `http` only on a development deployment), without "
            "user, password or fragment, whose host resolves to public "
            "addresses only: a host on a private, loopback or link-local "
            "address (`10.0.0.5`, `localhost`, `169.254.169.254`, ...) or "
            "one that does not resolve is 422 `invalid_webhook_url`. "
            + audience.events
            + " Omitted or empty: every type. An account has at most 10 "
            "webhooks (400 `validation_error` on `url` beyond).\n\n"
            "This answer is the only one that shows `secret` (a rotation's "
            "answer shows the new one): keep it, it keys the signature of "
            "every delivery." + _VERIFY
        ),
        "request": audience.create_input,
        "parameters": [_no_store(201), *audience.headers],
        "responses": {
            201: WebhookWithSecretSerializer,
            **audience.problems(
                {
                    400: [Code.VALIDATION_ERROR],
                    422: [ErrorCode.INVALID_WEBHOOK_URL],
                },
                audience.own,
                json_body=True,
            ),
        },
        "examples": [
            OpenApiExample(
                "Webhook",
                value={"url": _EXAMPLE_URL, "events": [audience.event_type]},
                request_only=True,
            ),
            OpenApiExample(
                "Registered",
                value=_webhook_example(
                    events=[audience.event_type], secret=_EXAMPLE_SECRET
                ),
                response_only=True,
                status_codes=[201],
            ),
        ],
    }


def _retrieve_schema(audience: _Audience) -> dict[str, Any]:
    return {
        "description": (
            "One webhook, without its secret. Another account's webhook, "
            "or a removed one, is 404 `webhook_not_found`, as an unknown "
            "id is."
        ),
        "parameters": [_ID, *audience.headers],
        "responses": {
            200: WebhookSerializer,
            **audience.problems(_WEBHOOK_NOT_FOUND, audience.own),
        },
        "examples": [
            OpenApiExample(
                "Webhook",
                value=_webhook_example(events=[audience.event_type]),
                response_only=True,
                status_codes=[200],
            )
        ],
    }


def _destroy_schema(audience: _Audience) -> dict[str, Any]:
    return {
        "description": (
            "Removes the webhook: nothing more is sent to it, and its "
            "deliveries still pending fail (`last_error`: "
            "`endpoint_removed`). It is then unknown (404), its deliveries "
            "too."
        ),
        "parameters": [_ID, *audience.headers],
        "responses": {
            204: None,
            **audience.problems(_WEBHOOK_NOT_FOUND, audience.own),
        },
    }


def _secret_rotate_schema(audience: _Audience) -> dict[str, Any]:
    return {
        "description": (
            "Gives the webhook a new `secret`, shown in this answer only. "
            "For 24 hours (until `previous_secret_until`) every "
            "delivery carries two signatures, a `v1` by the new secret and "
            "one by the previous, so that receivers switch over at their "
            "pace; then only the new one signs. Rotating again within "
            "those hours ends the older secret's grace at once."
        ),
        "request": None,
        "parameters": [_ID, _no_store(200), *audience.headers],
        "responses": {
            200: WebhookWithSecretSerializer,
            **audience.problems(_WEBHOOK_NOT_FOUND, audience.own),
        },
        "examples": [
            OpenApiExample(
                "Rotated",
                value=_webhook_example(
                    events=[audience.event_type],
                    previous_secret_until=_EXAMPLE_GRACE_END,
                    secret=_EXAMPLE_SECRET,
                ),
                response_only=True,
                status_codes=[200],
            )
        ],
    }


def _deliveries_list_schema(audience: _Audience) -> dict[str, Any]:
    return {
        "description": (
            "The delivery log: one delivery per event sent to the webhook, "
            "newest first, a page at a time (`next` is the next page's "
            "URL, null on the last). `status`: `pending` (to be tried at "
            "`next_attempt_at`), `delivered` (answered 2xx, at "
            "`delivered_at`) or `failed` (still failing 72 hours after its "
            "first try, or the webhook was removed); `?status=failed` "
            "lists what to look into. Each delivery names its event "
            "(`id`, `type`, `sequence`, `created_at`), counts its "
            "`attempts`, says how the last went (`last_status_code`, "
            "`last_error`) and lists its last 10 `tries`, newest first."
        ),
        "parameters": [_ID, WebhookDeliveryListQuery, *audience.headers],
        "responses": {
            200: WebhookDeliveryPageSerializer,
            **audience.problems(
                {400: [Code.VALIDATION_ERROR, Code.INVALID_CURSOR]},
                _WEBHOOK_NOT_FOUND,
                audience.own,
            ),
        },
        "examples": [
            OpenApiExample(
                "Deliveries",
                value={
                    "results": [_delivery_example(audience.event_type)],
                    "next": None,
                },
                response_only=True,
                status_codes=[200],
            )
        ],
    }


def _deliveries_resend_schema(audience: _Audience) -> dict[str, Any]:
    return {
        "description": (
            "Sends the delivery again, whatever became of it (`delivered` "
            "or `failed` too): it is `pending` and due now, and a worker "
            "posts it within moments, signed anew, with the same event "
            "(its `id` and `sequence`). If that try fails it is retried as "
            "before, until 72 hours after its first try. Answers 202 with "
            "the delivery; the tries made before stay in its log."
        ),
        "request": None,
        "parameters": [_ID, _DELIVERY_ID, *audience.headers],
        "responses": {
            202: WebhookDeliverySerializer,
            **audience.problems(
                {
                    404: [
                        ErrorCode.WEBHOOK_NOT_FOUND,
                        ErrorCode.DELIVERY_NOT_FOUND,
                        Code.NOT_FOUND,
                    ]
                },
                audience.own,
            ),
        },
        "examples": [
            OpenApiExample(
                "Due again",
                value=_delivery_example(
                    audience.event_type, next_attempt_at=EXAMPLE_AT
                ),
                response_only=True,
                status_codes=[202],
            )
        ],
    }


_SCHEMAS = {
    "list": _list_schema,
    "create": _create_schema,
    "retrieve": _retrieve_schema,
    "destroy": _destroy_schema,
    "secret_rotate": _secret_rotate_schema,
    "deliveries_list": _deliveries_list_schema,
    "deliveries_resend": _deliveries_resend_schema,
}
# The operations on one webhook, by the name of a link to each.
_ON_A_WEBHOOK = {
    "GetWebhook": "retrieve",
    "ListWebhookDeliveries": "deliveries_list",
    "RotateWebhookSecret": "secret_rotate",
    "DeleteWebhook": "destroy",
}
# The answers that hold a webhook's id: their status, where the id is, and
# the operations on the webhook they link to.
_LINKS_FROM = {
    "list": (200, "/results/0/id", ["GetWebhook", "ListWebhookDeliveries"]),
    "create": (201, "/id", list(_ON_A_WEBHOOK)),
}


def _documented(audience: _Audience, name: str) -> Callable[..., Any]:
    """Documents a view method as one audience's operation ``name``."""
    schema = extend_schema(
        operation_id=audience.operation_id(name),
        summary=audience.summaries[name],
        tags=[TAG_WEBHOOKS],
        **_SCHEMAS[name](audience),
    )
    if name not in _LINKS_FROM:
        return schema
    status, pointer, names = _LINKS_FROM[name]
    linked = links(
        status,
        **{
            link_name: link(
                audience.operation_id(_ON_A_WEBHOOK[link_name]),
                id=f"$response.body#{pointer}",
            )
            for link_name in names
        },
    )

    def document(handler: Callable[..., Any]) -> Callable[..., Any]:
        return linked(schema(handler))

    return document


# --- The operations, once for both audiences --------------------------------


class _WebhookApi(APIView):
    """What every webhook view does, for its audience's caller."""

    audience: ClassVar[_Audience]

    def _account(self, request: Request) -> WebhookAccount:
        return self.audience.account(request)

    def _list(self, request: Request) -> Response:
        upstream = selectors.webhook_list(account=self._account(request))
        return common.render(
            WebhookListSerializer, upstream, extra=common.NO_NEXT_PAGE
        )

    def _create(self, request: Request) -> Response:
        serializer = self.audience.create_input(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.webhook_create(
            account=self._account(request), data=serializer.validated_data
        )
        return _with_secret(
            common.render(WebhookWithSecretSerializer, upstream)
        )

    def _retrieve(self, request: Request, id: uuid.UUID) -> Response:
        upstream = selectors.webhook_get(
            account=self._account(request), webhook_id=str(id)
        )
        return common.render(WebhookSerializer, upstream)

    def _destroy(self, request: Request, id: uuid.UUID) -> Response:
        services.webhook_delete(
            account=self._account(request), webhook_id=str(id)
        )
        return Response(status=HTTPStatus.NO_CONTENT)

    def _secret_rotate(self, request: Request, id: uuid.UUID) -> Response:
        upstream = services.webhook_secret_rotate(
            account=self._account(request), webhook_id=str(id)
        )
        return _with_secret(
            common.render(WebhookWithSecretSerializer, upstream)
        )

    def _deliveries_list(self, request: Request, id: uuid.UUID) -> Response:
        query = WebhookDeliveryListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        upstream = selectors.webhook_delivery_list(
            account=self._account(request),
            webhook_id=str(id),
            params={
                name: str(value) for name, value in query.validated_data.items()
            },
        )
        return common.render(
            WebhookDeliveryPageSerializer,
            upstream,
            extra=common.next_page(request, upstream),
        )

    def _deliveries_resend(
        self, request: Request, id: uuid.UUID, delivery_id: uuid.UUID
    ) -> Response:
        upstream = services.webhook_delivery_resend(
            account=self._account(request),
            webhook_id=str(id),
            delivery_id=str(delivery_id),
        )
        return common.render(WebhookDeliverySerializer, upstream)


class _UserWebhookApi(_WebhookApi):
    """A user's webhooks: the access token's user."""

    audience = _USER


class _PartnerWebhookApi(_WebhookApi):
    """A partner's webhooks: a key's that holds ``webhooks:manage``."""

    audience = _PARTNER
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasPartnerScopes]
    required_scopes = [WEBHOOKS_MANAGE]


# --- A user's ---------------------------------------------------------------


class WebhooksApi(_UserWebhookApi):
    """GET, POST /webhooks: my webhooks; a new one."""

    @_documented(_USER, "list")
    def get(self, request: Request) -> Response:
        """Returns my webhooks."""
        return self._list(request)

    @_documented(_USER, "create")
    def post(self, request: Request) -> Response:
        """Registers a webhook; its secret is in this answer only."""
        return self._create(request)


class WebhookDetailApi(_UserWebhookApi):
    """GET, DELETE /webhooks/{id}: one of my webhooks."""

    @_documented(_USER, "retrieve")
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns the webhook, if it is mine."""
        return self._retrieve(request, id)

    @_documented(_USER, "destroy")
    def delete(self, request: Request, id: uuid.UUID) -> Response:
        """Removes the webhook, if it is mine."""
        return self._destroy(request, id)


class WebhookSecretApi(_UserWebhookApi):
    """POST /webhooks/{id}/secret: a new secret."""

    @_documented(_USER, "secret_rotate")
    def post(self, request: Request, id: uuid.UUID) -> Response:
        """Rotates the secret; the previous one signs for a day more."""
        return self._secret_rotate(request, id)


class WebhookDeliveryListApi(_UserWebhookApi):
    """GET /webhooks/{id}/deliveries: the delivery log."""

    @_documented(_USER, "deliveries_list")
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns a page of the webhook's deliveries, with the next's URL."""
        return self._deliveries_list(request, id)


class WebhookDeliveryResendApi(_UserWebhookApi):
    """POST /webhooks/{id}/deliveries/{delivery_id}/resend."""

    @_documented(_USER, "deliveries_resend")
    def post(
        self, request: Request, id: uuid.UUID, delivery_id: uuid.UUID
    ) -> Response:
        """Makes the delivery due now: 202."""
        return self._deliveries_resend(request, id, delivery_id)


# --- A partner's ------------------------------------------------------------


class PartnerWebhooksApi(_PartnerWebhookApi):
    """GET, POST /partner/webhooks: our webhooks; a new one."""

    @_documented(_PARTNER, "list")
    def get(self, request: Request) -> Response:
        """Returns the partner's webhooks."""
        return self._list(request)

    @_documented(_PARTNER, "create")
    def post(self, request: Request) -> Response:
        """Registers a webhook; its secret is in this answer only."""
        return self._create(request)


class PartnerWebhookDetailApi(_PartnerWebhookApi):
    """GET, DELETE /partner/webhooks/{id}: one of our webhooks."""

    @_documented(_PARTNER, "retrieve")
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns the webhook, if it is the partner's."""
        return self._retrieve(request, id)

    @_documented(_PARTNER, "destroy")
    def delete(self, request: Request, id: uuid.UUID) -> Response:
        """Removes the webhook, if it is the partner's."""
        return self._destroy(request, id)


class PartnerWebhookSecretApi(_PartnerWebhookApi):
    """POST /partner/webhooks/{id}/secret: a new secret."""

    @_documented(_PARTNER, "secret_rotate")
    def post(self, request: Request, id: uuid.UUID) -> Response:
        """Rotates the secret; the previous one signs for a day more."""
        return self._secret_rotate(request, id)


class PartnerWebhookDeliveryListApi(_PartnerWebhookApi):
    """GET /partner/webhooks/{id}/deliveries: the delivery log."""

    @_documented(_PARTNER, "deliveries_list")
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns a page of the webhook's deliveries, with the next's URL."""
        return self._deliveries_list(request, id)


class PartnerWebhookDeliveryResendApi(_PartnerWebhookApi):
    """POST /partner/webhooks/{id}/deliveries/{delivery_id}/resend."""

    @_documented(_PARTNER, "deliveries_resend")
    def post(
        self, request: Request, id: uuid.UUID, delivery_id: uuid.UUID
    ) -> Response:
        """Makes the delivery due now: 202."""
        return self._deliveries_resend(request, id, delivery_id)
