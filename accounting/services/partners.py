"""Partners' API keys: issued by staff, shown once, kept as a hash.

A key is ``spk_`` and 43 characters of a 256-bit random secret
(``config.partner_keys``). Only its
SHA-256 is stored: the key cannot be read back, by staff or from a copy
of the database, and a request finds its key by one index probe on the
hash. A revoked key authenticates nothing from that moment.
"""

import datetime as dt
import hashlib

from django.utils import timezone

from accounting import errors, models
from config import partner_keys

# How much of a key is kept in clear to tell keys apart (prefix included).
SHOWN_CHARACTERS = 12
# A key's last use is written at most this often: a busy key must not
# turn each of its requests into a write.
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)
SCOPES = frozenset(models.PartnerKey.Scope.values)


def key_digest(raw_key: str) -> str:
    """Returns the SHA-256 (hex) a key is stored as."""
    return hashlib.sha256(raw_key.encode(errors="replace")).hexdigest()


def key_issue(
    *,
    partner: models.Partner,
    name: str,
    scopes: list[str],
    rate_limit: str = "",
    created_by: str = "",
) -> tuple[models.PartnerKey, str]:
    """Issues a key to a partner.

    Args:
        partner: Whose key it is.
        name: What it is for, for staff and the partner.
        scopes: What it may do (:class:`models.PartnerKey.Scope` values).
        rate_limit: Its own request rate (``"600/min"``), already checked;
            empty for the gateway's default.
        created_by: The staff member who issued it.

    Returns:
        The stored key and the key itself: shown once, never again.

    Raises:
        ValueError: A scope that is none.
    """
    unknown = set(scopes) - SCOPES
    if unknown:
        raise ValueError(f"Unknown scopes: {sorted(unknown)}")
    raw_key = partner_keys.key_new()
    key = models.PartnerKey.objects.create(
        partner=partner,
        name=name,
        prefix=raw_key[:SHOWN_CHARACTERS],
        key_hash=key_digest(raw_key),
        scopes=sorted(set(scopes)),
        rate_limit=rate_limit,
        created_by=created_by,
    )
    return key, raw_key


def key_revoke(*, key: models.PartnerKey, revoked_by: str = "") -> bool:
    """Revokes a key; a revoked one stays as it was.

    Returns:
        Whether this call revoked it.
    """
    revoked = models.PartnerKey.objects.filter(
        pk=key.pk, revoked_at__isnull=True
    ).update(revoked_at=timezone.now(), revoked_by=revoked_by)
    key.refresh_from_db()
    return bool(revoked)


def key_authenticate(*, raw_key: str) -> models.PartnerKey:
    """Returns the live key a request presents, and notes its use.

    Args:
        raw_key: The key as the client sent it.

    Returns:
        The key, with its partner.

    Raises:
        ApiKeyInvalidError: No key is that one, or it is revoked.
    """
    key = (
        models.PartnerKey.objects.select_related("partner")
        .filter(key_hash=key_digest(raw_key), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        raise errors.ApiKeyInvalidError()
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= (
        LAST_USE_RESOLUTION
    ):
        models.PartnerKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
