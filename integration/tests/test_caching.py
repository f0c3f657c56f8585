"""What the gateway keeps, revalidated with its owner on every request.

The services stand in as owners that tag their answers and answer 304 to
a current ``If-None-Match``, as users and accounting do (their own tests
prove their tags move with every change). The cache is the real one of
the test run (Redis), or a private ``redis-server`` stopped mid-test.
"""

import datetime as dt
import logging
import pickle
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from django.core.cache import cache, caches
from django.test import override_settings
from rest_framework.test import APIClient

from config import conditional
from integration import caching, limits
from integration.clients import Service
from integration.tests import factories


class Owner:
    """A service's answer at a version: 200 with its tag, or 304.

    Attributes:
        body: What it answers now.
        version: Moves with every change of ``body``.
        seen: The ``If-None-Match`` of each request (None: absent).
        refusal: A problem to answer instead, if set.
    """

    def __init__(self, body: Any) -> None:
        self.body = body
        self.version = 1
        self.seen: list[str | None] = []
        self.refusal: tuple[int, dict] | None = None

    @property
    def etag(self) -> str:
        return f'"v{self.version}"'

    def change(self, body: Any) -> None:
        """A write behind the gateway (an admin, a worker)."""
        self.body, self.version = body, self.version + 1

    def __call__(self, request: httpx.Request) -> httpx.Response:
        header = request.headers.get("If-None-Match")
        self.seen.append(header)
        if self.refusal is not None:
            status, problem = self.refusal
            return httpx.Response(
                status,
                json=problem,
                headers={"Content-Type": "application/problem+json"},
            )
        if conditional.matches(header, self.etag):
            return httpx.Response(304, headers={"ETag": self.etag})
        return httpx.Response(200, json=self.body, headers={"ETag": self.etag})


def _client(user_id: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {factories.access_token(user_id=user_id)}"
    )
    return client


def _owner(upstream, service, path, body) -> Owner:
    owner = Owner(body)
    upstream.add(service, "GET", path, responder=owner)
    return owner


@pytest.fixture
def profile(upstream, user_id) -> Owner:
    return _owner(
        upstream,
        Service.USERS,
        f"/internal/v1/users/{user_id}",
        factories.UserPayloadFactory(id=user_id),
    )


@pytest.fixture
def plans(upstream) -> Owner:
    return _owner(
        upstream,
        Service.ACCOUNTING,
        "/internal/v1/plans",
        {"results": [factories.PlanPayloadFactory()]},
    )


def _last_month_end() -> str:
    month = dt.datetime.now(dt.UTC).replace(day=1).date()
    return (month - dt.timedelta(days=1)).isoformat()


# --- Revalidation -----------------------------------------------------------


def test_a_kept_profile_is_served_once_its_owner_says_it_is_current(
    auth_api, profile
):
    first = auth_api.get("/api/v1/me")
    second = auth_api.get("/api/v1/me")

    assert profile.seen == [None, profile.etag]
    assert second.status_code == 200
    assert second.json() == first.json() == profile.body
    assert second["ETag"] == first["ETag"]
    # The public tag is the gateway's own, of the bytes it sends.
    assert first["ETag"] == conditional.strong_etag(first.content)


def test_a_change_behind_the_gateway_shows_on_the_next_request(
    auth_api, profile
):
    first = auth_api.get("/api/v1/me")
    profile.change({**profile.body, "first_name": "Grace"})

    changed = auth_api.get("/api/v1/me", HTTP_IF_NONE_MATCH=first["ETag"])
    again = auth_api.get("/api/v1/me", HTTP_IF_NONE_MATCH=changed["ETag"])

    assert changed.status_code == 200
    assert changed.json()["first_name"] == "Grace"
    assert changed["ETag"] != first["ETag"]
    assert again.status_code == 304
    assert profile.seen == [None, '"v1"', '"v2"']


