"""DRF fields for the wire types every service shares.

``AmountField`` keeps the exact decimal (its precision is checked against the
currency by the serializer that knows the currency, with
:func:`config.money.to_minor`), ``CurrencyField`` checks the supported list,
``InstantField`` reads RFC 3339 instants (``EffectiveAtField`` the date
of a record), ``DayField`` calendar days,
``UUIDStringField`` ids, ``LabelField`` labels (``config.labels``);
``NoValueField`` documents a member that must be absent or null. Their
errors carry the stable codes of :class:`config.problems.Code`, which name
the whole problem. Each is documented in OpenAPI schemas as exactly what it
accepts (the extensions at the end), so that a request built from a schema
is accepted and every other one refused.
"""

import contextlib
import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterator
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from config import labels, money, targets, timeparse
from config.problems import Code


class AmountField(serializers.Field):
    """A positive exact decimal amount, sent as a string or a JSON number."""

    default_error_messages = {"required": "An amount is required."}

    def to_internal_value(self, data: Any) -> decimal.Decimal:
        """Parses the amount without rounding or floats."""
        try:
            return money.parse_decimal(data)
        except money.MoneyError as error:
            raise serializers.ValidationError(
                str(error), code=error.code
            ) from error

    def to_representation(self, value: Any) -> str:
        """Renders an amount already formatted as a string."""
        return str(value)


class LabelField(serializers.CharField):
    """A credit's source or a withdrawal's category, read as stored.

    Normalised (:func:`config.labels.parse`); its bound counts the
    normalised label, so the field has no ``max_length`` of its own. A
    blank label is ``""``, as for any string.
    """

    def __init__(self, *, help_text: str = "", **kwargs: Any) -> None:
        super().__init__(
            help_text=f"{help_text} {labels.RULE}".strip(), **kwargs
        )

    def to_internal_value(self, data: Any) -> str:
        """Returns the label normalised, if it fits once normalised."""
        try:
            return labels.parse(super().to_internal_value(data))
        except labels.LabelError as error:
            raise serializers.ValidationError(str(error)) from error


@contextlib.contextmanager
def amount_errors(field: str) -> Iterator[None]:
    """Turns a refused amount into a serializer's error on ``field``.

    For the checks a serializer makes once it knows the currency (its
    precision, the maximum: :func:`config.money.to_minor`), which no
    :class:`AmountField` can make alone.

    Raises:
        ValidationError: ``invalid_amount`` on ``field``.
    """
    try:
        yield
    except money.MoneyError as error:
        raise serializers.ValidationError(
            {field: [ErrorDetail(str(error), code=error.code)]}
        ) from error


class CurrencyField(serializers.Field):
    """An ISO 4217 code from the deployment's supported list."""

    def to_internal_value(self, data: Any) -> str:
        """Validates and upper-cases the code."""
        try:
            return money.parse_currency(data)
        except money.MoneyError as error:
            raise serializers.ValidationError(
                str(error), code=error.code
            ) from error

    def to_representation(self, value: Any) -> str:
        """Renders the code."""
        return str(value)


class InstantField(serializers.Field):
    """An RFC 3339 instant with an offset, or a date meaning a whole day.

    Args:
        end_of_day: A bare date means the day's last instant (for ``to``).
    """

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dt.datetime:
        """Parses the instant into an aware UTC datetime."""
        try:
            return timeparse.parse_instant(data, end_of_day=self.end_of_day)
        except timeparse.InstantError as error:
            raise serializers.ValidationError(
                str(error), code=Code.INVALID_DATETIME
            ) from error

    def to_representation(self, value: dt.datetime) -> str:
        """Renders the instant in UTC with a ``Z``."""
        return timeparse.format_instant(value)


