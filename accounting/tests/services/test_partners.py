"""Partners' API keys: shown once, kept as a hash, revocable."""

import hashlib

import pytest

from accounting import errors, models, services
from accounting.services import partners

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return models.Partner.objects.create(name="Acme Payroll")


def test_a_key_is_shown_once_and_kept_as_its_hash(partner):
    key, raw_key = services.key_issue(
        partner=partner,
        name="payroll",
        scopes=["webhooks:manage", "credits:write", "credits:write"],
        rate_limit="600/min",
        created_by="staff@example.com",
    )

    assert raw_key.startswith("spk_")
    assert len(raw_key) == 4 + 43
    stored = models.PartnerKey.objects.get(pk=key.pk)
    assert stored.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key not in {stored.key_hash, stored.prefix, stored.name}
    assert stored.prefix == raw_key[:12]
    assert stored.scopes == ["credits:write", "webhooks:manage"]
    assert (stored.rate_limit, stored.created_by) == (
        "600/min",
        "staff@example.com",
    )
    assert str(stored) == f"{raw_key[:12]}… (payroll)"
    assert str(partner) == "Acme Payroll"
    _, other_raw = services.key_issue(partner=partner, name="b", scopes=[])
    assert other_raw != raw_key


def test_a_scope_that_is_none_is_refused(partner):
    with pytest.raises(ValueError, match=r"Unknown scopes: \['admin'\]"):
        services.key_issue(partner=partner, name="x", scopes=["admin"])
    assert not models.PartnerKey.objects.exists()


def test_a_live_key_authenticates_and_its_use_is_noted(partner, clock):
    key, raw_key = services.key_issue(partner=partner, name="k", scopes=[])
    assert key.last_used_at is None

    found = services.key_authenticate(raw_key=raw_key)

    assert found.pk == key.pk
    assert found.partner.name == "Acme Payroll"
    assert found.last_used_at == clock.now
    first_use = clock.now
    clock.advance(seconds=30)
    services.key_authenticate(raw_key=raw_key)
    key.refresh_from_db()
    assert key.last_used_at == first_use
    clock.advance(seconds=31)
    services.key_authenticate(raw_key=raw_key)
    key.refresh_from_db()
    assert key.last_used_at == clock.now


@pytest.mark.parametrize(
    "presented",
    ["", "spk_", "spk_unknown", "not a key", "spk_\ud800"],
)
def test_anything_but_a_live_key_authenticates_nothing(partner, presented):
    services.key_issue(partner=partner, name="k", scopes=[])

    with pytest.raises(errors.ApiKeyInvalidError) as refused:
        services.key_authenticate(raw_key=presented)

    assert refused.value.code == "invalid_api_key"


def test_a_revoked_key_authenticates_nothing(partner):
    key, raw_key = services.key_issue(partner=partner, name="k", scopes=[])

    assert services.key_revoke(key=key, revoked_by="staff@example.com")
    assert not services.key_revoke(key=key, revoked_by="someone else")

    assert key.is_revoked
    assert key.revoked_by == "staff@example.com"
    with pytest.raises(errors.ApiKeyInvalidError):
        services.key_authenticate(raw_key=raw_key)


def test_a_key_digest_is_its_sha256():
    assert partners.key_digest("spk_x") == hashlib.sha256(b"spk_x").hexdigest()
