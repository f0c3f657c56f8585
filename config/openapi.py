"""How every service documents its errors in its OpenAPI schema.

Every error is an RFC 9457 problem document, sent as
``application/problem+json``; each operation lists, per status, the stable
codes it may answer, with one example each, so a client can branch on
``code`` without reading the source. A service describes once what all its
operations share (the credential it checks, the failures any call may
meet) in a :class:`ProblemDocs`; each operation adds its own codes. The
internal APIs of users and accounting share :data:`internal_problems`;
the gateway builds its own from the same class.

Operations that feed others (a goal created, then read by its id) say so
with :func:`links`: OpenAPI links, which clients and Schemathesis's stateful
tests follow from one call to the next.
"""

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from drf_spectacular import openapi
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema_serializer,
)
from rest_framework import serializers

from config import problems, ranges, request_ids
from config.fields import LabelField
from config.idempotency import keys as idempotency_keys
from config.problems import Code
from config.serializers import StrictInputSerializer

PROBLEM_MEDIA_TYPE = problems.PROBLEM_CONTENT_TYPE
# The request id of every example problem (a real one is random).
EXAMPLE_REQUEST_ID = "4bf92f3577b34da6a3ce929d0e0e4736"

_LINKS = "openapi_links"

# Per HTTP status, the problem codes an operation may answer with it.
StatusCodes = Mapping[int, Iterable[str]]

# An internal API's credential refused: any of its operations but health.
SERVICE_CREDENTIAL: StatusCodes = {
    401: (Code.NOT_AUTHENTICATED, Code.INVALID_TOKEN)
}
# What an operation that reads a JSON body may answer about the body.
JSON_BODY: StatusCodes = {
    400: (Code.MALFORMED_JSON, Code.VALIDATION_ERROR),
    413: (Code.PAYLOAD_TOO_LARGE,),
    415: (Code.UNSUPPORTED_MEDIA_TYPE,),
}
# What a POST that takes an Idempotency-Key may answer about the key.
IDEMPOTENT_WRITE: StatusCodes = {
    400: (Code.INVALID_IDEMPOTENCY_KEY,),
    409: (Code.IDEMPOTENCY_KEY_IN_FLIGHT,),
    422: (Code.IDEMPOTENCY_KEY_REUSED,),
}
# A path segment its route refuses (an id that is not a UUID): no route.
UNKNOWN_PATH: StatusCodes = {404: (Code.NOT_FOUND,)}
# The example ``detail`` of shared codes; a service adds its own.
DETAILS: Mapping[str, str] = {
    Code.VALIDATION_ERROR: "email: This field is required.",
    Code.MALFORMED_JSON: "Malformed JSON: Expecting value: line 1 column 1.",
    Code.INVALID_AMOUNT: "USD amounts have at most 2 decimal places.",
    Code.UNSUPPORTED_CURRENCY: "Unsupported currency 'XYZ'.",
    Code.INVALID_DATETIME: "Expected an RFC 3339 timestamp with an offset.",
    Code.INVALID_RANGE: ranges.MESSAGE,
    Code.RATE_LIMITED: "Request was throttled.",
}


# The Idempotency-Key of every POST that creates something (money moved, a
# user, a goal, a group), and the header of a replayed answer.
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=idempotency_keys.HEADER,
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency_keys.MAX_LENGTH,
        "pattern": idempotency_keys.PATTERN,
    },
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        f"1-{idempotency_keys.MAX_LENGTH} printable ASCII characters, scoped "
        "to the caller. The same key with the same body answers the original "
        "status and body again (with `Idempotent-Replayed: true`) and "
        "applies nothing twice; with another body: 422 "
        "`idempotency_key_reused`; while the first request runs: 409 "
        "`idempotency_key_in_flight`. Kept at least 24 hours."
    ),
)
# A partner's batch must carry one: it pays thousands of people.
BATCH_IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=idempotency_keys.HEADER,
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency_keys.MAX_LENGTH,
        "pattern": idempotency_keys.PATTERN,
    },
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        f"1-{idempotency_keys.MAX_LENGTH} printable ASCII characters, scoped "
        "to the partner; required. The same key with the same items answers "
        "the first batch again, with `Idempotent-Replayed: true`; with other "
        "items: 422 `idempotency_key_reused`."
    ),
)
IDEMPOTENT_REPLAYED_HEADER = OpenApiParameter(
    name=idempotency_keys.REPLAYED_HEADER,
    type={"type": "string", "enum": ["true"]},
    location=OpenApiParameter.HEADER,
    # 201: what was created; 202: what was accepted (a statement import).
    response=[201, 202],
    description="`true` when this answer replays an earlier request.",
)


