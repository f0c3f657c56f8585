"""How every service documents its errors in its OpenAPI schema.

Every error is an RFC 9457 problem document, sent as
``application/problem+json``; each operation lists, per status, the stable
codes it may answer, with one example each, so a client can branch on
``code`` without reading the source. A service describes once what all its
operations share (the credential it checks, the failures any call may
meet) in a :class:`ProblemDocs`; each operation adds its own codes. The
internal APIs of users and accounting share :data:`internal_problems`;
the gateway builds its own from the same class. Both internal APIs serve
their schema through :func:`internal_schema_view`.
"""

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema_serializer,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers

from config import problems
from config.problems import Code
from config.service_auth import IsService

PROBLEM_MEDIA_TYPE = problems.PROBLEM_CONTENT_TYPE

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
# A path segment its route refuses (an id that is not a UUID): no route.
UNKNOWN_PATH: StatusCodes = {404: (Code.NOT_FOUND,)}
# The example ``detail`` of shared codes; a service adds its own.
DETAILS: Mapping[str, str] = {
    Code.VALIDATION_ERROR: "email: This field is required.",
    Code.MALFORMED_JSON: "Malformed JSON: Expecting value: line 1 column 1.",
    Code.INVALID_AMOUNT: "USD amounts have at most 2 decimal places.",
    Code.UNSUPPORTED_CURRENCY: "Unsupported currency 'XYZ'.",
    Code.INVALID_DATETIME: "Expected an RFC 3339 timestamp with an offset.",
    Code.INVALID_RANGE: "`from` is after `to`.",
    Code.RATE_LIMITED: "Request was throttled.",
}


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
            status=status, code=code, detail=detail
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


def internal_schema_view() -> Callable[..., Any]:
    """Returns the view serving an internal API's OpenAPI schema.

    Only the gateway reads it, with the service credential. JSON unless
    YAML is asked for (``?format=yaml``, ``Accept: application/yaml``);
    ``Accept: application/json`` is answered too, not only the OpenAPI
    media types (``application/vnd.oai.openapi+json``).
    """
    return SpectacularAPIView.as_view(
        permission_classes=[IsService],
        renderer_classes=[
            OpenApiJsonRenderer,
            OpenApiJsonRenderer2,
            OpenApiYamlRenderer,
            OpenApiYamlRenderer2,
        ],
    )
