"""Signatures of outgoing webhooks: HMAC-SHA256, as Stripe signs its own.

Every request carries one header, ``Webhook-Signature``::

    Webhook-Signature: t=1767225600,v1=5257a869e7ec...,v1=9ac2f50b03d4...

``t`` is when it was signed (Unix seconds) and each ``v1`` the hex
HMAC-SHA256 of ``f"{t}.".encode() + body``, keyed with one of the endpoint's
secrets (the whole ``whsec_...`` string, as UTF-8). There is one ``v1`` per
secret: the current one and, while a secret is being rotated, the previous
one, so that a receiver still holding either accepts the request.

A receiver recomputes the MAC over the raw body it received (before any
JSON parsing), compares in constant time with each ``v1``, and refuses a
``t`` too far from its own clock, which bounds how long a captured request
can be replayed. :func:`signature_verify` is exactly that, in Python::

    ok = signature_verify(
        header=request.headers["Webhook-Signature"],
        body=request.body,
        secret=ENDPOINT_SECRET,
        now=int(time.time()),
    )
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence

SIGNATURE_HEADER = "Webhook-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, no secret)
# Seconds a signature stays acceptable either side of the receiver's clock.
DEFAULT_TOLERANCE = 300

_TIMESTAMP = re.compile(r"[0-9]{1,15}")
_V1 = re.compile(r"[0-9a-f]{64}")


def secret_new() -> str:
    """Returns a new endpoint secret: ``whsec_`` and 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(
    *, secrets: Sequence[str], timestamp: int, body: bytes
) -> str:
    """Returns the ``Webhook-Signature`` value for a request body.

    Args:
        secrets: The endpoint's secrets, current one first; two while a
            rotation lets the receiver switch over.
        timestamp: When the request is signed, in Unix seconds (each retry
            is signed anew, so that it passes the receiver's tolerance).
        body: The exact bytes that will be sent.

    Returns:
        ``t=<timestamp>,v1=<hex>`` with one ``v1`` per secret.

    Raises:
        ValueError: No secret: a request nobody can verify must not go out.
    """
    if not secrets:
        raise ValueError("A webhook is signed with at least one secret.")
    macs = (f"v1={_mac(secret, timestamp, body)}" for secret in secrets)
    return ",".join((f"t={timestamp}", *macs))


def signature_verify(
    *,
    header: str,
    body: bytes,
    secret: str,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """Tells whether a request was signed with ``secret``, recently.

    What a receiver runs. Any header this module would not write (missing
    or repeated ``t``, no ``v1``, a part without ``=``) is simply not
    verified: the header comes from the network and must never raise.
    Parts with other names (a future ``v2``) are ignored.

    Args:
        header: The ``Webhook-Signature`` value received.
        body: The raw body received.
        secret: The endpoint's secret the receiver holds.
        now: The receiver's clock, in Unix seconds.
        tolerance: Seconds ``t`` may be from ``now``, either way.

    Returns:
        True when one ``v1`` is the MAC of this body at ``t`` and ``t`` is
        within ``tolerance`` of ``now``.
    """
    timestamps, candidates = [], []
    for part in header.split(","):
        name, equals, value = part.strip().partition("=")
        if not equals:
            return False
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            candidates.append(value)
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    # Every candidate is compared, so the time taken says nothing of which
    # one (if any) matched.
    matches = [
        hmac.compare_digest(expected, candidate)
        for candidate in candidates
        if _V1.fullmatch(candidate)
    ]
    return any(matches)
