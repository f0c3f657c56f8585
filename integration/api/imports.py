"""POST /imports and GET /imports/{id}: bank statements, imported.

The statement (CSV) is not parsed here: its options are checked, and its
bytes go to accounting as they are read. The gateway's server spools the
body to disk before a thread takes the request (``config/request_bodies.
py``), so neither a slow client nor a large file holds a thread or the
memory; accounting stores it the same way and a worker applies it.
"""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import statements, uploads
from config.idempotency import keys as idempotency_keys
from config.openapi import links
from config.problems import Code
from integration import clients, limits, selectors, services
from integration.api import common
from integration.api.schema import (
    IDEMPOTENT_PARAMETERS,
    NOT_READY,
    RETRY_AFTER_HEADER,
    TAG_PERSONAL_FINANCE,
    link,
    problem_responses,
)
from integration.api.serializers import EXAMPLE_AT, ImportSerializer
from integration.errors import ErrorCode

_EXAMPLE_ID = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"
_EXAMPLE = {
    "id": _EXAMPLE_ID,
    "status": "completed",
    "currency": "USD",
    "size_bytes": 112,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015"
    "a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "rows": {"read": 3, "applied": 2, "duplicate": 0, "refused": 1},
    "refusals": [
        {
            "line": 4,
            "code": "insufficient_funds",
            "detail": "The main account holds 37.60 USD.",
        }
    ],
    "error": None,
    "created_at": EXAMPLE_AT,
    "completed_at": EXAMPLE_AT,
}
_STATEMENT = (
    "date,amount,description,category,source\n"
    "2026-11-02,1000.00,November salary,,salary\n"
    "2026-11-03,-12.40,Bus,transport,\n"
    "2026-11-04,-2000.00,Rent,housing,\n"
)


class ImportCreateApi(APIView):
    """POST /imports: a bank statement to apply as dated records."""

    rate_limit_scope = limits.MONEY

    @extend_schema_serializer(component_name="ImportOptions")
    class InputSerializer(uploads.ImportOptionsSerializer):
        """The statement's currency, delimiter and column headers."""

    OutputSerializer = ImportSerializer

    @links(202, GetImport=link("imports_retrieve", id="$response.body#/id"))
    @extend_schema(
        operation_id="imports_create",
        summary="Import a bank statement (CSV)",
        description=(
            "The body is the file itself, `Content-Type: text/csv`, UTF-8, "
            "at most 32 MiB: a header row, then one income (a positive "
            "`amount`: a credit) or expense (a negative one: a withdrawal) "
            "per row. Columns: `date` (a date or an RFC 3339 instant, not "
            "in the future) and `amount` are required; `description`, "
            "`source` (of income), `category` (of expenses), `currency` "
            "and `reference` (the bank's id of the row) are read when "
            "present, other columns are ignored. Name a column your bank "
            "calls otherwise with `<field>_column` "
            "(`date_column=Booking date`).\n\n"
            "Answers 202 with the import; a worker applies it, and `GET "
            "/imports/{id}` tells where it stands. Each row applies once "
            "whatever is sent again: a row is known by its `reference`, or "
            "by its content and its rank among identical rows of its file, "
            "so importing a statement twice, or one that overlaps an "
            "earlier one, applies only what is new. Rows are dated "
            "records: money moves when the worker applies them; reports "
            "and `GET /transactions` count them on their `date`. A row "
            "that cannot apply is refused with a problem code; the rest "
            "still apply."
        ),
        tags=[TAG_PERSONAL_FINANCE],
        request={statements.CSV_MEDIA_TYPE: OpenApiTypes.BINARY},
        parameters=[InputSerializer, *IDEMPOTENT_PARAMETERS],
        responses={
            202: OutputSerializer,
            **problem_responses(
                {
                    400: [
                        ErrorCode.INVALID_IMPORT,
                        Code.UNSUPPORTED_CURRENCY,
                        Code.VALIDATION_ERROR,
                        Code.INVALID_IDEMPOTENCY_KEY,
                    ],
                    413: [Code.PAYLOAD_TOO_LARGE],
                    415: [Code.UNSUPPORTED_MEDIA_TYPE],
                    422: [Code.IDEMPOTENCY_KEY_REUSED],
                },
                NOT_READY,
            ),
        },
        examples=[
            OpenApiExample(
                "Statement",
                value=_STATEMENT,
                media_type=statements.CSV_MEDIA_TYPE,
                request_only=True,
            ),
            OpenApiExample(
                "Accepted",
                value={
                    **_EXAMPLE,
                    "status": "queued",
                    "rows": {
                        "read": 0,
                        "applied": 0,
                        "duplicate": 0,
                        "refused": 0,
                    },
                    "refusals": [],
                    "completed_at": None,
                },
                response_only=True,
                status_codes=[202],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Checks the options, then streams the statement to accounting."""
        key = idempotency_keys.from_headers(request.headers)
        options = self.InputSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        uploads.media_type_check(request)
        upstream = services.import_create(
            user_id=common.caller_id(request),
            upload=clients.Upload(
                media_type=statements.CSV_MEDIA_TYPE,
                length=uploads.body_length(request),
                pieces=uploads.body_pieces(request),
            ),
            params=uploads.ImportOptionsSerializer.as_query(
                options.validated_data
            ),
            idempotency_key=key,
        )
        return common.render(self.OutputSerializer, upstream)


class ImportDetailApi(APIView):
    """GET /imports/{id}: where one of my imports stands."""

    OutputSerializer = ImportSerializer

    @extend_schema(
        operation_id="imports_retrieve",
        summary="Read one of my imports",
        description=(
            "`status`: `queued`, `running`, then `completed` or `failed` "
            "(the file stopped being CSV at a line, or I was deleted: "
            "`error` says which; the rows before it still count). `rows` "
            "counts what was read, applied, already applied before "
            "(`duplicate`) and refused; `refusals` lists the first 100 "
            "refused rows with their line and code. Another user's import "
            "answers 404 `import_not_found`."
        ),
        tags=[TAG_PERSONAL_FINANCE],
        parameters=[
            OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            RETRY_AFTER_HEADER,
        ],
        responses={
            200: OutputSerializer,
            **problem_responses(
                {404: [ErrorCode.IMPORT_NOT_FOUND, Code.NOT_FOUND]}, NOT_READY
            ),
        },
        examples=[
            OpenApiExample("Completed", value=_EXAMPLE, response_only=True)
        ],
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns the import as accounting counts it now."""
        upstream = selectors.import_get(
            user_id=common.caller_id(request), import_id=str(id)
        )
        return common.render(self.OutputSerializer, upstream)
