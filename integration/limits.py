"""Request limits of the public API: per user, per address, every process.

One client must not slow every other, so each request is counted before
its view runs, in the cache named by ``CACHE_URL`` (Redis in the real
stack: every gateway process shares the counts; local memory for the one
process of the embedded default):

- a **rate** per scope and fixed window (``API_RATE_LIMITS``): ``auth``
  (sign-up, log-in, refresh) per client address; ``read`` (GET), ``write``
  (other methods) and ``money`` (the POSTs that move money) per user, or
  per address for a request without a valid token; a partner's API key
  counts as a client of its own, at its own rate when staff gave it one;
- **requests in flight**: at most ``API_MAX_IN_FLIGHT`` of one user (or
  address) at once, so that a client holding many connections on slow
  requests cannot occupy every worker behind the gateway;
- **header size**: at most ``config.http11.MAX_HEADER_BYTES`` (431
  ``request_header_fields_too_large``), whether the headers came in one
  read or several (the protocol refuses the latter itself).

Over either limit the answer is 429 ``rate_limited`` with ``Retry-After``;
the view does not run, so nothing changes. Every counted answer carries the
IETF draft's ``RateLimit-Policy`` (``"money";q=300;w=60``: the quota and
its window) and ``RateLimit`` (``"money";r=12;t=41``: what remains, and
the seconds until the window resets).

A cache that cannot be reached lets requests through (logged): limits
protect the platform's capacity, and must not take it down.
"""

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from redis import exceptions as redis_exceptions
from redis.commands.core import Script
from rest_framework import exceptions
from rest_framework.settings import api_settings

from config import addresses, http11, problems
from config.problems import Code
from config.request_rates import Rate, parse_rate
from integration import errors
from integration.authentication import (
    BearerTokenAuthentication,
    PartnerPrincipal,
)

logger = logging.getLogger(__name__)

AUTH = "auth"
READ = "read"
WRITE = "write"
MONEY = "money"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A counter of requests in flight outlives no request by more than this: a
# process killed mid-request cannot hold a slot for longer.
IN_FLIGHT_TTL = 60
# Seconds to reach the counters' Redis or hear from it before letting the
# request through uncounted.
STORE_TIMEOUT = 1
# What an unreachable cache raises.
_CACHE_ERRORS = (
    redis_exceptions.ConnectionError,
    redis_exceptions.TimeoutError,
    OSError,
)


@dataclasses.dataclass(frozen=True)
class Quota:
    """Where a client stands in one scope's window, for the headers."""

    scope: str
    rate: Rate
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        """Returns the ``RateLimit-Policy`` and ``RateLimit`` headers."""
        return {
            "RateLimit-Policy": (
                f'"{self.scope}";q={self.rate.quota};w={self.rate.window}'
            ),
            "RateLimit": f'"{self.scope}";r={self.remaining};t={self.reset}',
        }


# Redis clients by cache location, one per process: the cache object of
# Django's handler lives per thread, and each request runs in a new thread
# under ASGI, so going through it opened a Redis connection per request.
_stores: dict[str, redis.Redis] = {}
_stores_lock = threading.Lock()
# Gives back one slot unless the counter is gone (expired, or never
# counted): DECR would re-create it below zero and without a lifetime.
# Sent by its digest (EVALSHA): Redis keeps it after the first call.
_RELEASE = Script(
    None,
    b"""
if redis.call('exists', KEYS[1]) == 1 then
    return redis.call('decr', KEYS[1])
end
return nil
""",
)
_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


def redis_store() -> redis.Redis | None:
    """Returns this process's client of the cache's Redis; None if no Redis.

    The counters keep the cache's keys (its prefix and version): the same
    counts whichever way they are read. The gateway's cache of answers
    (``integration.caching``) shares the client.
    """
    config = settings.CACHES["default"]
    if config["BACKEND"] != _REDIS_BACKEND:
        return None
    location = config["LOCATION"]
    store = _stores.get(location)
    if store is None:
        with _stores_lock:
            store = _stores.setdefault(
                location,
                redis.Redis.from_url(
                    location,
                    socket_connect_timeout=STORE_TIMEOUT,
                    socket_timeout=STORE_TIMEOUT,
                ),
            )
    return store


