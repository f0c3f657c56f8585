"""Partners: their keys checked, their credit batches stored and read.

The gateway authenticates a partner's request by asking here
(``partner-keys/verify``) and then names the key or the partner in the
path. A batch is stored and queued at once (202); a worker applies it.
"""

import uuid
from http import HTTPStatus

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import errors, models, selectors, services, wire
from config import bounds, credit_batches, parsers
from config.idempotency import keys as idempotency_keys
from config.openapi import (
    BATCH_IDEMPOTENCY_KEY_PARAMETER,
    IDEMPOTENT_REPLAYED_HEADER,
    UNKNOWN_PATH,
    internal_problems,
    links,
)
from config.problems import Code
from config.serializers import StrictInputSerializer


@extend_schema_serializer(component_name="PartnerKey")
class PartnerKeySerializer(serializers.Serializer):
    """Who a key is and what it may do."""

    key_id = serializers.UUIDField()
    partner_id = serializers.UUIDField()
    partner_name = serializers.CharField()
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=models.PartnerKey.Scope.values)
    )
    rate_limit = serializers.CharField(allow_blank=True)


class PartnerKeyVerifyApi(APIView):
    """POST /partner-keys/verify: whose key a request presents."""

    @extend_schema_serializer(component_name="PartnerKeyVerifyInput")
    class InputSerializer(StrictInputSerializer):
        """The key as the client sent it."""

        key = serializers.CharField(max_length=200, trim_whitespace=False)

    @extend_schema(
        operation_id="partner_keys_verify",
        request=InputSerializer,
        responses={
            200: PartnerKeySerializer,
            **internal_problems(
                {
                    400: [Code.VALIDATION_ERROR, Code.MALFORMED_JSON],
                    401: [errors.ErrorCode.INVALID_API_KEY],
                    413: [Code.PAYLOAD_TOO_LARGE],
                    415: [Code.UNSUPPORTED_MEDIA_TYPE],
                }
            ),
        },
    )
    def post(self, request: Request) -> Response:
        """Returns the live key, noting its use; 401 for any other."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = services.key_authenticate(
            raw_key=serializer.validated_data["key"]
        )
        return Response(wire.partner_key_data(key))


class BatchItemsCountSerializer(serializers.Serializer):
    """How many items there are, applied, refused and still pending."""

    total = serializers.IntegerField()
    applied = serializers.IntegerField()
    refused = serializers.IntegerField()
    pending = serializers.IntegerField()


class ProblemCodeSerializer(serializers.Serializer):
    """Why: a problem code and its detail."""

    code = serializers.CharField()
    detail = serializers.CharField()


@extend_schema_serializer(component_name="CreditBatch")
class CreditBatchSerializer(serializers.Serializer):
    """A credit batch and where it stands."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=models.CreditBatch.Status.values)
    items = BatchItemsCountSerializer()
    error = ProblemCodeSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="CreditBatchItem")
class CreditBatchItemSerializer(serializers.Serializer):
    """One item of a batch and what became of it."""

    position = serializers.IntegerField()
    user = serializers.CharField()
    amount = serializers.CharField()
    currency = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(
        choices=models.CreditBatchItem.Status.values
    )
    transaction_id = serializers.UUIDField(allow_null=True)
    error = ProblemCodeSerializer(allow_null=True)


def _partner_link(operation: str, **parameters: str) -> dict:
    """Returns an OpenAPI link to an operation on the same partner."""
    return {"operationId": operation, "parameters": parameters}


