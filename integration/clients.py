"""Pooled HTTP clients for the users and accounting internal APIs.

Every request the gateway serves becomes one call to one service. A new TCP
connection per call would cost more than the call itself, so each service
gets one ``httpx.Client`` per process, created on first use and kept: its
connection pool (``UPSTREAM_POOL_SIZE``) is reused by every request.

Whatever goes wrong on the way is turned into a
:class:`~integration.errors.GatewayError` the public can act on (its
status is ``integration.api.problems``'), and logged here, once:

- the service cannot be reached (refused, unreachable):
  ``upstream_unavailable``, with when to retry;
- it is out for a moment itself (503 problem, e.g. ``database_unavailable``
  while its database restarts): passed through with its ``Retry-After``;
- it does not answer in time: ``upstream_timeout``;
- it fails (5xx) or answers something that is not the JSON of the
  contract: ``bad_gateway``;
- it refuses the request (4xx problem+json): the problem is passed through
  unchanged, status, body and the ``Retry-After`` and
  ``Idempotent-Replayed`` headers, because services answer with the public
  status and code (``docs/internal-api.md``).

Every call carries the id of the request being served (``X-Request-ID``),
so the service's log lines are found with the gateway's.

:func:`build_client` is the one seam: tests hand it an
``httpx.MockTransport``; production lets httpx build its pooled transport
(``config.service_clients``, which the users admin's client shares).
"""

import dataclasses
import decimal
import enum
import json
import logging
import threading
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, NoReturn

import httpx
from django.conf import settings

from config import conditional, service_clients
from config.idempotency import keys as idempotency_keys
from config.metrics import pools
from integration import errors

logger = logging.getLogger(__name__)

# Response headers a service may set that the public must see as they came.
FORWARDED_HEADERS = ("Retry-After", idempotency_keys.REPLAYED_HEADER)

# A change to any of these settings (tests use override_settings) makes the
# cached clients stale: they are closed and rebuilt on next use.
_CLIENT_SETTINGS = frozenset(
    {
        "USERS_SERVICE_URL",
        "USERS_SERVICE_TOKEN",
        "ACCOUNTING_SERVICE_URL",
        "ACCOUNTING_SERVICE_TOKEN",
        "UPSTREAM_POOL_SIZE",
        "UPSTREAM_CONNECT_TIMEOUT",
        "UPSTREAM_READ_TIMEOUT",
    }
)


class Service(enum.StrEnum):
    """The services behind the gateway."""

    USERS = "users"
    ACCOUNTING = "accounting"


class UpstreamProblemError(errors.GatewayError):
    """A service's own problem answer, to be passed through unchanged.

    Attributes:
        status: The HTTP status the service answered with.
        body: The problem document exactly as the service sent it.
        headers: The headers to forward with it (``Retry-After``, ...).
    """

    def __init__(
        self, *, status: int, body: dict[str, Any], headers: Mapping[str, str]
    ) -> None:
        self.error_code = str(body["code"])
        super().__init__(str(body.get("detail", "")))
        self.status = status
        self.body = body
        self.headers = dict(headers)


@dataclasses.dataclass(frozen=True)
class UpstreamResponse:
    """A successful answer of a service.

    Attributes:
        status: The HTTP status (2xx; 304 to a conditional call).
        body: The decoded JSON body, or None when there is none (204,
            304).
        headers: The headers to forward to the public (``Retry-After``,
            ``Idempotent-Replayed``), when the service set them.
        etag: The service's ``ETag`` of the answer, if it gave one (the
            gateway's cache revalidates with it; never forwarded).
    """

    status: int
    body: Any
    headers: dict[str, str]
    etag: str | None = None


_clients: dict[Service, httpx.Client] = {}
_lock = threading.Lock()


def _target(service: Service) -> tuple[str, str]:
    """Returns the base URL and the service credential of a service."""
    if service is Service.USERS:
        return settings.USERS_SERVICE_URL, settings.USERS_SERVICE_TOKEN
    return settings.ACCOUNTING_SERVICE_URL, settings.ACCOUNTING_SERVICE_TOKEN


