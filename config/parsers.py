r"""A JSON parser that never turns a number into a float.

JSON numbers are parsed as :class:`decimal.Decimal`, so ``100.10`` arrives
exactly as written; one written with an exponent arrives as
:class:`config.money.ScientificNumber`, which amounts refuse. ``NaN`` and
``Infinity`` literals are refused. The body is read only up to
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (or the view's own ``max_body_bytes``, for
the few that take more: a partner's batch): Django refuses larger bodies
it reads itself, and this guards any stream that reaches the parser
directly.

What JSON allows but no client means is refused too, as malformed: an
object with the same key twice (which one would apply?), nesting deeper
than :data:`MAX_DEPTH` (no request has more than a few levels, and deep
documents exhaust the decoder's recursion) and strings holding a lone
UTF-16 surrogate (``"\ud800"``), which no UTF-8 text, no database and no
answer that echoes them can carry (RFC 7493, I-JSON).
"""

import decimal
import json
import re
from typing import Any, NoReturn

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.request import Request

from config import money
from config.problems import PayloadTooLargeError

# Deeper than any request body of the API (an object of lists of objects).
MAX_DEPTH = 32
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class _UnwantedJSONError(ValueError):
    """Valid JSON that no request of the API may carry."""


def _exact_number(text: str) -> decimal.Decimal:
    """Parses a JSON number with a fraction or exponent, exactly."""
    if "e" in text or "E" in text:
        return money.ScientificNumber(text)
    return decimal.Decimal(text)


def _refuse_constant(name: str) -> NoReturn:
    """Refuses the non-standard literals NaN, Infinity and -Infinity."""
    raise ValueError(f"{name} is not a valid JSON value")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Builds an object, refusing a key that appears twice."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _UnwantedJSONError(f"the key {duplicate!r} appears twice")
    return document


def _check_shape(document: Any) -> None:
    """Refuses nesting beyond :data:`MAX_DEPTH` and lone surrogates.

    Iterative, so that the check itself cannot exhaust the stack.
    """
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                raise _UnwantedJSONError("a string holds a lone surrogate")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise _UnwantedJSONError(f"nested deeper than {MAX_DEPTH} levels")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            pending.append((key, depth))
            pending.append((item, depth + 1))


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
        view = (parser_context or {}).get("view")
        limit = getattr(
            view, "max_body_bytes", settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLargeError()
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            document = json.loads(
                raw.decode(encoding),
                parse_float=_exact_number,
                parse_constant=_refuse_constant,
                object_pairs_hook=_unique_keys,
            )
            _check_shape(document)
        except RecursionError as error:
            raise ParseError(
                f"Malformed JSON: nested deeper than {MAX_DEPTH} levels"
            ) from error
        except ValueError as error:
            raise ParseError(f"Malformed JSON: {error}") from error
        return document


class LargeJSONParser(BaseParser):
    """The JSON parser of a view that takes bodies over Django's limit.

    DRF hands a :class:`JSONParser` the whole ``request.body``, which
    Django refuses past ``DATA_UPLOAD_MAX_MEMORY_SIZE``; a parser of
    another class gets the stream, which this one reads up to the view's
    ``max_body_bytes``, with every rule of :class:`DecimalJSONParser`.
    """

    media_type = "application/json"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict | None = None,
    ) -> Any:
        """Parses the request body as :class:`DecimalJSONParser` does."""
        return DecimalJSONParser().parse(stream, media_type, parser_context)


class ExactContentNegotiation(DefaultContentNegotiation):
    """Picks a parser only for a body whose media type is exactly known.

    DRF matches media types both ways, so ``Content-Type: */*`` or
    ``application/*`` would reach the JSON parser: a client that does not
    say what it sends gets 415 ``unsupported_media_type`` instead.
    """

    def select_parser(
        self, request: Request, parsers: list[BaseParser]
    ) -> BaseParser | None:
        """Returns the parser of the request's media type, if it is exact.

        Args:
            request: The incoming request.
            parsers: The view's parsers.

        Returns:
            The parser, or None (415) for a wildcard media type.
        """
        media_type = request.content_type.split(";", 1)[0]
        if "*" in media_type:
            return None
        return super().select_parser(request, parsers)
