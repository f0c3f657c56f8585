"""Request limits: per scope and window, per user or address, in flight."""

import logging
import os
import threading

import httpx
import pytest
import redis
from django.core.cache import cache, caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from rest_framework.test import APIClient

from config.http11 import MAX_HEADER_BYTES
from config.testing import assert_problem
from integration import limits
from integration.api import partners
from integration.clients import Service
from integration.tests import factories

REDIS_URL = f"{os.environ.get('REDIS_URL', 'redis://127.0.0.1:6379')}/4"
UNREACHABLE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


@pytest.fixture
def tight(settings):
    """Two requests a minute in every scope."""
    settings.API_RATE_LIMITS = dict.fromkeys(
        ("auth", "read", "write", "money"), "2/min"
    )
    return settings


def _me(upstream, user_id: str) -> None:
    upstream.add(
        Service.USERS,
        "GET",
        f"/internal/v1/users/{user_id}",
        json=factories.UserPayloadFactory(id=user_id),
    )


def _tokens(upstream) -> None:
    upstream.add(
        Service.USERS,
        "POST",
        "/internal/v1/tokens",
        json=factories.TokensPayloadFactory(),
    )


def _refused(response, scope: str) -> dict:
    body = assert_problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["RateLimit-Policy"] == f'"{scope}";q=2;w=60'
    assert response["RateLimit"].startswith(f'"{scope}";r=0;t=')
    return body


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("20/min", limits.Rate(20, 60)),
        ("5/s", limits.Rate(5, 1)),
        ("100/hour", limits.Rate(100, 3600)),
        ("1/day", limits.Rate(1, 86400)),
    ],
)
def test_rates_are_read_as_settings_write_them(rate, expected):
    assert limits.parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "20", "x/min", "20/fortnight", "-1/s"])
def test_a_rate_that_is_not_one_is_an_error(rate):
    with pytest.raises(ImproperlyConfigured, match="Not a rate"):
        limits.parse_rate(rate)


def test_a_slot_whose_counter_expired_is_given_back_quietly(caplog):
    with caplog.at_level(logging.WARNING, logger="integration.limits"):
        limits.release_slot("limits:in_flight:address:nobody")
    assert "not released" in caplog.text


def test_a_slot_is_granted_when_the_cache_is_out(caplog):
    with (
        override_settings(CACHES=UNREACHABLE),
        caplog.at_level(logging.WARNING, logger="integration.limits"),
    ):
        caches.close_all()
        granted = limits.acquire_slot("limits:x", limit=1, ttl=5)
    caches.close_all()
    assert granted
    assert "not counted" in caplog.text


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "address:10.0.0.1"),
        (1, None, "address:10.0.0.1"),
        (1, "198.51.100.7, 203.0.113.9", "address:203.0.113.9"),
        (2, "198.51.100.7, 203.0.113.9", "address:198.51.100.7"),
        (3, "203.0.113.9", "address:203.0.113.9"),
    ],
)
def test_forwarded_for_is_trusted_as_far_as_the_proxies_go(
    settings, proxies, forwarded, expected
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": proxies,
    }
    assert limits.address_identity("10.0.0.1", forwarded) == expected


def test_a_slot_is_not_lost_in_an_error_when_the_cache_is_out(caplog):
    with (
        override_settings(CACHES=UNREACHABLE),
        caplog.at_level(logging.WARNING, logger="integration.limits"),
    ):
        caches.close_all()
        limits.release_slot("limits:in_flight:address:nobody")
    caches.close_all()
    assert "not released" in caplog.text


def test_each_answer_says_what_remains(auth_api, upstream, user_id, tight):
    _me(upstream, user_id)

    first = auth_api.get("/api/v1/me")
    second = auth_api.get("/api/v1/me")

    assert first.status_code == second.status_code == 200
    assert first["RateLimit-Policy"] == '"read";q=2;w=60'
    assert first["RateLimit"].startswith('"read";r=1;t=')
    assert second["RateLimit"].startswith('"read";r=0;t=')