def _count_all(counters: list[tuple[str, int]]) -> list[int]:
    """Adds one to counters that live some seconds; returns their counts.

    Args:
        counters: ``(key, lifetime in seconds)`` of each counter.

    Returns:
        Each counter's count, this request included.

    Raises:
        ValueError: In the local-memory cache, a counter expired between
            its creation and its increment (the request is not counted).
    """
    store = redis_store()
    if store is None:
        return [_count(key, timeout) for key, timeout in counters]
    # One round trip: INCR creates a missing counter at 1, and EXPIRE NX
    # gives a lifetime to a counter that has none (a new one) only.
    with store.pipeline(transaction=False) as pipeline:
        for key, timeout in counters:
            name = cache.make_key(key)
            pipeline.incr(name)
            pipeline.expire(name, timeout, nx=True)
        return pipeline.execute()[::2]


def _count(key: str, timeout: int) -> int:
    """Counts in the local-memory cache (the embedded default).

    Raises:
        ValueError: The counter expired between creation and increment.
    """
    cache.add(key, 0, timeout=timeout)
    return cache.incr(key)


def acquire_slot(key: str, *, limit: int, ttl: int) -> bool:
    """Takes one of ``limit`` slots (requests in flight, open sockets).

    A counter whose holder died without giving its slot back (a killed
    process) is forgotten ``ttl`` seconds after it was created.

    Args:
        key: The counter, per client.
        limit: How many slots there are.
        ttl: Seconds the counter lives: longer than any holder.

    Returns:
        True if a slot was taken (give it back with :func:`release_slot`);
        False if all were taken. True, logged, if the cache is out.
    """
    try:
        [count] = _count_all([(key, ttl)])
    except (ValueError, *_CACHE_ERRORS) as error:
        # Out, or the counter expired while it was counted.
        logger.warning("Slot %s not counted: %r", key, error)
        return True
    if count <= limit:
        return True
    release_slot(key)
    return False


def release_slot(key: str) -> None:
    """Gives back a slot of requests in flight."""
    try:
        store = redis_store()
        if store is None:
            cache.decr(key)
        elif _RELEASE(keys=[cache.make_key(key)], client=store) is None:
            raise ValueError("no such counter")
    except (ValueError, *_CACHE_ERRORS) as error:
        # Expired meanwhile (nothing to give back), or the cache is out.
        logger.warning("Request slot %s not released: %r", key, error)


def scope_of(request: HttpRequest, view_class: type | None) -> str | None:
    """Returns the scope a request counts in, or None if it is not limited.

    A view names its scope with ``rate_limit_scope`` (None: not limited,
    for health checks); otherwise safe methods read and the others write.
    """
    if view_class is not None and hasattr(view_class, "rate_limit_scope"):
        return view_class.rate_limit_scope
    return READ if request.method in _SAFE_METHODS else WRITE


def address_identity(remote_addr: str, forwarded_for: str | None) -> str:
    """Returns the identity of a client's address.

    ``X-Forwarded-For`` is trusted only as far as ``NUM_PROXIES`` proxies
    of the deployment added to it: the client cannot pick its address.

    Args:
        remote_addr: The socket's peer.
        forwarded_for: The ``X-Forwarded-For`` header, if any.

    Returns:
        ``address:<ip>``.
    """
    return "address:" + addresses.client_address(
        remote_addr, forwarded_for, api_settings.NUM_PROXIES
    )


@dataclasses.dataclass(frozen=True)
class Client:
    """Who a request is counted for, and at what rate.

    Attributes:
        identity: ``user:<id>``, ``partner_key:<id>`` or ``address:<ip>``.
        rate: The client's own rate in every scope (a partner key's),
            or None for the scope's.
    """

    identity: str
    rate: Rate | None = None


