"""The gateway's cache of answers: what is safe to keep, never stale.

Kept: the caller's profile (``GET /me``), the plans on offer, the rates,
the suggested categories, and reports of closed periods (``to`` before
the current UTC month). Never kept: balances, accounts, transactions,
goals and groups, whose answers are money now.

The gateway cannot see a change made behind it (staff in either admin, a
Celery worker), so it never judges alone that a kept answer is current.
It keeps the owner's ``ETag`` with the owner's answer, and every request
still calls the owner, with ``If-None-Match: <kept tag>``. The owner
checks cheaply (the user's ``version``; the catalog from its own cache;
the holder's ledger sequences) and answers ``304``, and the gateway
serves what it kept; or it answers in full, and that answer is kept. A
kept answer is served only when its owner has just said it is current,
so no change, whoever made it, is ever hidden (decision 15 of
``docs/architecture.md``). What it saves is the owner's work past its
check and the answer's transfer and decoding.

The store is the gateway's cache (``CACHE_URL``): Redis through the
process's one client (``integration.limits.redis_store``), shared by
every gateway process; local memory in the embedded default. It is an
optimisation, never a dependency: when it fails, the request is served
by the owner alone and the failure is logged.
"""

import dataclasses
import datetime as dt
import logging
import pickle
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from config import timeparse
from integration import limits
from integration.clients import UpstreamResponse

logger = logging.getLogger(__name__)

# Bump when what is kept changes shape: old entries are then never read.
_NAMESPACE = "answers:v1"

# Reads one answer from its owner, conditionally when given a kept tag.
Read = Callable[[str | None], UpstreamResponse]


def key_of(*parts: str, params: Mapping[str, str] | None = None) -> str:
    """Returns the cache key of an answer.

    Args:
        *parts: What names the resource (``"me"``, a user id, ...).
        params: The query forwarded to the owner, in any order.

    Returns:
        The key, e.g. ``answers:v1:report:<user>:group_by=month&to=...``.
    """
    query = urlencode(sorted((params or {}).items()))
    return ":".join((_NAMESPACE, *parts, query))


def closed_period(params: Mapping[str, str]) -> bool:
    """Whether a report's range ends before the current UTC month.

    Args:
        params: The report's query as forwarded (``to`` in RFC 3339).

    Returns:
        True when ``to`` is given and before the month's first instant.
    """
    end = params.get("to")
    if end is None:
        return False
    now = timezone.now().astimezone(dt.UTC)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return timeparse.parse_instant(end) < month


def _load(key: str) -> dict[str, Any] | None:
    """Returns the kept ``{etag, body}`` of a key; None if none or failed."""
    try:
        store = limits.redis_store()
        if store is None:
            return cache.get(key)
        raw = store.get(cache.make_key(key))
        # Only the gateway writes there (as Django's own cache pickles).
        return None if raw is None else pickle.loads(raw)  # noqa: S301
    except Exception:  # Any cache failure: the owner answers alone.
        logger.warning(
            "Gateway cache unavailable: %s read from its owner",
            key,
            exc_info=True,
        )
        return None


def _keep(key: str, entry: dict[str, Any]) -> None:
    """Keeps an answer and its tag; a failure is only logged."""
    timeout = settings.GATEWAY_CACHE_TIMEOUT
    try:
        store = limits.redis_store()
        if store is None:
            cache.set(key, entry, timeout=timeout)
        else:
            store.set(cache.make_key(key), pickle.dumps(entry), ex=timeout)
    except Exception:  # The answer is still right.
        logger.warning(
            "Gateway cache unavailable: %s not kept", key, exc_info=True
        )


def revalidated(key: str, read: Read) -> UpstreamResponse:
    """Answers from the kept copy if its owner says it is current.

    Args:
        key: The answer's key (:func:`key_of`); a user's own answers must
            name the user.
        read: Calls the owner, with ``If-None-Match`` when given a tag.

    Returns:
        The owner's answer, or the kept one when the owner answered 304.
    """
    kept = _load(key)
    upstream = read(None if kept is None else kept["etag"])
    if kept is not None and upstream.status == HTTPStatus.NOT_MODIFIED:
        return dataclasses.replace(
            upstream, status=HTTPStatus.OK, body=kept["body"]
        )
    if upstream.etag is not None:
        _keep(key, {"etag": upstream.etag, "body": upstream.body})
    return upstream