def test_a_user_over_the_read_rate_is_refused_and_another_is_not(
    auth_api, upstream, user_id, tight
):
    _me(upstream, user_id)
    other = factories.AccessClaimsFactory()["user_id"]
    _me(upstream, other)
    for _ in range(2):
        assert auth_api.get("/api/v1/me").status_code == 200

    body = _refused(auth_api.get("/api/v1/me"), "read")

    assert "Over 2 requests in 60 s" in body["detail"]
    assert len(upstream.sent) == 2, "the refused request reached no service"
    auth_api.credentials(
        HTTP_AUTHORIZATION=f"Bearer {factories.access_token(user_id=other)}"
    )
    assert auth_api.get("/api/v1/me").status_code == 200


def test_money_posts_count_apart_from_reads(auth_api, upstream, user_id, tight):
    _me(upstream, user_id)
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        f"/internal/v1/holders/{user_id}/credits",
        status=201,
        json={
            "transaction": factories.TransactionPayloadFactory(),
            "balances": {"main": "1.00", "savings": "0.00"},
        },
    )
    for _ in range(2):
        assert auth_api.get("/api/v1/me").status_code == 200

    statuses = [
        auth_api.post("/api/v1/credits", {"amount": "1.00"}).status_code
        for _ in range(2)
    ]
    refused = auth_api.post("/api/v1/credits", {"amount": "1.00"})

    assert statuses == [201, 201]
    _refused(refused, "money")


def test_sign_up_and_log_in_share_one_rate_per_address(api, upstream, tight):
    _tokens(upstream)
    upstream.add(
        Service.USERS,
        "POST",
        "/internal/v1/users",
        status=201,
        json=factories.UserPayloadFactory(),
    )
    credentials = {"email": "a@b.co", "password": "pw"}

    assert api.post("/api/v1/auth/token", credentials).status_code == 200
    assert api.post("/api/v1/auth/signup", credentials).status_code == 201
    response = api.post("/api/v1/auth/token/refresh", {"refresh": "r"})

    _refused(response, "auth")
    assert len(upstream.sent) == 2


