"""One delivery attempt of a webhook: a signed POST, and what came of it.

The receiver is a stranger's server on the internet, so an attempt trusts
nothing it does:

- where it connects is vetted when it connects: the backend below resolves
  the host itself, refuses unless every address passes
  :func:`~accounting.webhooks.addresses.addresses_vetted`, and connects to
  one of those addresses (DNS cannot rebind the name in between). TLS
  still verifies the certificate against the name, which is also the SNI
  and the Host header;
- ``timeout`` bounds the whole attempt, not each read: every socket
  operation gets what is left of it, so a receiver that drips a byte at a
  time cannot hold a worker. (Name resolution is bounded by the system
  resolver's own timeouts, which come first.);
- redirects are never followed (a 3xx fails the attempt: the receiver
  must give its final URL);
- at most 1 KiB of the answer's body is read, and no compression is asked
  for (none to inflate).

Whatever goes wrong on the network is an :class:`Attempt` with a short
stable ``error``, never an exception, so that the caller records it and
schedules the next attempt (``accounting.webhooks.schedule``). The errors:
``invalid_url``, ``dns_error``, ``address_refused``, ``connection_refused``,
``connection_error``, ``tls_error``, ``timeout``, ``protocol_error``,
``redirect``, and ``http_4xx``, ``http_5xx`` (``http_<n>xx``) for an answer
that is neither a success nor a redirect.
"""

import dataclasses
import functools
import ssl
import time
from collections.abc import Iterable, Mapping

import httpcore
import httpx

from accounting import errors
from accounting.webhooks import addresses

EXCERPT_BYTES = 1024


@dataclasses.dataclass(frozen=True)
class Attempt:
    """What one POST to a webhook endpoint came to.

    Attributes:
        status_code: The receiver's HTTP status, or None when none came.
        error: Why the attempt failed (see the module), "" when it did not.
        duration_ms: How long it took, resolution and connection included.
        response_excerpt: The start of the answer's body (1 KiB at most,
            undecodable bytes replaced), for whoever looks into a failure.
    """

    status_code: int | None
    error: str
    duration_ms: int
    response_excerpt: str

    @property
    def delivered(self) -> bool:
        """Whether the receiver took the event: it answered 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


def post_signed(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    allow_private: bool,
    require_https: bool,
    timeout: float = 10.0,
) -> Attempt:
    """POSTs a signed webhook once, and reports what happened.

    Args:
        url: The endpoint's URL (checked again here, since the rules may
            have changed since it was registered).
        body: The exact bytes that were signed.
        headers: The request's headers: the signature, the content type.
            Host and Content-Length are added.
        allow_private: Connect to non-public addresses (development).
        require_https: Refuse plain http.
        timeout: Seconds the whole attempt may take.

    Returns:
        The attempt; ``attempt.delivered`` when the receiver answered 2xx.
    """
    started = time.monotonic()
    deadline = _Deadline(started + timeout)
    status, error, excerpt = None, "", b""
    try:
        target = addresses.url_checked(url, require_https=require_https)
        backend = _VettingBackend(
            allow_private=allow_private, deadline=deadline
        )
        status, excerpt = _post(target, body, headers, backend)
    except errors.WebhookUrlInvalidError:
        error = "invalid_url"
    except _ConnectFailedError as failure:
        error = failure.reason
    except httpcore.TimeoutException:
        error = "timeout"
    except httpcore.RemoteProtocolError:
        error = "protocol_error"
    except httpcore.NetworkError:
        error = "connection_error"
    else:
        error = _status_error(status)
    return Attempt(
        status_code=status,
        error=error,
        duration_ms=round((time.monotonic() - started) * 1000),
        response_excerpt=excerpt.decode(errors="replace"),
    )


def _post(
    target: httpx.URL,
    body: bytes,
    headers: Mapping[str, str],
    backend: "_VettingBackend",
) -> tuple[int, bytes]:
    """Sends the request on a connection of its own; the status, the excerpt.

    One pool per attempt, never kept: nothing is reused from an earlier
    attempt, whose addresses were vetted then. No timeouts are given to
    httpcore: the backend's deadline is the one limit.
    """
    url = httpcore.URL(
        scheme=target.raw_scheme,
        host=target.raw_host,
        port=target.port,
        target=target.raw_path,
    )
    pool = httpcore.ConnectionPool(
        ssl_context=_tls_context(),
        network_backend=backend,
        max_connections=1,
        max_keepalive_connections=0,
    )
    with (
        pool,
        pool.stream(
            "POST", url, headers=list(headers.items()), content=body
        ) as response,
    ):
        return response.status, _excerpt(response.iter_stream())


def _excerpt(chunks: Iterable[bytes]) -> bytes:
    """Reads the start of a body, and no more than that."""
    data = b""
    try:
        for chunk in chunks:
            data += chunk
            if len(data) >= EXCERPT_BYTES:
                break
    except (
        httpcore.TimeoutException,
        httpcore.NetworkError,
        httpcore.RemoteProtocolError,
    ):
        pass  # The status is the answer; a body cut short shows its start.
    return data[:EXCERPT_BYTES]


def _status_error(status: int) -> str:
    if 200 <= status < 300:
        return ""
    if 300 <= status < 400:
        return "redirect"
    return f"http_{status // 100}xx"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Certificates verified against certifi's roots (or SSL_CERT_FILE)."""
    return httpx.create_ssl_context()


