"""The ``Idempotency-Key`` header: its one format, for every service.

The gateway checks the header and forwards it; users and accounting check
it again on their internal APIs. A key is 1-255 printable ASCII
characters: enough for a UUID or a client's own reference, nothing a log,
a header or a database column would mangle. An answer that replays an
earlier one says so in :data:`REPLAYED_HEADER`.
"""

import re
from collections.abc import Mapping
from http import HTTPStatus

from config.problems import Code, ProblemError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_LENGTH = 255
# Printable ASCII, space to tilde (the OpenAPI pattern of the parameter).
PATTERN = "^[ -~]+$"
_KEY = re.compile(rf"\A[ -~]{{1,{MAX_LENGTH}}}\Z")


def parse(value: str | None) -> str | None:
    """Validates an ``Idempotency-Key`` header.

    Args:
        value: The header as sent, or None when absent.

    Returns:
        The key, or None when no key was sent.

    Raises:
        ProblemError: 400 ``invalid_idempotency_key``: empty, longer than
            255 characters or not printable ASCII.
    """
    if value is None:
        return None
    if not _KEY.match(value):
        raise ProblemError(
            status=HTTPStatus.BAD_REQUEST,
            code=Code.INVALID_IDEMPOTENCY_KEY,
            detail=(
                f"An Idempotency-Key is 1-{MAX_LENGTH} printable ASCII "
                "characters."
            ),
        )
    return value


def from_headers(headers: Mapping[str, str]) -> str | None:
    """Returns a request's ``Idempotency-Key``, checked, if it sent one.

    Args:
        headers: The request's headers (``request.headers``).

    Returns:
        The key, or None when the header is absent.

    Raises:
        ProblemError: 400 ``invalid_idempotency_key``.
    """
    return parse(headers.get(HEADER))


def required_from_headers(headers: Mapping[str, str]) -> str:
    """Returns a request's ``Idempotency-Key``, which it must send.

    For writes that must not happen twice whatever the client does (a
    partner's batch pays thousands of people).

    Raises:
        ProblemError: 400 ``invalid_idempotency_key``: absent or invalid.
    """
    key = from_headers(headers)
    if key is None:
        raise ProblemError(
            status=HTTPStatus.BAD_REQUEST,
            code=Code.INVALID_IDEMPOTENCY_KEY,
            detail="This request needs an Idempotency-Key header.",
        )
    return key


def replayed_headers(replayed: bool) -> dict[str, str] | None:
    """Returns the headers of an answer: ``Idempotent-Replayed`` on a replay."""
    return {REPLAYED_HEADER: "true"} if replayed else None