class CreditBatchCreateApi(APIView):
    """POST /partner-keys/{key_id}/credit-batches: a batch to apply."""

    max_body_bytes = bounds.CREDIT_BATCH_MAX_BYTES
    parser_classes = [parsers.LargeJSONParser]

    @extend_schema_serializer(component_name="CreditBatchInput")
    class InputSerializer(credit_batches.CreditBatchInputSerializer):
        """The credits of the batch."""

    @extend_schema(
        operation_id="partner_credit_batches_create",
        parameters=[
            BATCH_IDEMPOTENCY_KEY_PARAMETER,
            IDEMPOTENT_REPLAYED_HEADER,
        ],
        request=InputSerializer,
        responses={
            202: CreditBatchSerializer,
            **internal_problems(
                {
                    400: [
                        Code.VALIDATION_ERROR,
                        Code.MALFORMED_JSON,
                        Code.INVALID_AMOUNT,
                        Code.UNSUPPORTED_CURRENCY,
                        Code.INVALID_IDEMPOTENCY_KEY,
                    ],
                    401: [errors.ErrorCode.INVALID_API_KEY],
                    413: [Code.PAYLOAD_TOO_LARGE],
                    415: [Code.UNSUPPORTED_MEDIA_TYPE],
                    422: [Code.IDEMPOTENCY_KEY_REUSED],
                },
                UNKNOWN_PATH,
            ),
        },
    )
    def post(self, request: Request, key_id: uuid.UUID) -> Response:
        """Stores the batch and queues it: 202 and the batch."""
        idempotency_key = idempotency_keys.required_from_headers(
            request.headers
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = selectors.partner_key_live(key_id=key_id)
        batch, replayed = services.credit_batch_create(
            key=key,
            items=[
                services.BatchItemInput(**item)
                for item in serializer.validated_data["items"]
            ],
            idempotency_key=idempotency_key,
        )
        return Response(
            wire.credit_batch_data(batch),
            status=HTTPStatus.ACCEPTED,
            headers=idempotency_keys.replayed_headers(replayed),
        )


_BATCH_NOT_FOUND = {404: [errors.ErrorCode.BATCH_NOT_FOUND, Code.NOT_FOUND]}


class CreditBatchDetailApi(APIView):
    """GET /partners/{partner_id}/credit-batches/{id}: where it stands."""

    @links(
        200,
        GetItems=_partner_link(
            "partner_credit_batch_items_list",
            partner_id="$request.path.partner_id",
            batch_id="$response.body#/id",
        ),
    )
    @extend_schema(
        operation_id="partner_credit_batches_get",
        parameters=[OpenApiParameter("batch_id", OpenApiTypes.STR, "path")],
        responses={
            200: CreditBatchSerializer,
            **internal_problems(_BATCH_NOT_FOUND),
        },
    )
    def get(
        self, request: Request, partner_id: uuid.UUID, batch_id: str
    ) -> Response:
        """Returns the batch with its counts so far."""
        del request
        batch = selectors.credit_batch_get(
            partner_id=partner_id, batch_id=batch_id
        )
        return Response(wire.credit_batch_data(batch))


class CreditBatchItemListApi(APIView):
    """GET /partners/{partner_id}/credit-batches/{id}/items: outcomes."""

    class FilterSerializer(StrictInputSerializer):
        """Which items, and where the page starts."""

        status = serializers.ChoiceField(
            choices=models.CreditBatchItem.Status.values, required=False
        )
        cursor = serializers.CharField(
            required=False, max_length=bounds.CURSOR_MAX_LENGTH
        )
        limit = serializers.IntegerField(
            min_value=1,
            max_value=bounds.MAX_PAGE_SIZE,
            default=bounds.MAX_PAGE_SIZE,
        )

    @extend_schema_serializer(component_name="CreditBatchItemPage")
    class OutputSerializer(serializers.Serializer):
        """A page of items and the cursor of the next."""

        results = CreditBatchItemSerializer(many=True)
        next_cursor = serializers.CharField(allow_null=True)

    @extend_schema(
        operation_id="partner_credit_batch_items_list",
        parameters=[
            OpenApiParameter("batch_id", OpenApiTypes.STR, "path"),
            FilterSerializer,
        ],
        responses={
            200: OutputSerializer,
            **internal_problems(
                {
                    400: [Code.VALIDATION_ERROR, Code.INVALID_CURSOR],
                    **_BATCH_NOT_FOUND,
                }
            ),
        },
    )
    def get(
        self, request: Request, partner_id: uuid.UUID, batch_id: str
    ) -> Response:
        """Returns a page of the batch's items in request order."""
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        batch = selectors.credit_batch_get(
            partner_id=partner_id, batch_id=batch_id
        )
        page = selectors.credit_batch_items(batch=batch, **query.validated_data)
        return Response(
            {
                "results": [
                    wire.credit_batch_item_data(item) for item in page.results
                ],
                "next_cursor": page.next_cursor,
            }
        )
