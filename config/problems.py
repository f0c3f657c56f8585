"""RFC 9457 problem details for every error every service returns.

One exception handler turns every failure into ``application/problem+json``
with ``type``, ``title``, ``status``, ``detail``, a stable, lowercase
``code`` and the ``request_id`` every log line of the request carries
(``config.request_ids``); validation failures add ``errors: {field:
[message, ...]}``.
Services raise a :class:`~config.errors.DomainError`, a code without a
status: each service names its handler (``REST_FRAMEWORK
["EXCEPTION_HANDLER"]``), built by :func:`exception_handler_for` from its
map of codes to statuses (``<app>/api/problems.py``). The HTTP edge itself
(middleware, header checks) raises :class:`ProblemError`, which has its
status; framework errors (bad JSON, wrong method, missing token, ...) are
mapped here. Django's own 404 and 500 pages are replaced too, so no HTML
page or stack trace ever leaves a service.
"""

import logging
import math
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

from config import request_ids
from config.errors import OUTAGE_RETRY_AFTER, Code, DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:savings:problem:"

logger = logging.getLogger(__name__)

# Per code, the HTTP status a service answers a domain error with.
Statuses = Mapping[str, int]
# The shared codes that services raise as domain errors (the framework's
# own errors carry their status): each service's map starts from these.
SHARED_STATUSES: Statuses = {
    Code.VALIDATION_ERROR: 400,
    Code.INVALID_AMOUNT: 400,
    Code.INVALID_RANGE: 400,
    Code.INVALID_CURSOR: 400,
    Code.INVALID_TOKEN: 401,
    Code.IDEMPOTENCY_KEY_IN_FLIGHT: 409,
    Code.IDEMPOTENCY_KEY_REUSED: 422,
}

# Field-level validation codes that name the whole problem when they occur:
# a bad amount is ``invalid_amount`` rather than a generic validation error.
_SURFACED_FIELD_CODES = frozenset(
    {
        Code.INVALID_AMOUNT,
        Code.UNSUPPORTED_CURRENCY,
        Code.INVALID_DATETIME,
        Code.INVALID_RANGE,
        Code.INVALID_CURSOR,
    }
)


class ProblemError(Exception):
    """A failure of the HTTP edge, with the status it answers.

    Raised where a request is read (middleware, headers, serializers) and
    by this module's mappings; services raise a ``DomainError`` instead.

    Attributes:
        status: The HTTP status code.
        code: The stable machine-readable code.
        detail: A human-readable explanation of this occurrence.
        errors: Optional per-field messages.
        headers: Optional extra response headers (``Retry-After``, ...).
    """

    def __init__(
        self,
        *,
        status: int,
        code: str,
        detail: str = "",
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = str(code)
        self.detail = detail
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers) if headers else {}


class PayloadTooLargeError(exceptions.APIException):
    """The request body exceeds ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = Code.PAYLOAD_TOO_LARGE


def problem_body(
    *,
    status: int,
    code: str,
    detail: str = "",
    errors: Mapping[str, list[str]] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Builds the JSON body of a problem-details response.

    Args:
        status: The HTTP status code.
        code: The stable machine-readable code.
        detail: A human-readable explanation; defaults to the title.
        errors: Optional per-field messages.
        request_id: The id of the request; defaults to the one being
            served. Outside any request (none given, none current) the
            body has no ``request_id``.

    Returns:
        The problem document as a dict.
    """
    title = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": str(code),
    }
    if errors:
        body["errors"] = dict(errors)
    if request_id := request_id or request_ids.current():
        body["request_id"] = request_id
    return body


def problem_document(error: ProblemError) -> dict[str, Any]:
    """Returns the body of a :class:`ProblemError`'s response."""
    return problem_body(
        status=error.status,
        code=error.code,
        detail=error.detail,
        errors=error.errors,
    )


def problem_response(error: ProblemError) -> Response:
    """Renders a :class:`ProblemError` as a DRF response."""
    return Response(
        problem_document(error),
        status=error.status,
        headers=error.headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flattens DRF's nested error detail into ``{"a.b": [message]}``."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    key = prefix.rstrip(".") or "non_field_errors"
    flat = {}
    for index, message in enumerate(messages):
        if isinstance(message, Mapping | list):
            flat.update(_flatten(message, f"{key}.{index}."))
        else:
            flat.setdefault(key, []).append(str(message))
    return flat


def _first_code(detail: Any) -> str | None:
    """Returns the code of the first error in a DRF error detail."""
    if isinstance(detail, Mapping):
        for value in detail.values():
            code = _first_code(value)
            if code:
                return code
        return None
    if isinstance(detail, list):
        return _first_code(detail[0]) if detail else None
    return getattr(detail, "code", None)


def _validation_problem(exc: exceptions.ValidationError) -> ProblemError:
    """Maps a DRF validation error to a 400 problem."""
    first = _first_code(exc.detail)
    code = first if first in _SURFACED_FIELD_CODES else Code.VALIDATION_ERROR
    errors = _flatten(exc.detail)
    detail = next(iter(errors.values()))[0] if errors else "Invalid input."
    return ProblemError(status=400, code=code, detail=detail, errors=errors)


_API_EXCEPTION_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: Code.MALFORMED_JSON,
    exceptions.UnsupportedMediaType: Code.UNSUPPORTED_MEDIA_TYPE,
    exceptions.NotAuthenticated: Code.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: Code.INVALID_TOKEN,
    exceptions.PermissionDenied: Code.PERMISSION_DENIED,
    exceptions.NotFound: Code.NOT_FOUND,
    exceptions.MethodNotAllowed: Code.METHOD_NOT_ALLOWED,
    exceptions.NotAcceptable: Code.NOT_ACCEPTABLE,
    exceptions.Throttled: Code.RATE_LIMITED,
    PayloadTooLargeError: Code.PAYLOAD_TOO_LARGE,
}


