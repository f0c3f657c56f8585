"""Conditional GETs: entity tags, ``If-None-Match`` and ``304`` answers.

One reading of RFC 9110 for every service: the gateway tags each public
answer with a strong ``ETag`` of its bytes, users and accounting tag what
the gateway revalidates (decision 15 of ``docs/architecture.md``).

``If-None-Match`` (section 13.1.2) is ``*`` or a list of entity tags; a GET
compares them weakly (``W/"x"`` matches ``"x"``). A header that is not of
that form matches nothing: the answer is the full one, never an error,
because a client's broken validator must not cost it the resource. A
``304`` (section 15.4.5) carries the headers the ``200`` would have
(``ETag``, ``Cache-Control``, ``Vary``, ...) and no content.
"""

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse, HttpResponseNotModified
from rest_framework.request import Request
from rest_framework.response import Response

IF_NONE_MATCH = "If-None-Match"
ETAG = "ETag"
# Any current representation matches ``*``.
ANY = "*"
# One element of the list: optional spaces, then an entity tag or nothing
# (empty elements are allowed, RFC 9110 5.6.1), then a comma or the end.
_ELEMENT = re.compile(
    r'[ \t]*(?:(?:W/)?"(?P<tag>[\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?P<end>,|\Z)'
)
# Headers describing the content, which a 304 does not have.
_CONTENT_HEADERS = frozenset(
    {"content-type", "content-length", "content-encoding", "content-language"}
)


def opaque_tags(header: str | None) -> frozenset[str] | None:
    """Returns the opaque tags an ``If-None-Match`` value lists.

    Args:
        header: The field value, as received (several fields joined by
            commas), or None when absent.

    Returns:
        The tags without their quotes and ``W/`` (weak comparison);
        ``{"*"}`` for ``*``; None when absent or not of the RFC's form.
    """
    if header is None:
        return None
    text = header.strip(" \t")
    if text == ANY:
        return frozenset({ANY})
    tags, position = set(), 0
    while position < len(text):
        element = _ELEMENT.match(text, position)
        if element is None:
            return None
        if element["tag"] is not None:
            tags.add(element["tag"])
        position = element.end()
    return frozenset(tags)


def matches(header: str | None, etag: str | None) -> bool:
    """Whether ``If-None-Match`` names the current representation.

    Args:
        header: The request's ``If-None-Match``, or None.
        etag: The current representation's entity tag, or None when it
            has none (then nothing matches, not even ``*``).

    Returns:
        True when the answer is ``304 Not Modified``.
    """
    tags = opaque_tags(header)
    if not tags or etag is None:
        return False
    return ANY in tags or etag.removeprefix("W/").strip('"') in tags


def strong_etag(content: bytes) -> str:
    """Returns a strong entity tag of exact bytes.

    Args:
        content: The representation as sent.

    Returns:
        ``"<32 hex digits>"``: the first 128 bits of its SHA-256.
    """
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def value_etag(value: Any, *, weak: bool = False) -> str:
    """Returns an entity tag of a JSON value, independent of key order.

    Args:
        value: What the answer is made of (dicts, lists, strings, ...).
        weak: Tag it as weak (``W/``): the answer holds more than
            ``value`` (an instant of reading) that the tag ignores.

    Returns:
        The tag.
    """
    content = json.dumps(
        value, sort_keys=True, separators=(",", ":"), default=str
    ).encode()
    etag = strong_etag(content)
    return f"W/{etag}" if weak else etag


def not_modified(response: HttpResponse) -> HttpResponseNotModified:
    """Returns the ``304`` for a ``200`` answer the client already has.

    Args:
        response: The full answer, with its ``ETag``.

    Returns:
        A 304 with the same headers but those describing the content.
    """
    answer = HttpResponseNotModified()
    for name, value in response.items():
        if name.lower() not in _CONTENT_HEADERS:
            answer[name] = value
    return answer


def current(request: Request, etag: str | None) -> bool:
    """Whether the caller's ``If-None-Match`` names ``etag``."""
    return matches(request.headers.get(IF_NONE_MATCH), etag)


def unchanged(etag: str) -> HttpResponseNotModified:
    """Returns a service's ``304`` for an answer tagged ``etag``."""
    answer = HttpResponseNotModified()
    answer[ETAG] = etag
    return answer


def tagged(response: HttpResponse, etag: str | None) -> HttpResponse:
    """Returns ``response`` with its ``ETag`` (none when ``etag`` is None)."""
    if etag is not None:
        response[ETAG] = etag
    return response


def respond(
    request: Request, etag: str | None, body: Callable[[], Any]
) -> HttpResponse:
    """Answers a service's GET: 304 when the caller has it, else 200.

    The tag comes from a cheap check (a version, a sequence, a cached
    value), so a caller that holds the current answer costs no more than
    that check: ``body`` is not called.

    Args:
        request: The request, with its ``If-None-Match``.
        etag: The current answer's tag; None: the answer has none.
        body: Builds the answer's data.

    Returns:
        ``304`` with the tag, or ``200`` with the data and the tag.
    """
    if current(request, etag):
        return unchanged(etag)
    return tagged(Response(body()), etag)
