"""Partner payroll: credit batches sent with a partner's API key.

An employer or a payroll provider credits many users in one request: up
to ``CREDIT_BATCH_MAX_ITEMS`` credits, each to a user named by id or
email. The batch is checked here with the shared serializer accounting
checks it with again (``config.credit_batches``), sent in the key's name,
stored whole by accounting and applied by its worker; the partner reads
the batch and each item's outcome back, in its partner's name, so that a
batch of another partner is unknown. The body may be large (8 MiB): the
gateway's server spools it to disk before a thread takes the request
(``config/request_bodies.py``), as it does a statement to import.
"""

import uuid
from typing import Any

from django.urls import NoReverseMatch, reverse
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

from config import bounds, credit_batches, money, parsers
from config.idempotency import keys as idempotency_keys
from config.openapi import (
    BATCH_IDEMPOTENCY_KEY_PARAMETER,
    IDEMPOTENT_REPLAYED_HEADER,
    links,
)
from config.problems import Code
from config.serializers import StrictInputSerializer
from integration import errors, limits, selectors, services
from integration.api import common
from integration.api.schema import (
    TAG_PARTNERS,
    link,
    partner_problem_responses,
)
from integration.api.serializers import (
    CREDIT_BATCH_ITEM_STATUSES,
    EXAMPLE_AT,
    CreditBatchItemPageSerializer,
    CreditBatchSerializer,
)
from integration.authentication import PartnerKeyAuthentication
from integration.errors import ErrorCode
from integration.permissions import CREDITS_WRITE, HasPartnerScopes

_EXAMPLE_ID = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"
_EXAMPLE = {
    "id": _EXAMPLE_ID,
    "status": "completed",
    "items": {"total": 3, "applied": 2, "refused": 1, "pending": 0},
    "error": None,
    "created_at": EXAMPLE_AT,
    "completed_at": EXAMPLE_AT,
}
_EXAMPLE_ITEMS = [
    {"user": "ada@example.com", "amount": "1250.00", "reference": "PAY-1"},
    {
        "user": "3f2e1d0c-9b8a-4f6e-8d5c-4b3a2f1e0d9c",
        "amount": "980.50",
        "reference": "PAY-2",
    },
    {"user": "gone@example.com", "amount": "700.00", "reference": "PAY-3"},
]
_BATCH_NOT_FOUND = {404: [ErrorCode.BATCH_NOT_FOUND, Code.NOT_FOUND]}
_ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
_LOCATION_HEADER = OpenApiParameter(
    name="Location",
    type=OpenApiTypes.URI,
    location=OpenApiParameter.HEADER,
    response=[202],
    description="The batch's URL, to read where it stands.",
)
# From a batch to reading it and its items.
_BATCH_LINKS = {
    "GetCreditBatch": link(
        "partner_credit_batches_retrieve", id="$response.body#/id"
    ),
    "ListCreditBatchItems": link(
        "partner_credit_batches_items_list", id="$response.body#/id"
    ),
}


class _PartnerApi(APIView):
    """An operation of a partner's key that holds ``credits:write``."""

    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasPartnerScopes]
    required_scopes = [CREDITS_WRITE]


def _forwarded(batch: dict[str, Any]) -> dict[str, Any]:
    """Writes a validated batch back as JSON, each amount in its precision.

    The shared serializer reads amounts into minor units; accounting reads
    them again from the decimal strings sent here.
    """
    return {
        "items": [
            {
                **item,
                "amount": money.format_amount(item["amount"], item["currency"]),
            }
            for item in batch["items"]
        ]
    }


