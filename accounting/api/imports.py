"""Statement imports: a CSV streamed in, then where its import stands.

The upload is read from the request stream chunk by chunk and stored as
it comes (``services.imports``): the file is never whole in memory, here
or in the worker that applies it.
"""

import uuid
from collections.abc import Iterator
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
from config import statements
from config.idempotency import keys as idempotency_keys
from config.openapi import IDEMPOTENT_WRITE, internal_problems, links
from config.problems import Code

# What one read of the request stream takes.
READ_BYTES = 64 * 1024


def _stream(request: Request) -> Iterator[bytes]:
    """Yields the request body as it arrives."""
    stream = request.stream
    if stream is None:
        return
    while piece := stream.read(READ_BYTES):
        yield piece


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

    InputSerializer = extend_schema_serializer(component_name="ImportOptions")(
        type("InputSerializer", (statements.ImportOptionsSerializer,), {})
    )

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
                },
                IDEMPOTENT_WRITE,
                HOLDER,
            ),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Stores the statement and queues its import: 202 and the import."""
        key = idempotency_keys.from_headers(request.headers)
        options = self.InputSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        statements.media_type_check(request)
        chosen = options.validated_data
        job, replayed = services.import_create(
            holder_id=user_id,
            pieces=_stream(request),
            idempotency_key=key,
            currency=chosen["currency"],
            delimiter=statements.DELIMITERS[chosen["delimiter"]],
            names=chosen["names"],
        )
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