def test_a_profile_patch_shows_on_the_next_read(auth_api, upstream, profile):
    before = auth_api.get("/api/v1/me")

    def patch(request: httpx.Request) -> httpx.Response:
        del request
        profile.change({**profile.body, "last_name": "Hopper"})
        return httpx.Response(200, json=profile.body)

    upstream.add(Service.USERS, "PATCH", upstream.sent[0].path, responder=patch)
    assert (
        auth_api.patch(
            "/api/v1/me", {"last_name": "Hopper"}, format="json"
        ).status_code
        == 200
    )
    after = auth_api.get("/api/v1/me", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after.json()["last_name"] == "Hopper"


def test_a_refusal_is_passed_through_whatever_was_kept(auth_api, profile):
    kept = auth_api.get("/api/v1/me")
    profile.refusal = (401, factories.problem(401, "user_inactive"))

    refused = auth_api.get("/api/v1/me", HTTP_IF_NONE_MATCH=kept["ETag"])

    assert refused.status_code == 401
    assert refused.json()["code"] == "user_inactive"
    assert "ETag" not in refused


def test_one_users_profile_is_never_anothers(upstream):
    ada, bob = (factories.AccessClaimsFactory()["user_id"] for _ in "ab")
    owners = {
        user: _owner(
            upstream,
            Service.USERS,
            f"/internal/v1/users/{user}",
            factories.UserPayloadFactory(id=user, first_name=name),
        )
        for user, name in ((ada, "Ada"), (bob, "Bob"))
    }
    ada_api, bob_api = _client(ada), _client(bob)

    ada_first = ada_api.get("/api/v1/me")
    bob_first = bob_api.get("/api/v1/me")
    # Bob sends Ada's tag: it names nothing of his.
    bob_again = bob_api.get("/api/v1/me", HTTP_IF_NONE_MATCH=ada_first["ETag"])

    assert ada_first.json()["first_name"] == "Ada"
    assert bob_first.json()["first_name"] == "Bob"
    assert bob_again.status_code == 200
    assert bob_again.json()["first_name"] == "Bob"
    # Each was asked about its own user, with its own kept tag.
    assert owners[ada].seen == [None]
    assert owners[bob].seen == [None, '"v1"']


def test_the_catalog_is_kept_once_and_every_caller_is_checked(upstream, plans):
    ada, bob = (factories.AccessClaimsFactory()["user_id"] for _ in "ab")

    first = _client(ada).get("/api/v1/plans")
    second = _client(bob).get("/api/v1/plans")
    plans.refusal = (401, factories.problem(401, "user_inactive"))
    refused = _client(bob).get("/api/v1/plans")

    assert second.json() == first.json() == {**plans.body, "next": None}
    assert plans.seen == [None, '"v1"', '"v1"']
    holders = [dict(s.request.url.params)["holder"] for s in upstream.sent]
    assert holders == [ada, bob, bob]
    assert refused.status_code == 401


def test_a_plan_edited_by_staff_shows_at_once(auth_api, plans):
    auth_api.get("/api/v1/plans")
    plans.change({"results": [factories.PlanPayloadFactory(value="12.50")]})

    response = auth_api.get("/api/v1/plans")

    assert response.json()["results"][0]["value"] == "12.50"


@pytest.mark.parametrize(
    ("path", "url", "body"),
    [
        (
            "/internal/v1/rates",
            "/api/v1/rates?base=usd",
            {
                "at": "2026-11-21T10:00:00Z",
                "results": [factories.RatePayloadFactory()],
            },
        ),
        (
            "/internal/v1/categories",
            "/api/v1/categories",
            {"results": [{"name": "groceries"}]},
        ),
    ],
)
def test_rates_and_categories_are_kept_and_revalidated(
    auth_api, upstream, path, url, body
):
    owner = _owner(upstream, Service.ACCOUNTING, path, body)

    first = auth_api.get(url)
    second = auth_api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    owner.change({**body, "results": []})
    changed = auth_api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert second.status_code == 304
    assert changed.status_code == 200
    assert changed.json()["results"] == []
    assert owner.seen == [None, '"v1"', '"v1"']


def test_rates_are_kept_per_query(auth_api, upstream):
    owner = _owner(
        upstream,
        Service.ACCOUNTING,
        "/internal/v1/rates",
        {"at": "2026-11-21T10:00:00Z", "results": []},
    )

    auth_api.get("/api/v1/rates?base=USD")
    auth_api.get("/api/v1/rates?base=EUR")
    auth_api.get("/api/v1/rates")
    auth_api.get("/api/v1/rates?base=EUR")

    assert owner.seen == [None, None, None, '"v1"']


def test_a_report_of_a_closed_period_is_kept_per_query(
    auth_api, upstream, user_id
):
    report = factories.ReportPayloadFactory(to="2020-01-31T23:59:59.999999Z")
    owner = _owner(
        upstream,
        Service.ACCOUNTING,
        f"/internal/v1/holders/{user_id}/reports/summary",
        report,
    )
    url = f"/api/v1/reports/summary?group_by=category&to={_last_month_end()}"

    first = auth_api.get(url)
    second = auth_api.get(url)
    auth_api.get(url + "&currency=EUR")
    # A new credit written back into that period (any movement of the
    # holder): accounting's tag moves.
    owner.change({**report, "income": "200.00"})
    changed = auth_api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.json() == first.json()
    assert owner.seen == [None, '"v1"', None, '"v1"']
    assert changed.status_code == 200
    assert changed.json()["income"] == "200.00"


@pytest.mark.parametrize(
    "query",
    ["group_by=month", "group_by=month&to=2999-01-01"],
)
def test_a_report_reaching_into_this_month_is_never_kept(
    auth_api, upstream, user_id, query
):
    owner = _owner(
        upstream,
        Service.ACCOUNTING,
        f"/internal/v1/holders/{user_id}/reports/summary",
        factories.ReportPayloadFactory(),
    )

    for _ in range(2):
        assert auth_api.get(f"/api/v1/reports/summary?{query}").status_code == (
            200
        )

    assert owner.seen == [None, None]


def test_this_months_first_instant_is_not_closed(settings):
    del settings
    now = dt.datetime.now(dt.UTC)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    before = month - dt.timedelta(microseconds=1)

    assert caching.closed_period({"to": before.isoformat()})
    assert not caching.closed_period({"to": month.isoformat()})
    assert not caching.closed_period({})


def test_answers_are_kept_in_redis_with_their_owners_tag(
    auth_api, profile, private_redis
):
    """On a Redis of its own, whatever cache the rest of the run uses."""
    with override_settings(CACHES=_redis_cache(private_redis.url)):
        caches.close_all()
        auth_api.get("/api/v1/me")
        key = caching.key_of("me", profile.body["id"])

        raw = limits.redis_store().get(cache.make_key(key))
        ttl = limits.redis_store().ttl(cache.make_key(key))

    assert pickle.loads(raw) == {"etag": '"v1"', "body": profile.body}  # noqa: S301
    assert 0 < ttl <= 3600


def test_the_embedded_defaults_local_memory_keeps_answers_too(
    auth_api, profile
):
    local = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    with override_settings(CACHES=local):
        first = auth_api.get("/api/v1/me")
        second = auth_api.get("/api/v1/me")
        kept = cache.get(caching.key_of("me", profile.body["id"]))

    assert second.json() == first.json()
    assert profile.seen == [None, '"v1"']
    assert kept == {"etag": '"v1"', "body": profile.body}


# --- A cache out of order ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A ``redis-server`` of this test's own, on a port nobody else uses."""

    def __init__(self, home) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._home = home
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._home),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed (make test installs it)")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    }