def client_identity(
    request: HttpRequest, scope: str, view_class: type | None = None
) -> Client:
    """Returns who a request is counted for: its caller, else its address.

    The ``auth`` scope always counts per address: its requests carry no
    token. Otherwise the view's own authentication names the caller (a
    user's access token; a partner's key on the partner endpoints); a
    missing or invalid credential falls back to the address (the view
    will answer 401). The verdict is kept on the request for the view's
    authentication.

    Args:
        request: The request.
        scope: The scope it counts in.
        view_class: Its view (its ``authentication_classes``), if DRF's.

    Returns:
        The client, and its own rate if it has one.
    """
    if scope != AUTH:
        authenticators = getattr(view_class, "authentication_classes", None)
        for authentication in authenticators or [BearerTokenAuthentication]:
            try:
                verified = authentication().authenticate(request)
            except (exceptions.AuthenticationFailed, errors.GatewayError):
                break
            if verified is None:
                continue
            caller = verified[0]
            if isinstance(caller, PartnerPrincipal):
                return Client(f"partner_key:{caller.key_id}", caller.rate_limit)
            return Client(f"user:{caller.id}")
    return Client(
        address_identity(
            request.META.get("REMOTE_ADDR", ""),
            request.META.get("HTTP_X_FORWARDED_FOR"),
        )
    )


def _header_bytes(request: HttpRequest) -> int:
    """Returns about how many bytes a request's headers took."""
    return sum(
        len(name) + len(value)
        for name, value in request.META.items()
        if name.startswith("HTTP_") and isinstance(value, str)
    )


def _refusal(detail: str, wait: int, quota: Quota | None) -> HttpResponse:
    """Returns the 429 problem answer, with its headers."""
    problem = problems.ProblemError(
        status=HTTPStatus.TOO_MANY_REQUESTS,
        code=Code.RATE_LIMITED,
        detail=detail,
        headers={
            "Retry-After": str(max(1, wait)),
            **(quota.headers() if quota else {}),
        },
    )
    return problems.problem_json_response(problem)


class RequestLimitMiddleware:
    """Counts every request of the public API and refuses the excess.

    Args:
        get_response: The next handler.
    """

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Serves the request, then gives back its slot and adds headers."""
        if _header_bytes(request) > http11.MAX_HEADER_BYTES:
            return problems.problem_json_response(
                problems.ProblemError(
                    status=HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    code=Code.HEADERS_TOO_LARGE,
                    detail=http11.HEADERS_TOO_LARGE_DETAIL,
                )
            )
        try:
            response = self.get_response(request)
        finally:
            release = getattr(request, "limit_release", None)
            if release is not None:
                release()
        quota = getattr(request, "limit_quota", None)
        if quota is not None:
            for name, value in quota.headers().items():
                response.headers.setdefault(name, value)
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple,
        view_kwargs: dict,
    ) -> HttpResponse | None:
        """Counts the request against its scope; refuses it over a limit.

        Args:
            request: The request, its URL resolved.
            view_func: The view; DRF's carry their class as ``cls``.
            view_args: Unused.
            view_kwargs: Unused.

        Returns:
            None to serve the request, or the 429 answer.
        """
        del view_args, view_kwargs
        view_class = getattr(view_func, "cls", None)
        scope = scope_of(request, view_class)
        if scope is None:
            return None
        try:
            return self._admit(request, scope, view_class)
        except (ValueError, *_CACHE_ERRORS) as error:
            logger.warning("Request limits not applied: %r", error)
            return None

    def _admit(
        self, request: HttpRequest, scope: str, view_class: type | None
    ) -> HttpResponse | None:
        client = client_identity(request, scope, view_class)
        rate = client.rate or parse_rate(settings.API_RATE_LIMITS[scope])
        identity = client.identity
        now = time.time()
        window = int(now // rate.window) * rate.window
        counters = [(f"limits:rate:{scope}:{identity}:{window}", rate.window)]
        # Both counts in one round trip; a request refused for its rate
        # gives its slot back at once.
        in_flight = f"limits:in_flight:{identity}"
        if scope != AUTH:
            counters.append((in_flight, IN_FLIGHT_TTL))
        count, *slots = _count_all(counters)
        reset = math.ceil(window + rate.window - now)
        quota = Quota(scope, rate, max(0, rate.quota - count), reset)
        request.limit_quota = quota
        refusal = None
        if count > rate.quota:
            refusal = _refusal(
                f"Over {rate.quota} requests in {rate.window} s; retry "
                f"after {reset} s.",
                reset,
                quota,
            )
        elif slots and slots[0] > settings.API_MAX_IN_FLIGHT:
            refusal = _refusal(
                f"Over {settings.API_MAX_IN_FLIGHT} requests in progress at "
                "once; retry when one has finished.",
                1,
                quota,
            )
        if slots:
            if refusal is not None:
                release_slot(in_flight)
            else:
                request.limit_release = lambda: release_slot(in_flight)
        return refusal
