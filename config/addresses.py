"""Which address a request came from, behind the deployment's proxies."""

import ipaddress


def client_address(
    remote_addr: str, forwarded_for: str | None, proxies: int
) -> str:
    """Returns the client's address as the deployment can trust it.

    ``X-Forwarded-For`` is trusted only as far as the ``proxies`` proxies
    of the deployment added to it: the client cannot pick its address.

    Args:
        remote_addr: The socket's peer.
        forwarded_for: The ``X-Forwarded-For`` header, if any.
        proxies: How many proxies of the deployment stand in front.

    Returns:
        The address, as sent (not checked to be an IP address).
    """
    if not proxies or not forwarded_for:
        return remote_addr
    hops = forwarded_for.split(",")
    return hops[-min(proxies, len(hops))].strip()


def ip_or_none(address: str) -> str | None:
    """Returns the address if it is an IP address, else None."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
