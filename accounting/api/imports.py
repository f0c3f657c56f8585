"""Statement imports: a CSV streamed in, then where its import stands.

The upload is read from the request stream chunk by chunk and stored as
it comes (``services.imports``): the file is never whole in memory, here
or in the worker that applies it.
"""

import collections
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

from accounting import errors, selectors, services, wire
from accounting.api.openapi import HOLDER, IDEMPOTENT, holder_link
from config import statements, uploads
from config.errors import DomainError
from config.idempotency import keys as idempotency_keys
from config.openapi import internal_problems, links
from config.problems import Code


class ImportRowsSerializer(serializers.Serializer):
    """How many rows were read, applied, already there, refused."""

    read = serializers.IntegerField()
    applied = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    refused = serializers.IntegerField()


class ImportRefusalSerializer(serializers.Serializer):
    """A row not applied: its line and why (a problem code)."""

    line = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()


class ImportErrorSerializer(serializers.Serializer):
    """Why a whole import stopped."""

    code = serializers.CharField()
    detail = serializers.CharField()


@extend_schema_serializer(component_name="Import")
class ImportSerializer(serializers.Serializer):
    """An import and where it stands."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=["queued", "running", "completed", "failed"]
    )
    currency = serializers.CharField()
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField()
    rows = ImportRowsSerializer()
    refusals = ImportRefusalSerializer(many=True)
    error = ImportErrorSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class ImportCreateApi(APIView):
    """POST /holders/{user_id}/imports: a statement (CSV) to import."""

    @extend_schema_serializer(component_name="ImportOptions")
    class InputSerializer(uploads.ImportOptionsSerializer):
        """The statement's currency, delimiter and column headers."""

    @links(
        202,
        GetImport=holder_link(
            "holder_imports_get", import_id="$response.body#/id"
        ),
    )
    @extend_schema(
        operation_id="holder_imports_create",
        parameters=[InputSerializer, *IDEMPOTENT],
        request={statements.CSV_MEDIA_TYPE: OpenApiTypes.BINARY},
        responses={
            202: ImportSerializer,
            **internal_problems(
                {
                    400: [
                        errors.ErrorCode.INVALID_IMPORT,
                        Code.UNSUPPORTED_CURRENCY,
                        Code.VALIDATION_ERROR,
                    ],
                    413: [Code.PAYLOAD_TOO_LARGE],
                    415: [Code.UNSUPPORTED_MEDIA_TYPE],
                    # A second upload with a key waits for the first to
                    # commit: a key is never answered "in flight" here.
                    422: [Code.IDEMPOTENCY_KEY_REUSED],
                },
                {400: [Code.INVALID_IDEMPOTENCY_KEY]},
                HOLDER,
            ),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Stores the statement and queues its import: 202 and the import."""
        key = idempotency_keys.from_headers(request.headers)
        options = self.InputSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        uploads.media_type_check(request)
        chosen = options.validated_data
        body = uploads.body_pieces(request)
        try:
            job, replayed = services.import_create(
                holder_id=user_id,
                pieces=body,
                idempotency_key=key,
                currency=chosen["currency"],
                delimiter=statements.DELIMITERS[chosen["delimiter"]],
                names=chosen["names"],
            )
        except DomainError:
            # Read the rest before answering: a server that closes on a
            # body still arriving may reset the connection, and the client
            # would never see why.
            collections.deque(body, maxlen=0)
            raise
        holder = selectors.holder_get(user_id=user_id)
        status = selectors.import_get(holder=holder, import_id=str(job.id))
        return Response(
            wire.import_data(status),
            status=HTTPStatus.ACCEPTED,
            headers=idempotency_keys.replayed_headers(replayed),
        )


class ImportDetailApi(APIView):
    """GET /holders/{user_id}/imports/{id}: where an import stands."""

    @extend_schema(
        operation_id="holder_imports_get",
        parameters=[
            OpenApiParameter("import_id", OpenApiTypes.STR, "path"),
        ],
        responses={
            200: ImportSerializer,
            **internal_problems(
                {404: [errors.ErrorCode.IMPORT_NOT_FOUND]}, HOLDER
            ),
        },
    )
    def get(
        self, request: Request, user_id: uuid.UUID, import_id: str
    ) -> Response:
        """Returns the import with its counts so far."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        status = selectors.import_get(holder=holder, import_id=import_id)
        return Response(wire.import_data(status))
