"""What every public view shares: the caller, amounts, ranges, rendering.

Views stay three lines long (parse, call one service function, render) by
leaning on these helpers.
"""

import decimal
import functools
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from config import fields, money, ranges
from config.problems import Code
from integration import errors
from integration.clients import UpstreamResponse

# What a serializer raises when a service's answer does not fit its shape.
_SHAPE_ERRORS = (KeyError, AttributeError, TypeError, ValueError)
# ``extra`` of a list that always fits one page: ``next`` is always null.
NO_NEXT_PAGE = {"next": None}


def caller_id(request: Request) -> str:
    """Returns the caller's user id (a UUID string from the token)."""
    return str(request.user.id)


def range_check(query: dict[str, Any]) -> None:
    """Refuses a query whose ``from`` is after its ``to``.

    Raises:
        ValidationError: ``invalid_range``.
    """
    if not ranges.ordered(query.get("from"), query.get("to")):
        raise serializers.ValidationError(
            ranges.MESSAGE, code=Code.INVALID_RANGE
        )


def amount_in(
    amount: decimal.Decimal, currency: str, *, field: str = "amount"
) -> str:
    """Checks an amount against its currency and formats it.

    Formatting makes the same request always forward the same body, so
    that accounting hashes a retry the same for idempotency.

    Args:
        amount: The exact amount as parsed (positive).
        currency: Its currency, a supported code.
        field: The request field that holds it, named in the error.

    Returns:
        The amount in the currency's precision (``"100.50"``, ``"7"``).

    Raises:
        ValidationError: ``invalid_amount`` on ``field``: too many decimals
            for the currency, or above the per-operation maximum.
    """
    with fields.amount_errors(field):
        minor = money.to_minor(amount, currency)
    return money.format_amount(minor, currency)


def exact_amount(amount: decimal.Decimal, *, field: str = "amount") -> str:
    """Checks an amount whose currency only accounting knows; formats it.

    A goal's new target or a group contribution may leave the currency
    out: it is then the goal's or the group's, which the gateway does not
    know. The maximum is checked here; the precision, by accounting.

    Args:
        amount: The exact amount as parsed (positive).
        field: The request field that holds it, named in the error.

    Returns:
        The amount as a plain decimal string, exactly as sent.

    Raises:
        ValidationError: ``invalid_amount`` on ``field``: above the
            per-operation maximum.
    """
    with fields.amount_errors(field):
        money.check_maximum(amount)
    return format(amount, "f")


@functools.cache
def _output(serializer_class: type[serializers.Serializer]) -> Any:
    """Returns one shared instance of an output serializer.

    Building a serializer deep-copies all its fields, which costs more than
    rendering a body with them; rendering mutates nothing, so one instance
    per class serves every request (and thread).
    """
    return serializer_class()


def render(
    serializer_class: type[serializers.Serializer],
    upstream: UpstreamResponse,
    *,
    extra: dict[str, Any] | None = None,
) -> Response:
    """Renders a service's answer through a public output serializer.

    The serializer keeps exactly the public fields; a service answer that
    lacks one breaks the contract and is a 502, not a 500.

    Args:
        serializer_class: The view's output serializer.
        upstream: The service's successful answer.
        extra: Values to add to the body before rendering.

    Returns:
        The response, with the service's status and forwarded headers.

    Raises:
        BadGatewayError: The answer has the wrong shape.
    """
    try:
        body = upstream.body if extra is None else {**upstream.body, **extra}
        data = _output(serializer_class).to_representation(body)
    except _SHAPE_ERRORS as error:
        raise errors.BadGatewayError(
            "A service answered in an unexpected shape."
        ) from error
    return Response(data, status=upstream.status, headers=upstream.headers)


def next_url(request: Request, cursor: str | None) -> str | None:
    """Returns this request's absolute URL with ``cursor`` replaced.

    Args:
        request: The current request; its other parameters are kept.
        cursor: The service's ``next_cursor``; None on the last page.

    Returns:
        The URL of the next page, or None.
    """
    if cursor is None:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def next_page(
    request: Request, upstream: UpstreamResponse
) -> dict[str, str | None]:
    """Returns the ``extra`` of a page: ``next``, the next page's URL.

    A service's page says ``next_cursor``; an answer that is not an object
    has none, and fails to render as any answer of the wrong shape does.

    Args:
        request: The current request; its other parameters are kept.
        upstream: The service's page.

    Returns:
        ``{"next": <URL or None>}``.
    """
    body = upstream.body
    cursor = body.get("next_cursor") if isinstance(body, dict) else None
    return {"next": next_url(request, cursor)}
