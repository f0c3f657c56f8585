"""A partner's API key, as accounting issues it and the gateway reads it.

``spk_``, then 256 random bits in URL-safe base64 (43 characters). The
prefix tells a key from an access token in the same ``Authorization:
Bearer`` header; the shape lets the gateway refuse what no key can be
without asking accounting.
"""

import re
import secrets

PREFIX = "spk_"
_SECRET_BYTES = 32
_SHAPE = re.compile(rf"{PREFIX}[A-Za-z0-9_-]{{43}}")


def key_new() -> str:
    """Returns a new key (shown once; accounting keeps its hash)."""
    return PREFIX + secrets.token_urlsafe(_SECRET_BYTES)


def is_key_shaped(text: str) -> bool:
    """Tells whether a text could be a key (not whether it is one)."""
    return _SHAPE.fullmatch(text) is not None