def outage(code: str, what: str) -> ProblemError:
    """Returns the 503 of a dependency that is out for a moment.

    Args:
        code: The stable code naming the dependency.
        what: The dependency, as the detail names it.

    Returns:
        503 with ``Retry-After``: nothing was done, the same request may be
        sent again (with the same ``Idempotency-Key`` for a money POST).
    """
    return ProblemError(
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        code=code,
        detail=f"{what} is unavailable for a moment; retry later.",
        headers={"Retry-After": str(OUTAGE_RETRY_AFTER)},
    )


def _outage_problem(exc: Exception) -> ProblemError | None:
    """Maps a lost or refused database connection to its 503, logged.

    Redis is no such dependency: the caches that use it fall back to the
    database, and the gateway's limits let requests through.
    """
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("The database is unavailable: %r", exc)
        return outage(Code.DATABASE_UNAVAILABLE, "The database")
    return None


def domain_problem(error: DomainError, statuses: Statuses) -> ProblemError:
    """Maps a domain error to its problem with a service's statuses.

    Args:
        error: The error a service or selector raised.
        statuses: The service's map of codes to statuses.

    Returns:
        The problem: the code's status, the error's detail and field
        errors, and ``Retry-After`` when the error says when to retry.

    Raises:
        LookupError: The code has no status in the map (a code added
            without one): the request fails as a 500, and the service's
            tests that reach it fail.
    """
    try:
        status = statuses[error.code]
    except KeyError:
        message = f"The code {error.code!r} has no HTTP status in the map."
        raise LookupError(message) from None
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return ProblemError(
        status=status,
        code=error.code,
        detail=error.detail,
        errors=error.errors,
        headers=headers,
    )


def to_problem(
    exc: Exception, statuses: Statuses = SHARED_STATUSES
) -> ProblemError | None:
    """Maps any exception a view may raise to a problem, if it is known.

    Args:
        exc: The exception raised while handling a request.
        statuses: The service's map of domain error codes to statuses.

    Returns:
        The problem to render, or None for an unexpected error (a 500).
    """
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, DomainError):
        return domain_problem(exc, statuses)
    if (problem := _outage_problem(exc)) is not None:
        return problem
    if isinstance(exc, RequestDataTooBig):
        # Django refuses the body before any parser sees it.
        exc = PayloadTooLargeError()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return _validation_problem(exc)
    if not isinstance(exc, exceptions.APIException):
        return None
    code = next(
        (
            code
            for cls, code in _API_EXCEPTION_CODES.items()
            if isinstance(exc, cls)
        ),
        getattr(exc, "default_code", Code.VALIDATION_ERROR),
    )
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(math.ceil(exc.wait))
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return ProblemError(
        status=exc.status_code, code=code, detail=detail, headers=headers
    )


ExceptionHandler = Callable[[Exception, dict], Response | None]


def exception_handler_for(statuses: Statuses) -> ExceptionHandler:
    """Builds a service's DRF exception handler from its statuses.

    Args:
        statuses: The service's map of domain error codes to statuses.

    Returns:
        The handler: every known error becomes problem+json; anything
        else is left to Django's 500 handler (it answers None).
    """

    def handle(exc: Exception, context: dict) -> Response | None:
        del context
        problem = to_problem(exc, statuses)
        if problem is None:
            return None
        return problem_response(problem)

    return handle


# The handler of shared code alone; each service names its own.
exception_handler = exception_handler_for(SHARED_STATUSES)


def problem_json_response(error: ProblemError) -> JsonResponse:
    """Renders a problem outside DRF (middleware, Django's error handlers).

    Args:
        error: The problem.

    Returns:
        The ``application/problem+json`` response, with its headers.
    """
    return JsonResponse(
        problem_document(error),
        status=error.status,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=error.headers,
    )


def _json_problem(status: int, code: str, detail: str = "") -> JsonResponse:
    """Builds a problem response for one of Django's error handlers."""
    return problem_json_response(
        ProblemError(status=status, code=code, detail=detail)
    )


def handler400(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Django's bad-request handler (bad Host header, oversized body...)."""
    del request, exception
    return _json_problem(400, Code.VALIDATION_ERROR, "Bad request.")


def handler403(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Django's permission-denied handler."""
    del request, exception
    return _json_problem(403, Code.PERMISSION_DENIED)


def handler404(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Django's not-found handler: unknown URLs answer problem+json."""
    del exception
    return _json_problem(404, Code.NOT_FOUND, f"No resource at {request.path}.")


def handler500(request: HttpRequest) -> JsonResponse:
    """Django's server-error handler: no stack trace, ever."""
    del request
    return _json_problem(
        500, Code.INTERNAL_ERROR, "An unexpected error occurred."
    )
