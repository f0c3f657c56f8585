"""The pooled HTTP client a service calls another's internal API with.

The gateway calls users and accounting on every request
(``integration/clients.py``), the users admin calls accounting for a
customer's summary (``users/clients.py``). Both build their client here:
one ``httpx.Client`` per process and upstream, kept, so its pool of
connections is reused; the upstream's base URL and the caller's service
credential on every request; bounded waits; and proxy variables of the
environment ignored (internal calls go straight to the service). Each
call carries the id of the request being served (:func:`request_id_headers`),
so the service's log lines are found with the caller's.
"""

import httpx

from config import request_ids
from config.service_auth import service_headers


def pooled_client(
    *,
    base_url: str,
    token: str,
    connect_timeout: float,
    read_timeout: float,
    pool_size: int,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """Builds the client of one internal API.

    Args:
        base_url: The service's root URL.
        token: The caller's credential for that API (``Service <token>``).
        connect_timeout: Seconds a connection may take to open.
        read_timeout: Seconds any other wait may take (write, read, a
            connection from the pool).
        pool_size: Connections kept open, and the most open at once.
        transport: A transport to use instead of httpx's pooled one (tests
            pass an ``httpx.MockTransport``).

    Returns:
        The client.
    """
    return httpx.Client(
        base_url=base_url,
        headers=service_headers(token),
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        limits=httpx.Limits(
            max_connections=pool_size, max_keepalive_connections=pool_size
        ),
        transport=transport,
        trust_env=False,
    )


def request_id_headers() -> dict[str, str]:
    """Returns ``X-Request-ID`` of the request being served, if any."""
    request_id = request_ids.current()
    return {request_ids.HEADER: request_id} if request_id else {}