def build_client(
    service: Service, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """Builds the HTTP client of one service from the settings.

    Args:
        service: The service to call.
        transport: A transport to use instead of httpx's pooled one (tests
            pass an ``httpx.MockTransport``).

    Returns:
        A client with the service's base URL, its credential, the pool
        limits and timeouts; it ignores proxy variables of the environment
        (internal calls go straight to the service).
    """
    base_url, token = _target(service)
    return service_clients.pooled_client(
        base_url=base_url,
        token=token,
        connect_timeout=settings.UPSTREAM_CONNECT_TIMEOUT,
        read_timeout=settings.UPSTREAM_READ_TIMEOUT,
        pool_size=settings.UPSTREAM_POOL_SIZE,
        transport=transport,
    )


def get_client(service: Service) -> httpx.Client:
    """Returns the process-wide client of a service, creating it once."""
    with _lock:
        client = _clients.get(service)
        if client is None:
            client = _clients[service] = build_client(service)
        return client


def close_clients() -> None:
    """Closes every cached client; the next call builds a fresh one."""
    with _lock:
        while _clients:
            _clients.popitem()[1].close()


def pools_observe() -> None:
    """Reports each client's pool to the metrics: open, carrying a request.

    Read from httpcore's pool behind httpx's transport (a test's
    ``MockTransport`` has none). Run after each request the gateway
    answers (``config.metrics.pools.observe``).
    """
    with _lock:
        clients = list(_clients.items())
    for service, client in clients:
        pool = getattr(client._transport, "_pool", None)
        if pool is None:
            continue
        opened = [c for c in pool.connections if not c.is_closed()]
        pools.upstream_pool_set(
            service.value,
            size=pool._max_connections,
            opened=len(opened),
            in_use=sum(not connection.is_idle() for connection in opened),
        )


def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    """Drops the cached clients when a setting they were built from changes.

    Args:
        setting: The name of the changed setting.
        **kwargs: The rest of Django's ``setting_changed`` signal.
    """
    del kwargs
    if setting in _CLIENT_SETTINGS:
        close_clients()


@dataclasses.dataclass(frozen=True)
class Upload:
    """A request body passed on as it arrives (a statement's CSV).

    Attributes:
        media_type: Its ``Content-Type``.
        length: Its size in bytes, sent as ``Content-Length``: the body
            is never chunked.
        pieces: Its bytes, read as they are sent.
    """

    media_type: str
    length: int
    pieces: Iterable[bytes]


def _bad_gateway(service: Service, detail: str) -> errors.BadGatewayError:
    """Returns the error of an unusable answer of a service."""
    return errors.BadGatewayError(
        f"The {service} service gave an invalid answer: {detail}"
    )


def _decode(response: httpx.Response) -> Any:
    """Decodes a JSON body exactly (numbers as Decimal); None if empty."""
    if not response.content:
        return None
    return json.loads(response.content, parse_float=decimal.Decimal)


def _forwarded(response: httpx.Response) -> dict[str, str]:
    """Returns the response headers to forward to the public."""
    return {
        name: response.headers[name]
        for name in FORWARDED_HEADERS
        if name in response.headers
    }


def _send(
    service: Service,
    method: str,
    path: str,
    *,
    body: Any,
    params: Mapping[str, str] | None,
    headers: dict[str, str],
    timeout: float | None,
    content: Iterable[bytes] | None = None,
) -> httpx.Response:
    """Sends one request; transport failures become problems.

    The request's id goes with it (``X-Request-ID``): the service's log
    lines and problems then carry the id the gateway's caller was given.
    """
    client = get_client(service)
    headers = {**headers, **service_clients.request_id_headers()}
    extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    if content is None:
        extra["json"] = body
    else:
        extra["content"] = content
    try:
        return client.request(
            method, path, params=params, headers=headers, **extra
        )
    except httpx.TimeoutException as error:
        logger.warning("%s %s %s timed out: %r", service, method, path, error)
        raise errors.UpstreamTimeoutError(
            f"The {service} service did not answer in time."
        ) from error
    except httpx.ConnectError as error:
        logger.warning("%s %s %s unreachable: %r", service, method, path, error)
        raise errors.UpstreamUnavailableError(
            f"The {service} service is unavailable for a moment; retry later."
        ) from error
    except httpx.TransportError as error:
        logger.warning("%s %s %s failed: %r", service, method, path, error)
        raise _bad_gateway(service, "the connection broke.") from error


def _document(
    service: Service, method: str, path: str, response: httpx.Response
) -> Any:
    """Decodes a service's JSON answer; anything else is a 502."""
    try:
        return _decode(response)
    except (ValueError, UnicodeDecodeError) as error:
        logger.error(
            "%s %s %s answered %s with a body that is not JSON",
            service,
            method,
            path,
            response.status_code,
        )
        raise _bad_gateway(service, "the body is not JSON.") from error


def _raise_problem(
    service: Service,
    method: str,
    path: str,
    response: httpx.Response,
    document: Any = None,
) -> NoReturn:
    """Raises a service's problem answer, to pass it through unchanged.

    Raises:
        UpstreamProblemError: The answer is a problem document.
        BadGatewayError: It is not.
    """
    status = response.status_code
    if document is None:
        document = _document(service, method, path, response)
    if not isinstance(document, dict) or not isinstance(
        document.get("code"), str
    ):
        logger.error(
            "%s %s %s answered %s without a problem document",
            service,
            method,
            path,
            status,
        )
        raise _bad_gateway(service, f"status {status} without a problem.")
    raise UpstreamProblemError(
        status=status, body=document, headers=_forwarded(response)
    )


def call(
    service: Service,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: Mapping[str, str] | None = None,
    idempotency_key: str | None = None,
    timeout: float | None = None,
    if_none_match: str | None = None,
    upload: Upload | None = None,
) -> UpstreamResponse:
    """Calls a service's internal API and checks its answer.

    Args:
        service: The service to call.
        method: The HTTP method.
        path: The path, from the service's root (``/internal/v1/...``).
        body: A JSON body, or None for none.
        upload: A body that is not JSON, streamed as it is read (instead
            of ``body``).
        params: Query parameters.
        idempotency_key: Forwarded as ``Idempotency-Key`` when given.
        timeout: Overrides the configured timeouts for this call (seconds).
        if_none_match: An entity tag the service gave earlier: sent as
            ``If-None-Match``, so the service may answer 304.

    Returns:
        The service's successful (2xx) answer, or its 304 (no body) when
        ``if_none_match`` is still current.

    Raises:
        UpstreamProblemError: The service refused the request (4xx) with a
            problem document; it is to be passed through as it is.
        GatewayError: ``upstream_unavailable``, ``upstream_timeout`` or
            ``bad_gateway``.
    """
    headers = {}
    if idempotency_key is not None:
        headers[idempotency_keys.HEADER] = idempotency_key
    if if_none_match is not None:
        headers[conditional.IF_NONE_MATCH] = if_none_match
    if upload is not None:
        headers["Content-Type"] = upload.media_type
        headers["Content-Length"] = str(upload.length)
    response = _send(
        service,
        method,
        path,
        body=body,
        params=params,
        headers=headers,
        timeout=timeout,
        content=None if upload is None else upload.pieces,
    )
    status = response.status_code
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        # The service's own outage answer (its database is out...): passed
        # through with its Retry-After when it is a problem document.
        _raise_problem(service, method, path, response)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        logger.error("%s %s %s answered %s", service, method, path, status)
        raise _bad_gateway(service, f"status {status}.")
    if status == HTTPStatus.UNAUTHORIZED and response.headers.get(
        "WWW-Authenticate", ""
    ).startswith("Service"):
        # The service refused the gateway's own credential: a deployment
        # error, not the caller's; never shown as the caller's 401.
        logger.error("%s refused the gateway's service credential", service)
        raise _bad_gateway(service, "the gateway's credential was refused.")
    etag = response.headers.get(conditional.ETAG)
    if status == HTTPStatus.NOT_MODIFIED and if_none_match is not None:
        return UpstreamResponse(
            status=status,
            body=None,
            headers=_forwarded(response),
            etag=etag or if_none_match,
        )
    document = _document(service, method, path, response)
    if status >= HTTPStatus.BAD_REQUEST:
        _raise_problem(service, method, path, response, document)
    if status >= HTTPStatus.MULTIPLE_CHOICES:
        logger.error("%s %s %s redirected (%s)", service, method, path, status)
        raise _bad_gateway(service, f"unexpected status {status}.")
    if document is None and status != HTTPStatus.NO_CONTENT:
        logger.error("%s %s %s answered an empty body", service, method, path)
        raise _bad_gateway(service, "the body is empty.")
    return UpstreamResponse(
        status=status, body=document, headers=_forwarded(response), etag=etag
    )
