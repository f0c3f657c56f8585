"""What identifies a keyed request: its fingerprint and its key's lock.

A key is stored with a fingerprint of the request it answered: a retry
(the same key and fingerprint) is answered again, another request with the
key is refused. The fingerprint is a hash of the request's canonical JSON,
taken after the service has normalised the request, so that equivalent
bodies (``"5"`` and ``"5.00"``) hash the same. A request holding a secret
(a sign-up's password) is hashed with a key, so that the stored hash
cannot be guessed back into the request.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any


def request_hash(payload: Mapping[str, Any], *, secret: str = "") -> str:
    """Returns a fingerprint of a normalised request.

    Args:
        payload: The parsed request: JSON values, or values written as
            their ``str`` (a date as ``2027-06-30``).
        secret: Hashes with this key (HMAC) when the request holds a
            secret; plain SHA-256 when empty.

    Returns:
        The SHA-256 hex digest of its canonical JSON (64 characters).
    """
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), default=str
    ).encode()
    if secret:
        return hmac.new(secret.encode(), canonical, hashlib.sha256).hexdigest()
    return hashlib.sha256(canonical).hexdigest()


def same_request(stored_hash: str, request_hash: str) -> bool:
    """Tells whether two fingerprints name one request (in constant time)."""
    return hmac.compare_digest(stored_hash.encode(), request_hash.encode())


def lock_id(scope: str, key: str) -> int:
    """Returns the 64-bit advisory lock id of a key within its scope."""
    digest = hashlib.blake2b(f"{scope}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