def test_a_forged_forwarded_for_does_not_reset_the_count(api, upstream, tight):
    _tokens(upstream)
    credentials = {"email": "a@b.co", "password": "pw"}
    statuses = [
        api.post(
            "/api/v1/auth/token",
            credentials,
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("authorization", [None, "Bearer garbage", "Basic x"])
def test_requests_without_a_valid_token_count_per_address(
    api, upstream, tight, authorization
):
    if authorization:
        api.credentials(HTTP_AUTHORIZATION=authorization)
    statuses = [api.get("/api/v1/accounts").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert upstream.sent == []


def test_health_checks_are_never_limited(api, upstream, tight):
    statuses = {api.get("/healthz").status_code for _ in range(5)}
    assert statuses == {200}


def test_requests_in_flight_are_bounded_per_user(
    auth_api, upstream, user_id, settings
):
    settings.API_MAX_IN_FLIGHT = 1
    entered, leave = threading.Event(), threading.Event()

    def slow(request):
        entered.set()
        assert leave.wait(10)
        return httpx.Response(
            200, json=factories.UserPayloadFactory(id=user_id)
        )

    upstream.add(
        Service.USERS, "GET", f"/internal/v1/users/{user_id}", responder=slow
    )
    first: list = []
    worker = threading.Thread(
        target=lambda: first.append(auth_api.get("/api/v1/me"))
    )
    worker.start()
    assert entered.wait(10)

    while_busy = auth_api.get("/api/v1/me")
    leave.set()
    worker.join(10)
    after = auth_api.get("/api/v1/me")

    body = assert_problem(while_busy, 429, "rate_limited")
    assert "Over 1 requests in progress" in body["detail"]
    assert while_busy["Retry-After"] == "1"
    assert first[0].status_code == 200
    assert after.status_code == 200, "the slot was given back"


def test_a_slot_is_given_back_when_the_view_fails(
    auth_api, upstream, user_id, settings
):
    settings.API_MAX_IN_FLIGHT = 1

    def explode(request):
        raise RuntimeError("boom")

    upstream.add(
        Service.USERS, "GET", f"/internal/v1/users/{user_id}", responder=explode
    )
    statuses = [auth_api.get("/api/v1/me").status_code for _ in range(3)]

    assert statuses == [500, 500, 500]


def test_an_unreachable_cache_lets_requests_through(
    auth_api, upstream, user_id, caplog
):
    _me(upstream, user_id)
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with (
        override_settings(CACHES=unreachable),
        caplog.at_level(logging.WARNING, logger="integration.limits"),
    ):
        caches.close_all()
        response = auth_api.get("/api/v1/me")
    caches.close_all()

    assert response.status_code == 200
    assert "RateLimit" not in response
    assert "Request limits not applied" in caplog.text


def test_counts_live_in_redis_shared_by_every_gateway_process(
    auth_api, upstream, user_id, tight
):
    _me(upstream, user_id)
    shared = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    try:
        with override_settings(CACHES=shared):
            caches.close_all()
            assert auth_api.get("/api/v1/me").status_code == 200
            # Another process sees the same counter: it is in Redis.
            keys = [key.decode() for key in store.keys("*limits:rate:*")]
            assert len(keys) == 1
            assert f"read:user:{user_id}:" in keys[0]
            store.set(keys[0], 2, keepttl=True)  # Another process's two.
            _refused(auth_api.get("/api/v1/me"), "read")
            # The slot of requests in flight is given back in Redis too.
            in_flight = next(store.scan_iter("*limits:in_flight:*"))
            assert int(store.get(in_flight)) == 0
    finally:
        store.flushdb()
        store.close()
        caches.close_all()
        cache.clear()


@pytest.mark.parametrize("size", [MAX_HEADER_BYTES + 1, 200 * 1024])
def test_headers_too_large_are_431_before_anything_else(
    auth_api, upstream, size
):
    response = auth_api.get("/api/v1/me", HTTP_X_PADDING="a" * size)

    assert_problem(response, 431, "request_header_fields_too_large")
    assert upstream.sent == []


def test_headers_just_under_the_limit_are_served(auth_api, upstream, user_id):
    _me(upstream, user_id)
    response = auth_api.get("/api/v1/me", HTTP_X_PADDING="a" * 8000)
    assert response.status_code == 200


@pytest.fixture
def shared_counters():
    """The counters in a Redis of their own, emptied before and after."""
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    shared = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    try:
        with override_settings(CACHES=shared):
            caches.close_all()
            yield store
    finally:
        store.flushdb()
        store.close()
        caches.close_all()


def test_a_gone_counter_in_redis_is_not_recreated_below_zero(
    shared_counters, caplog
):
    with caplog.at_level(logging.WARNING, logger="integration.limits"):
        limits.release_slot("limits:in_flight:address:nobody")

    assert "not released" in caplog.text
    assert shared_counters.keys("*limits:in_flight:*") == []


def test_a_slot_counter_in_redis_lives_its_ttl_and_is_given_back(
    shared_counters,
):
    assert limits.acquire_slot("limits:sockets:x", limit=1, ttl=30)
    assert not limits.acquire_slot("limits:sockets:x", limit=1, ttl=30)
    [name] = shared_counters.keys("*limits:sockets:x")

    assert 0 < shared_counters.ttl(name) <= 30
    assert int(shared_counters.get(name)) == 1, "the refused one gave back"
    limits.release_slot("limits:sockets:x")
    assert int(shared_counters.get(name)) == 0


def test_a_request_refused_for_its_rate_holds_no_slot_in_redis(
    auth_api, upstream, user_id, tight, shared_counters
):
    _me(upstream, user_id)
    statuses = [auth_api.get("/api/v1/me").status_code for _ in range(3)]
    [in_flight] = shared_counters.keys("*limits:in_flight:*")

    assert statuses == [200, 200, 429]
    assert int(shared_counters.get(in_flight)) == 0


# --- Partners' keys ----------------------------------------------------------


def _partner_client(raw_key: str):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def _batch(upstream, payload: dict) -> str:
    """Answers a batch of the key's partner; returns its public URL."""
    batch = factories.CreditBatchPayloadFactory()
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        f"/internal/v1/partners/{payload['partner_id']}/credit-batches/"
        f"{batch['id']}",
        json=batch,
    )
    return f"/api/v1/partner/credit-batches/{batch['id']}"


def test_a_partner_key_is_counted_in_a_bucket_of_its_own(
    upstream, partner_keys, auth_api, user_id, tight
):
    _me(upstream, user_id)
    keys = [partner_keys.issue() for _ in range(2)]
    first, second = (_partner_client(raw_key) for raw_key, _ in keys)
    first_url, second_url = (_batch(upstream, payload) for _, payload in keys)

    statuses = [first.get(first_url).status_code for _ in range(2)]
    refused = first.get(first_url)

    assert statuses == [200, 200]
    _refused(refused, "read")
    # Neither another key nor a user from the same address is counted
    # with it.
    assert second.get(second_url).status_code == 200
    assert auth_api.get("/api/v1/me").status_code == 200


def test_a_partner_key_counts_as_itself(rf, partner_keys):
    raw_key, payload = partner_keys.issue()
    request = rf.get("/", HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    client = limits.client_identity(
        request, limits.READ, partners.CreditBatchDetailApi
    )

    assert client == limits.Client(f"partner_key:{payload['key_id']}")
    assert request.partner_key_verdict[0].key_id == payload["key_id"]


@pytest.mark.parametrize(
    ("scope", "method"), [("read", "get"), ("money", "post")]
)
def test_a_keys_own_rate_replaces_the_scopes(
    upstream, partner_keys, tight, scope, method
):
    raw_key, payload = partner_keys.issue(rate_limit="3/min")
    url = _batch(upstream, payload)
    if method == "post":
        url = "/api/v1/partner/credit-batches"
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            f"/internal/v1/partner-keys/{payload['key_id']}/credit-batches",
            status=202,
            json=factories.CreditBatchPayloadFactory(),
        )
    client = _partner_client(raw_key)
    batch = {
        "items": [
            {
                "user": "a@b.co",
                "amount": "1",
                "currency": "USD",
                "reference": "1",
            }
        ]
    }

    def send():
        if method == "get":
            return client.get(url)
        return client.post(url, batch, format="json", HTTP_IDEMPOTENCY_KEY="k")

    answers = [send() for _ in range(4)]

    assert [answer.status_code for answer in answers[:3]] == [
        200 if method == "get" else 202
    ] * 3
    assert answers[0]["RateLimit-Policy"] == f'"{scope}";q=3;w=60'
    body = assert_problem(answers[3], 429, "rate_limited")
    assert "Over 3 requests in 60 s" in body["detail"]


@pytest.mark.parametrize("revoked", [True, False], ids=["revoked", "garbled"])
def test_an_invalid_key_counts_per_address(
    api, upstream, partner_keys, tight, revoked
):
    raw_key, _ = partner_keys.issue()
    if revoked:
        partner_keys.revoke(raw_key)
    else:
        raw_key = raw_key[:-1]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    other = APIClient(raise_request_exception=False)
    url = (
        "/api/v1/partner/credit-batches/"
        + factories.AccessClaimsFactory()["user_id"]
    )

    statuses = [api.get(url).status_code for _ in range(2)]
    anonymous = other.get(url)

    assert statuses == [401, 401]
    _refused(anonymous, "read")