class EffectiveAtField(InstantField):
    """When a credit or withdrawal happened: a date or an instant, optional.

    A date alone is the first instant of its UTC day. Whether it is in the
    future is for the service that books it to say, on its own clock.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "When it happened, if earlier than now: an RFC 3339 date-time "
            "or a date (its first instant, UTC), never in the future. "
            "Reports and the history go by it; balances move now.",
        )
        super().__init__(**kwargs)


_DAY = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class DayField(serializers.DateField):
    """A calendar day written exactly ``YYYY-MM-DD`` (no time, no zone).

    DRF's date field also takes ``20261121``, ``2026-1-5`` and other ISO
    8601 forms; a day on the wire (a goal's or a group's target date) has
    one form only.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)

    def to_internal_value(self, value: Any) -> dt.date:
        """Parses the day; ``2026-1-5`` or a timestamp is refused."""
        if not isinstance(value, str) or not _DAY.match(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class TargetDateField(DayField):
    """A day a goal or a group aims for: today (UTC) or later.

    Judged by :func:`config.targets.date_check`, as the services judge it.
    """

    def to_internal_value(self, value: Any) -> dt.date:
        """Parses the day and refuses one already past."""
        try:
            return targets.date_check(super().to_internal_value(value))
        except targets.TargetError as error:
            raise serializers.ValidationError(str(error)) from error


class UUIDStringField(serializers.UUIDField):
    """A UUID sent as a string, never the integer DRF's field accepts.

    ``serializers.UUIDField`` turns an integer into a UUID; an account id
    sent as a number is a client's mistake, so it is refused.
    """

    def to_internal_value(self, data: Any) -> uuid.UUID:
        """Parses the id; anything but a UUID string is invalid."""
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


# Null, the only value that is not a string (OpenAPI 3.0 has no null type).
@extend_schema_field(
    {"type": "string", "nullable": True, "not": {"type": "string"}}
)
class NoValueField(serializers.Field):
    """Documents a member that must be absent or null (documents only).

    One shape of a request of several (a savings release) may refuse a
    member another shape requires (a transfer's recipient); the
    serializer that reads the request checks it.
    """


class AmountFieldScheme(OpenApiSerializerFieldExtension):
    """Documents an amount: a decimal string or a JSON number.

    The string's pattern is exact for the supported currency with the most
    decimals (:func:`config.money.amount_pattern`). Two rules stay outside
    any schema: a currency with fewer decimals refuses the extra ones (the
    currency is another field), and a JSON number written with an exponent
    (``1e3``) is refused whatever its value.
    """

    target_class = AmountField
    match_subclasses = True

    def map_serializer_field(
        self, auto_schema: Any, direction: str
    ) -> dict[str, Any]:
        """Returns the schema of an amount in a request."""
        del auto_schema, direction
        places = max(map(money.exponent, money.supported_currencies()))
        return {
            "oneOf": [
                {
                    "type": "string",
                    "pattern": money.amount_pattern(places),
                    "example": "100.50",
                },
                {
                    "type": "number",
                    "minimum": 0,
                    "exclusiveMinimum": True,
                    "maximum": money.MAX_MAJOR_UNITS,
                    "example": 100.5,
                },
            ],
            "description": (
                f"Above zero, at most {money.MAX_MAJOR_UNITS:,} major units, "
                "with no more decimal places than the currency has: a "
                'decimal string ("100.50") or a JSON number (100.5) written '
                "without an exponent, parsed as an exact decimal, never "
                "through a float."
            ),
        }


class CurrencyFieldScheme(OpenApiSerializerFieldExtension):
    """Documents a currency: one of the deployment's supported codes."""

    target_class = CurrencyField
    match_subclasses = True

    def map_serializer_field(
        self, auto_schema: Any, direction: str
    ) -> dict[str, Any]:
        """Returns the schema of a currency code."""
        del auto_schema, direction
        return {
            "type": "string",
            "enum": money.supported_currencies(),
            "description": "An ISO 4217 code (case is ignored).",
        }


class InstantFieldScheme(OpenApiSerializerFieldExtension):
    """Documents an instant: a date-time, or in a request a date too."""

    target_class = InstantField
    match_subclasses = True

    def map_serializer_field(
        self, auto_schema: Any, direction: str
    ) -> dict[str, Any]:
        """Returns the schema of an instant, read or written."""
        del auto_schema
        date_time = build_basic_type(OpenApiTypes.DATETIME)
        if direction == "response":
            return date_time
        return {"oneOf": [date_time, build_basic_type(OpenApiTypes.DATE)]}
