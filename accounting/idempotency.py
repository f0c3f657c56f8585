"""Idempotency keys: request fingerprints and lock ids.

A key (its format is every service's: ``config.idempotency``) is scoped to
a holder and stored with the ledger write it made
(``IdempotencyKey``, decision 6). Two requests match when their normalised
bodies hash the same; PostgreSQL advisory locks keyed by ``(holder, key)``
tell a retry from a request still in flight.
"""

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any


def request_hash(payload: Mapping[str, Any]) -> str:
    """Returns a fingerprint of a normalised request body.

    Args:
        payload: The parsed request: JSON values, or values written as
            their ``str`` (a date as ``2027-06-30``).

    Returns:
        The SHA-256 hex digest of its canonical JSON.
    """
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_id(holder_id: uuid.UUID, key: str) -> int:
    """Returns the 64-bit advisory lock id of a holder's key."""
    digest = hashlib.blake2b(
        f"{holder_id}:{key}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)