class _ConnectFailedError(httpcore.ConnectError):
    """No connection, for a reason this module names (``Attempt.error``).

    httpcore drops the cause of an exception on its way out of the pool,
    so the reason is told where it is still known.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Deadline:
    """The instant an attempt must be over by (``time.monotonic``)."""

    def __init__(self, at: float) -> None:
        self.at = at

    def left(self, expired: type[httpcore.TimeoutException]) -> float:
        """Returns the seconds left, or raises ``expired`` if none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise expired("The attempt's time is up.")
        return left


class _VettingBackend(httpcore.NetworkBackend):
    """Connects only to addresses vetted at the moment of connecting."""

    def __init__(self, *, allow_private: bool, deadline: _Deadline) -> None:
        self._allow_private = allow_private
        self._deadline = deadline
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolves and vets ``host``, then connects to one of its addresses.

        The addresses are tried in the resolver's order, as
        ``socket.create_connection`` would.
        """
        del timeout  # None: the deadline is the one limit.
        try:
            vetted = addresses.addresses_vetted(
                host, port, allow_private=self._allow_private
            )
        except errors.WebhookUrlInvalidError as error:
            raise _ConnectFailedError("address_refused") from error
        # Raised when no address is left to try; if there was none at all,
        # the name no longer resolves.
        failure: Exception = _ConnectFailedError("dns_error")
        for address in vetted:
            try:
                stream = self._sockets.connect_tcp(
                    address,
                    port,
                    timeout=self._deadline.left(httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectTimeout as error:
                failure = error
            except httpcore.ConnectError as error:
                refused = isinstance(error.__cause__, ConnectionRefusedError)
                failure = _ConnectFailedError(
                    "connection_refused" if refused else "connection_error"
                )
            else:
                return _DeadlineStream(stream, self._deadline)
        raise failure


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation gets what is left of the time."""

    def __init__(
        self, stream: httpcore.NetworkStream, deadline: _Deadline
    ) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Reads at most ``max_bytes``, within the attempt's time."""
        del timeout
        left = self._deadline.left(httpcore.ReadTimeout)
        return self._stream.read(max_bytes, left)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Writes ``buffer``, within the attempt's time."""
        del timeout
        self._stream.write(buffer, self._deadline.left(httpcore.WriteTimeout))

    def close(self) -> None:
        """Closes the connection."""
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        """Upgrades to TLS, the certificate checked against the host name."""
        del timeout
        try:
            stream = self._stream.start_tls(
                ssl_context,
                server_hostname,
                self._deadline.left(httpcore.ConnectTimeout),
            )
        except httpcore.ConnectError as error:
            raise _ConnectFailedError("tls_error") from error
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> object:
        """What httpcore asks of the socket (its TLS object, ...)."""
        return self._stream.get_extra_info(info)