@extend_schema_serializer(component_name="Problem")
class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, the body of every error."""

    type = serializers.CharField(
        help_text="A URI naming the problem type (urn:savings:problem:...)."
    )
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(
        help_text="What went wrong with this request, for humans."
    )
    code = serializers.CharField(
        help_text="A stable machine-readable code; branch on this."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors per field: {field: [message]}.",
    )
    request_id = serializers.CharField(
        max_length=request_ids.MAX_LENGTH,
        help_text=(
            "The request's id, also in the `X-Request-ID` response header "
            "and in every log line the request caused: quote it when "
            "reporting a problem."
        ),
    )


def merge(groups: Iterable[StatusCodes]) -> dict[int, list[str]]:
    """Merges status-to-codes mappings, keeping each code once, in order."""
    merged: dict[int, list[str]] = {}
    for group in groups:
        for status, codes in group.items():
            bucket = merged.setdefault(status, [])
            bucket.extend(str(code) for code in codes if code not in bucket)
    return merged


@dataclasses.dataclass(frozen=True)
class ProblemDocs:
    """The documented errors of one service's operations.

    Called with an operation's own codes, it answers the ``responses`` of
    ``extend_schema`` for its errors: per status, the ``Problem`` component
    in ``application/problem+json``, listing the codes, with one example
    per code.

    Attributes:
        credential: What an operation that needs the service's credential
            answers when it is missing or refused.
        always: What any operation of the service may answer.
        details: Example ``detail`` per code, over :data:`DETAILS` (else
            the status phrase).
    """

    credential: StatusCodes
    always: StatusCodes = dataclasses.field(default_factory=dict)
    details: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __call__(
        self,
        *groups: StatusCodes,
        authenticated: bool = True,
        json_body: bool = False,
    ) -> dict[tuple[int, str], OpenApiResponse]:
        """Builds the documented error responses of an operation.

        Args:
            *groups: The operation's own codes per status.
            authenticated: The operation needs the credential.
            json_body: The operation reads a JSON body (:data:`JSON_BODY`).

        Returns:
            ``extend_schema`` responses keyed by ``(status, media type)``.
        """
        merged = merge(
            [
                *([JSON_BODY] if json_body else []),
                *([self.credential] if authenticated else []),
                *groups,
                self.always,
            ]
        )
        return {
            (status, PROBLEM_MEDIA_TYPE): OpenApiResponse(
                response=ProblemSerializer,
                description="Problem codes: "
                + ", ".join(f"`{code}`" for code in codes)
                + ".",
                examples=[self._example(status, code) for code in codes],
            )
            for status, codes in sorted(merged.items())
        }

    def _example(self, status: int, code: str) -> OpenApiExample:
        """Returns an example problem body for one code."""
        detail = self.details.get(code) or DETAILS.get(code, "")
        body: dict[str, Any] = problems.problem_body(
            status=status,
            code=code,
            detail=detail,
            request_id=EXAMPLE_REQUEST_ID,
        )
        if code == Code.VALIDATION_ERROR:
            body["errors"] = {"email": ["This field is required."]}
        return OpenApiExample(name=code, value=body, response_only=True)


# The internal APIs of users and accounting: the service credential, and
# their database out for a moment (``config.problems.outage``).
internal_problems = ProblemDocs(
    credential=SERVICE_CREDENTIAL,
    always={503: (Code.DATABASE_UNAVAILABLE,)},
    details={
        Code.NOT_AUTHENTICATED: "A service credential is required.",
        Code.INVALID_TOKEN: "Invalid service credential.",
    },
)


Handler = TypeVar("Handler", bound=Callable[..., Any])


def links(status: int, **targets: Mapping[str, Any]) -> Callable[..., Any]:
    """Declares the OpenAPI links of a view method's response.

    Args:
        status: The response the links start from (201, 200, ...).
        **targets: Per link name, an OpenAPI Link object: the target
            ``operationId`` and its ``parameters`` (``requestBody``)
            as runtime expressions, such as ``$response.body#/id`` or
            ``$request.path.user_id``.

    Returns:
        A decorator for the view method (with or without
        ``extend_schema``, in any order).
    """

    def declare(handler: Handler) -> Handler:
        declared = getattr(handler, _LINKS, {})
        setattr(handler, _LINKS, {**declared, str(status): targets})
        return handler

    return declare


# What a DRF text field reads: no NUL character (PostgreSQL text holds
# none), and, unless blank is allowed, a character that is not whitespace
# (surrounding whitespace is stripped before the checks).
_TEXT = "^[^\\u0000]*$"
_NOT_BLANK = "^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$"
# The fields that read plain text (a label is normalised, then bounded).
_PLAIN_TEXT = (serializers.CharField, LabelField)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, as exact as the fields it describes.

    Adds what drf-spectacular leaves out: the links declared by
    :func:`links`, the members a strict request refuses, what a DRF text
    field refuses (a NUL character; unless blank is allowed, nothing but
    whitespace), how many items a list of objects takes (a partner's
    batch) and that a body of several shapes is required.
    """

    def _map_basic_serializer(
        self, serializer: serializers.Serializer, direction: str
    ) -> dict[str, Any]:
        """Maps a serializer, with what it refuses.

        Only requests (a response states what was stored): a strict
        serializer takes no other member than its fields
        (``config.serializers``), and a plain text field gets its pattern,
        added after drf-spectacular's validators, which would wrap a
        blank-allowing field that has one in a ``oneOf`` matching ``""``
        twice.
        """
        schema = super()._map_basic_serializer(serializer, direction)
        if direction != "request":
            return schema
        if isinstance(serializer, StrictInputSerializer):
            schema["additionalProperties"] = False
        for name, field in serializer.fields.items():
            prop = schema["properties"].get(name, {})
            plain_text = (
                type(field) in _PLAIN_TEXT
                and prop.get("type") == "string"
                and not {"pattern", "enum", "format"} & set(prop)
            )
            if plain_text:
                blank = field.allow_blank or not field.trim_whitespace
                prop["pattern"] = _TEXT if blank else _NOT_BLANK
            if isinstance(field, serializers.ListSerializer):
                fewest = field.min_length or (0 if field.allow_empty else 1)
                if fewest:
                    prop["minItems"] = fewest
                if field.max_length is not None:
                    prop["maxItems"] = field.max_length
        return schema

    def _get_request_for_media_type(
        self, serializer: Any, direction: str = "request"
    ) -> tuple[Any, bool]:
        """Maps a request body; one of several shapes is required too.

        drf-spectacular marks a body required when its serializer has a
        required field, but not a body of several shapes: it is required
        when each shape has one.
        """
        schema, required = super()._get_request_for_media_type(
            serializer, direction
        )
        if isinstance(serializer, PolymorphicProxySerializer):
            required = all(
                any(field.required for field in shape().fields.values())
                for shape in serializer.serializers
            )
        return schema, required

    def get_operation(self, *args: Any, **kwargs: Any) -> dict | None:
        """Returns the operation, its responses carrying their links."""
        operation = super().get_operation(*args, **kwargs)
        handler = getattr(self.view, self.method.lower(), None)
        declared = getattr(handler, _LINKS, {})
        for status, targets in declared.items():
            operation["responses"][status]["links"] = dict(targets)
        return operation
