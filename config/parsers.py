"""A JSON parser that never turns a number into a float.

JSON numbers are parsed as :class:`decimal.Decimal`, so ``100.10`` arrives
exactly as written; one written with an exponent arrives as
:class:`config.money.ScientificNumber`, which amounts refuse. ``NaN`` and
``Infinity`` literals are refused. The body is read only up to
``DATA_UPLOAD_MAX_MEMORY_SIZE``: Django refuses larger bodies it reads
itself, and this guards any stream that reaches the parser directly.
"""

import decimal
import json
from typing import Any, NoReturn

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config import money
from config.problems import PayloadTooLargeError


def _exact_number(text: str) -> decimal.Decimal:
    """Parses a JSON number with a fraction or exponent, exactly."""
    if "e" in text or "E" in text:
        return money.ScientificNumber(text)
    return decimal.Decimal(text)


def _refuse_constant(name: str) -> NoReturn:
    """Refuses the non-standard literals NaN, Infinity and -Infinity."""
    raise ValueError(f"{name} is not a valid JSON value")


class DecimalJSONParser(JSONParser):
    """Parses JSON bodies with exact decimals and a size limit."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict | None = None,
    ) -> Any:
        """Parses the request body.

        Args:
            stream: The request body stream.
            media_type: The request's media type (unused).
            parser_context: DRF's context; may carry an ``encoding``.

        Returns:
            The decoded JSON document.

        Raises:
            PayloadTooLargeError: The body is over the size limit.
            ParseError: The body is not valid JSON.
        """
        del media_type
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLargeError()
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            return json.loads(
                raw.decode(encoding),
                parse_float=_exact_number,
                parse_constant=_refuse_constant,
            )
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(f"Malformed JSON: {error}") from error
