"""A cache for read-mostly answers that is never stale after a commit.

Values live under ``<namespace>:v<version>:<key>``. Writers never delete
entries: :func:`invalidate` moves the namespace to a new version once their
transaction commits, so every later reader looks under keys nobody wrote
yet and computes from the committed rows. A reader that loaded old rows
before the commit read the old version first, so it can only store what it
computed under the old version, where nobody looks any more: the race
between "compute, then store" and "commit, then invalidate" cannot put a
stale value where it is served. Old versions simply expire.

The cache is an optimisation, never a dependency: if it fails (Redis down,
a value that does not pickle), the answer is computed from the database
and the failure is logged.

Trade-off: if the cache is down exactly when a writer commits, the version
cannot move; entries stored before the outage may then be served again
when it comes back, for at most their timeout (``CACHE_TIMEOUT``).
"""

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A deadline given as a function of the computed value: for answers whose
# expiry depends on what was read (the next future-dated rate).
Until = dt.datetime | Callable[[Any], dt.datetime | None] | None

DEFAULT_TIMEOUT = 300
# A version key may expire: the next one starts afresh (see _version), so
# this only bounds how long an idle namespace's key stays in the cache.
VERSION_TIMEOUT = 7 * 24 * 3600


def _timeout_default() -> int:
    """Returns the default time to live of an entry, in seconds."""
    return getattr(settings, "CACHE_TIMEOUT", DEFAULT_TIMEOUT)


def _version_key(namespace: str) -> str:
    return f"{namespace}:version"


def _version(namespace: str) -> int:
    """Returns the current version of a namespace, creating it if missing.

    A new version starts at the clock in nanoseconds, not at 0: when the
    version key is lost (expired, evicted, a flushed Redis), the new one
    does not meet the numbers of old entries that may still be stored,
    which become unreachable like after an invalidation.
    """
    key = _version_key(namespace)
    version = cache.get(key)
    if version is None:
        cache.add(key, time.time_ns(), timeout=VERSION_TIMEOUT)
        version = cache.get(key)
    return int(version)


def _bump(namespace: str) -> None:
    """Moves a namespace to a new version (run after the commit)."""
    key = _version_key(namespace)
    try:
        try:
            cache.incr(key)
        except ValueError:  # No version yet: nothing can be cached under it.
            cache.add(key, time.time_ns(), timeout=VERSION_TIMEOUT)
    except Exception:  # Any cache failure is only logged.
        logger.warning(
            "Cache unavailable: namespace %r not invalidated; its entries "
            "expire within %s s",
            namespace,
            _timeout_default(),
            exc_info=True,
        )


def invalidate(namespace: str) -> None:
    """Makes every cached answer of a namespace unreachable, on commit.

    Call it from every write path of the data behind the namespace. Inside
    a transaction the version moves only when it commits (a rollback
    changes nothing, so nothing is invalidated); outside one, at once.

    Args:
        namespace: The namespace, e.g. ``"plans"``.
    """
    transaction.on_commit(lambda: _bump(namespace))


def _ttl(timeout: int, deadline: dt.datetime | None, now: dt.datetime) -> int:
    """Returns the seconds to keep an entry: its timeout or its deadline."""
    if deadline is None:
        return timeout
    return min(timeout, max(1, math.ceil((deadline - now).total_seconds())))


def cached(
    namespace: str,
    key: str,
    compute: Callable[[], T],
    *,
    timeout: int | None = None,
    until: Until = None,
) -> T:
    """Returns the cached answer for a key, or computes and stores it.

    Args:
        namespace: The namespace whose writers call :func:`invalidate`.
        key: What identifies the answer within the namespace (its
            parameters); any string.
        compute: Reads the answer from the database. Its value must pickle
            (plain dicts, lists, strings).
        timeout: Seconds to keep the answer; default ``CACHE_TIMEOUT``.
        until: The instant from which the answer must not be used any more
            (e.g. when a future-dated rate becomes valid), or a function
            of the computed value returning it (None: no deadline).
            Checked against ``timezone.now()`` on every read, so an answer
            is never used at or after it.

    Returns:
        The answer, from the cache or from ``compute``.
    """
    now = timezone.now()
    try:
        full_key = f"{namespace}:v{_version(namespace)}:{key}"
        entry = cache.get(full_key)
    except Exception:  # The database answers instead.
        logger.warning(
            "Cache unavailable: computing %s:%s", namespace, key, exc_info=True
        )
        return compute()
    if entry is not None and (entry["until"] is None or now < entry["until"]):
        return entry["value"]
    # The version was read before computing: see the module docstring.
    value = compute()
    deadline = until(value) if callable(until) else until
    if deadline is not None and deadline <= now:
        return value
    ttl = _ttl(
        _timeout_default() if timeout is None else timeout, deadline, now
    )
    try:
        cache.set(full_key, {"value": value, "until": deadline}, timeout=ttl)
    except Exception:  # The answer is still right.
        logger.warning(
            "Cache unavailable: not storing %s:%s",
            namespace,
            key,
            exc_info=True,
        )
    return value
