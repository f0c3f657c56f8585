"""Where a webhook may be sent: the guard against SSRF.

A webhook URL is chosen by a customer, and this service posts to it from
inside our network. Unchecked, ``http://169.254.169.254/`` would read the
cloud's instance credentials, and ``http://10.0.0.5:5432/`` would probe a
database. So a URL is refused unless it is an absolute http(s) URL without
credentials or fragment, and every address its host resolves to is public
(globally routable); private addresses are allowed only where settings say
so (``WEBHOOK_ALLOW_PRIVATE_ADDRESSES``, a developer's machine).

A check when the URL is registered is not enough: DNS may answer a public
address then and ``127.0.0.1`` at delivery (DNS rebinding). So the sender
(``accounting.webhooks.sending``) resolves the host again when it connects,
vets what it got with :func:`addresses_vetted`, and connects to one of
those very addresses, never to the name.

The URL is parsed by httpx, the same parser the sender uses, so that the
host checked is the host connected to.
"""

import ipaddress
import socket

import httpx

from accounting import errors
from config.webhook_events import URL_MAX_LENGTH

MAX_URL_LENGTH = URL_MAX_LENGTH

_HOST_REFUSED = "The URL's host does not resolve to a public address."


def url_checked(url: str, *, require_https: bool) -> httpx.URL:
    """Returns the URL parsed, if its form is one we post to (no DNS).

    Args:
        url: The endpoint's URL, as given.
        require_https: Refuse plain http.

    Returns:
        The parsed URL: what the sender connects to.

    Raises:
        WebhookUrlInvalidError: Too long, not an absolute http(s) URL,
            http when https is required, with a user or password, with a
            fragment (even empty), or with a port out of range.
    """
    if len(url) > MAX_URL_LENGTH:
        raise errors.WebhookUrlInvalidError(
            f"The URL is longer than {MAX_URL_LENGTH} characters."
        )
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise errors.WebhookUrlInvalidError("The URL is invalid.") from error
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise errors.WebhookUrlInvalidError(
            "The URL must be an absolute http or https URL."
        )
    if require_https and parsed.scheme != "https":
        raise errors.WebhookUrlInvalidError("The URL must use https.")
    if parsed.userinfo:
        raise errors.WebhookUrlInvalidError(
            "The URL must not hold a user name or password."
        )
    if "#" in url:
        raise errors.WebhookUrlInvalidError("The URL must not hold a fragment.")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise errors.WebhookUrlInvalidError("The URL's port is out of range.")
    return parsed


def endpoint_check(
    url: str, *, allow_private: bool, require_https: bool
) -> None:
    """Refuses a webhook URL we must not post to, when it is registered.

    Args:
        url: The endpoint's URL, as given.
        allow_private: Accept hosts on non-public addresses (development).
        require_https: Refuse plain http.

    Raises:
        WebhookUrlInvalidError: Its form is refused (:func:`url_checked`),
            its host does not resolve, or resolves to an address that is not
            public while private ones are not allowed. Both of the latter
            say the same, so that the answer does not tell which internal
            names exist.
    """
    parsed = url_checked(url, require_https=require_https)
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if not addresses_vetted(host, port, allow_private=allow_private):
        raise errors.WebhookUrlInvalidError(_HOST_REFUSED)


def addresses_vetted(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Resolves a host, and returns its addresses if each may be reached.

    All of them must be public, not merely the first: which one a
    connection uses is not ours to pick once the list is handed on.

    Args:
        host: A name or an IP literal (IPv6 without brackets).
        port: The port to connect to.
        allow_private: Accept any address (development).

    Returns:
        The addresses, once each, in the resolver's order; empty when the
        host does not resolve (the caller decides what that means).

    Raises:
        WebhookUrlInvalidError: An address is not public and private ones
            are not allowed.
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not allow_private and not all(map(_public, addresses)):
        raise errors.WebhookUrlInvalidError(_HOST_REFUSED)
    return addresses


def _public(address: str) -> bool:
    """Tells whether an address is globally routable, and nothing else.

    ``is_global`` alone is not enough: Python counts multicast and IPv6
    site-local addresses as global. An IPv4-mapped address is the IPv4 one
    on the wire; a 6to4 one leads to the IPv4 address it carries, so both
    must be public. NAT64's ``64:ff9b::/96`` and IPv4-compatible ``::a.b.c.d``
    lie in the reserved ``::/8``; Teredo's ``2001::/32`` is private.
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _public(str(ip.ipv4_mapped))
        if ip.sixtofour is not None and not _public(str(ip.sixtofour)):
            return False
        if ip.is_site_local:
            return False
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_private
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
    )