class CreditBatchCreateApi(_PartnerApi):
    """POST /partner/credit-batches: credits to many users at once."""

    rate_limit_scope = limits.MONEY
    parser_classes = [parsers.LargeJSONParser]
    # Read by the JSON parser (config.parsers); the server's own bound is
    # SPOOLED_BODY_PATHS.
    max_body_bytes = bounds.CREDIT_BATCH_MAX_BYTES

    @extend_schema_serializer(component_name="CreditBatch")
    class InputSerializer(credit_batches.CreditBatchInputSerializer):
        """The credits of a batch, in the order they are to apply."""

    OutputSerializer = CreditBatchSerializer

    @links(202, **_BATCH_LINKS)
    @extend_schema(
        operation_id="partner_credit_batches_create",
        summary="Send a credit batch",
        description=(
            "1 to 10,000 credits (`items`), a body of at most 8 MiB. Each "
            "credits `amount` in `currency` to one user, named by their id "
            "or the email they log in with, and is split between the "
            "user's main and savings by the user's own plan, as a credit "
            "they make themselves; its `source` is the partner's name and "
            "its `description` the item's `reference`.\n\n"
            "The whole batch is checked first: a member of the wrong type, "
            "an amount beyond its currency's precision or a currency this "
            "deployment does not take refuses the batch (400, `errors` "
            "names the item, `items.3.amount`), and so does a `reference` "
            "given to two items. Answers 202 with the batch and its "
            "`Location`; a worker applies it, and `GET "
            "/partner/credit-batches/{id}` tells where it stands.\n\n"
            "`Idempotency-Key` is required: the same key with the same "
            "items answers the first batch again (`Idempotent-Replayed: "
            "true`) and stores nothing; with other items, 422 "
            "`idempotency_key_reused`. Each item applies at most once, "
            "whatever fails in between, and a `reference` is credited at "
            "most once across all the partner's batches: sent again in "
            "another batch, that item is refused (`duplicate_reference`). "
            "An item that cannot apply (`user_not_found`, `user_inactive`, "
            "`account_not_open`, `account_closed`, `account_frozen`, "
            "`amount_not_above_flat_amount`) is refused; the others still "
            "apply."
        ),
        tags=[TAG_PARTNERS],
        request=InputSerializer,
        parameters=[
            BATCH_IDEMPOTENCY_KEY_PARAMETER,
            IDEMPOTENT_REPLAYED_HEADER,
            _LOCATION_HEADER,
        ],
        responses={
            202: OutputSerializer,
            **partner_problem_responses(
                {
                    400: [
                        Code.VALIDATION_ERROR,
                        Code.INVALID_AMOUNT,
                        Code.UNSUPPORTED_CURRENCY,
                        Code.INVALID_IDEMPOTENCY_KEY,
                    ],
                    422: [Code.IDEMPOTENCY_KEY_REUSED],
                },
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Payroll",
                value={
                    "items": [
                        {**item, "currency": "USD"} for item in _EXAMPLE_ITEMS
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Accepted",
                value={
                    **_EXAMPLE,
                    "status": "queued",
                    "items": {
                        "total": 3,
                        "applied": 0,
                        "refused": 0,
                        "pending": 3,
                    },
                    "completed_at": None,
                },
                response_only=True,
                status_codes=[202],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Checks the batch and its key, then sends it to accounting."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = idempotency_keys.required_from_headers(request.headers)
        upstream = services.credit_batch_create(
            key_id=request.user.key_id,
            data=_forwarded(serializer.validated_data),
            idempotency_key=key,
        )
        response = common.render(self.OutputSerializer, upstream)
        try:
            location = reverse(
                "api:partner-credit-batch", args=[response.data["id"]]
            )
        except NoReverseMatch as error:
            raise errors.BadGatewayError(
                "A service answered in an unexpected shape."
            ) from error
        response["Location"] = request.build_absolute_uri(location)
        return response


class CreditBatchDetailApi(_PartnerApi):
    """GET /partner/credit-batches/{id}: where one of our batches stands."""

    OutputSerializer = CreditBatchSerializer

    @links(
        200,
        ListCreditBatchItems=link(
            "partner_credit_batches_items_list", id="$response.body#/id"
        ),
    )
    @extend_schema(
        operation_id="partner_credit_batches_retrieve",
        summary="Read one of our credit batches",
        description=(
            "`status`: `queued`, `running`, then `completed`, or `failed` "
            "(it stopped too many times: `error` says so; what it applied "
            "stays applied). `items` counts the items, those applied, "
            "refused and still pending; the counts move with the money, "
            "never ahead of it. Another partner's batch answers 404 "
            "`batch_not_found`, as an unknown id does."
        ),
        tags=[TAG_PARTNERS],
        parameters=[_ID_PARAMETER],
        responses={
            200: OutputSerializer,
            **partner_problem_responses(_BATCH_NOT_FOUND),
        },
        examples=[
            OpenApiExample("Completed", value=_EXAMPLE, response_only=True)
        ],
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns the batch as accounting counts it now."""
        upstream = selectors.credit_batch_get(
            partner_id=request.user.partner_id, batch_id=str(id)
        )
        return common.render(self.OutputSerializer, upstream)


class CreditBatchItemListApi(_PartnerApi):
    """GET /partner/credit-batches/{id}/items: each credit's outcome."""

    @extend_schema_serializer(component_name="CreditBatchItemQuery")
    class FilterSerializer(StrictInputSerializer):
        """Which items, and where the page starts."""

        status = serializers.ChoiceField(
            choices=CREDIT_BATCH_ITEM_STATUSES,
            required=False,
            help_text="Only the items with this status.",
        )
        cursor = serializers.CharField(
            max_length=bounds.CURSOR_MAX_LENGTH,
            required=False,
            help_text="Opaque; take it from `next`.",
        )
        limit = serializers.IntegerField(
            min_value=1,
            max_value=bounds.MAX_PAGE_SIZE,
            default=bounds.MAX_PAGE_SIZE,
        )

    OutputSerializer = CreditBatchItemPageSerializer

    @extend_schema(
        operation_id="partner_credit_batches_items_list",
        summary="List the items of one of our credit batches",
        description=(
            "The items in the order they were sent (`position`), a page at "
            "a time, each as it was sent with its `status`: `pending`, "
            "`applied` (with the user's `transaction_id`) or `refused` "
            "(with `error`: `user_not_found`, `user_inactive`, "
            "`account_not_open`, `account_closed`, `account_frozen`, "
            "`amount_not_above_flat_amount` or `duplicate_reference`). "
            "`status` keeps one kind, so `?status=refused` lists what to "
            "look into; `next` is the next page's URL, null on the last."
        ),
        tags=[TAG_PARTNERS],
        parameters=[_ID_PARAMETER, FilterSerializer],
        responses={
            200: OutputSerializer,
            **partner_problem_responses(
                {400: [Code.VALIDATION_ERROR, Code.INVALID_CURSOR]},
                _BATCH_NOT_FOUND,
            ),
        },
        examples=[
            OpenApiExample(
                "Refused items",
                value={
                    "results": [
                        {
                            **_EXAMPLE_ITEMS[2],
                            "position": 2,
                            "currency": "USD",
                            "status": "refused",
                            "transaction_id": None,
                            "error": {
                                "code": "user_not_found",
                                "detail": "No user with that email.",
                            },
                        }
                    ],
                    "next": None,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns one page of the batch's items, with the next's URL."""
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        upstream = selectors.credit_batch_item_list(
            partner_id=request.user.partner_id,
            batch_id=str(id),
            params={
                name: str(value) for name, value in query.validated_data.items()
            },
        )
        return common.render(
            self.OutputSerializer,
            upstream,
            extra=common.next_page(request, upstream),
        )