def test_a_stopped_redis_costs_speed_never_an_answer(
    auth_api, profile, private_redis, caplog
):
    with override_settings(CACHES=_redis_cache(private_redis.url)):
        caches.close_all()
        kept = auth_api.get("/api/v1/me")
        auth_api.get("/api/v1/me")
        private_redis.stop()
        with caplog.at_level(logging.WARNING, logger="integration.caching"):
            served = auth_api.get("/api/v1/me", HTTP_IF_NONE_MATCH=kept["ETag"])
            profile.change({**profile.body, "first_name": "Grace"})
            changed = auth_api.get("/api/v1/me")
    caches.close_all()

    assert served.status_code == 304  # the owner's answer, tagged alike
    assert changed.status_code == 200
    assert changed.json()["first_name"] == "Grace"
    # Before the stop: kept, then revalidated; after it: unconditional.
    assert profile.seen == [None, '"v1"', None, None]
    assert "Gateway cache unavailable" in caplog.text
    assert "not kept" in caplog.text


def test_an_unreachable_cache_costs_speed_never_an_answer(
    auth_api, plans, caplog
):
    with (
        override_settings(CACHES=_redis_cache("redis://127.0.0.1:1/0")),
        caplog.at_level(logging.WARNING, logger="integration.caching"),
    ):
        caches.close_all()
        responses = [auth_api.get("/api/v1/plans") for _ in range(2)]
    caches.close_all()

    assert [r.status_code for r in responses] == [200, 200]
    assert plans.seen == [None, None]
    assert "read from its owner" in caplog.text
