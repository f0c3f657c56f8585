"""A statement sent to ``POST .../imports``: its options and its body.

The gateway and accounting read a statement's request alike: the options
with :class:`ImportOptionsSerializer` (the currency of rows without one,
the delimiter, and the header of each column a bank names otherwise than
the field, ``date_column=Booking date``), the body as a stream of pieces
(:func:`body_pieces`), never whole.
"""

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.request import Request

from config.fields import CurrencyField
from config.serializers import StrictInputSerializer
from config.statements import (
    COLUMN_NAME_MAX_LENGTH,
    CSV_MEDIA_TYPE,
    DELIMITERS,
    FIELDS,
)

# What one read of a request body takes.
READ_BYTES = 64 * 1024


class ImportOptionsSerializer(StrictInputSerializer):
    """The statement's currency, delimiter and column headers."""

    currency = CurrencyField(
        required=False,
        help_text="Of rows without a currency column; the deployment's "
        "default (USD) if omitted.",
    )
    delimiter = serializers.ChoiceField(
        choices=list(DELIMITERS), default="comma"
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        """Adds ``<field>_column``: the header naming each field."""
        named = {
            f"{field}_column": serializers.CharField(
                required=False,
                max_length=COLUMN_NAME_MAX_LENGTH,
                help_text=f"The header of the {field} column (default "
                f"`{field}`, matched trimmed and case-insensitively).",
            )
            for field in FIELDS
        }
        return {**super().get_fields(), **named}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Returns the options with the currency and delimiter resolved."""
        return {
            "currency": attrs.get("currency", settings.DEFAULT_CURRENCY),
            "delimiter": attrs["delimiter"],
            "names": {
                field: attrs[f"{field}_column"]
                for field in FIELDS
                if f"{field}_column" in attrs
            },
        }

    @staticmethod
    def as_query(options: dict[str, Any]) -> dict[str, str]:
        """Writes validated options back as the query string they mean."""
        return {
            "currency": options["currency"],
            "delimiter": options["delimiter"],
            **{f"{f}_column": n for f, n in options["names"].items()},
        }


def body_length(request: Request) -> int:
    """Returns the request's ``Content-Length`` (0 if absent or not one)."""
    value = request.META.get("CONTENT_LENGTH") or "0"
    return int(value) if value.isdigit() else 0


def media_type_check(request: Request) -> None:
    """Accepts a statement sent as ``text/csv``, or no body at all.

    No body is an empty statement, refused as such by the import itself
    (``invalid_import``) rather than for a type it never claimed.

    Raises:
        UnsupportedMediaType: A body of another type (or of none).
    """
    media_type = request.content_type.split(";")[0].strip().lower()
    if media_type == CSV_MEDIA_TYPE:
        return
    if media_type or body_length(request):
        raise UnsupportedMediaType(request.content_type)


def body_pieces(request: Request) -> Iterator[bytes]:
    """Yields a request's body as it is read."""
    stream = request.stream
    while stream is not None and (piece := stream.read(READ_BYTES)):
        yield piece
