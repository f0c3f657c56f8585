"""The ``auth`` scope: sign-up, log-in and refresh share one rate limit."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.settings import api_settings

from integration.clients import Service
from integration.tests import factories
from integration.throttling import AuthRateThrottle


@pytest.fixture
def two_per_minute():
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "auth": "2/min"}
    with override_settings(
        REST_FRAMEWORK={
            **api_settings.user_settings,
            "DEFAULT_THROTTLE_RATES": rates,
        }
    ):
        cache.clear()
        yield
    cache.clear()


def test_the_default_rate_comes_from_settings(settings):
    assert api_settings.DEFAULT_THROTTLE_RATES["auth"] == (
        settings.AUTH_THROTTLE_RATE
    )


def test_429_with_retry_after_once_over_the_limit(
    api, upstream, two_per_minute
):
    upstream.add(
        Service.USERS,
        "POST",
        "/internal/v1/tokens",
        json=factories.TokensPayloadFactory(),
    )
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

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 61
    assert len(upstream.sent) == 2


def test_authenticated_endpoints_are_not_throttled(
    auth_api, upstream, user_id, two_per_minute
):
    upstream.add(
        Service.USERS,
        "GET",
        f"/internal/v1/users/{user_id}",
        json=factories.UserPayloadFactory(id=user_id),
    )
    statuses = {auth_api.get("/api/v1/me").status_code for _ in range(5)}
    assert statuses == {200}


def test_a_forged_forwarded_for_does_not_reset_the_count(
    api, upstream, two_per_minute
):
    upstream.add(
        Service.USERS,
        "POST",
        "/internal/v1/tokens",
        json=factories.TokensPayloadFactory(),
    )
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


def test_an_unconfigured_scope_is_not_limited():
    throttle = AuthRateThrottle()
    throttle.scope = "nothing"
    assert throttle.get_rate() is None
