import hashlib
import hmac
import uuid

from config.idempotency import fingerprints


def test_a_request_hashes_the_same_whatever_its_key_order():
    assert fingerprints.request_hash({"a": 1, "b": "x"}) == (
        fingerprints.request_hash({"b": "x", "a": 1})
    )
    assert fingerprints.request_hash({"a": 1}) != (
        fingerprints.request_hash({"a": 2})
    )


def test_the_hash_is_the_one_stored_keys_were_made_with():
    # Keys stored before a deploy must still replay after it.
    assert fingerprints.request_hash({"b": "x", "a": 1}) == (
        hashlib.sha256(b'{"a":1,"b":"x"}').hexdigest()
    )
    assert fingerprints.request_hash({"day": uuid.UUID(int=1)}) == (
        hashlib.sha256(
            b'{"day":"00000000-0000-0000-0000-000000000001"}'
        ).hexdigest()
    )


def test_a_request_holding_a_secret_is_hashed_with_a_key():
    request = {"email": "ada@example.com", "password": "a passphrase"}

    keyed = fingerprints.request_hash(request, secret="s3cret")

    canonical = b'{"email":"ada@example.com","password":"a passphrase"}'
    assert keyed == (hmac.new(b"s3cret", canonical, hashlib.sha256).hexdigest())
    assert keyed != fingerprints.request_hash(request)
    assert keyed != fingerprints.request_hash(request, secret="other")


def test_same_request_compares_fingerprints():
    assert fingerprints.same_request("ab12", "ab12")
    assert not fingerprints.same_request("ab12", "ab13")


def test_a_lock_id_is_a_stable_signed_64_bit_number():
    holder_id = uuid.uuid4()
    lock = fingerprints.lock_id(str(holder_id), "k")

    assert lock == fingerprints.lock_id(str(holder_id), "k")
    assert -(2**63) <= lock < 2**63
    assert lock != fingerprints.lock_id(str(holder_id), "k2")
    assert lock != fingerprints.lock_id(str(uuid.uuid4()), "k")
