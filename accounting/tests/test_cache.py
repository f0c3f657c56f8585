"""The cache of plans and rates: served from Redis, never stale.

``make unit`` runs these on real Redis (CACHE_URL). A test's transaction
never commits, so a test that needs invalidations to happen either commits
for real (``transaction=True``) or runs the on-commit callbacks by hand
(``django_capture_on_commit_callbacks``).
"""

import datetime as dt
import decimal
import logging
import runpy
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounting import cache, models, selectors, services, wire
from accounting.selectors import catalog
from accounting.tests import factories
from config.testing import run_confirmed_action

pytestmark = pytest.mark.django_db

PLANS_URL = "/internal/v1/plans"
RATES_URL = "/internal/v1/rates"
REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
SETTINGS_FILE = Path(__file__).parents[2] / "config/accounting/settings.py"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


@pytest.fixture
def redis_down(settings):
    """Points the cache at a port where no Redis listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": REDIS_BACKEND,
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def YESTERDAY():  # noqa: N802 - reads like the constant it stands for.
    return timezone.now() - dt.timedelta(days=1)


def version(namespace):
    """Returns a namespace's version as stored in the cache (None: none)."""
    return django_cache.get(f"{namespace}:version")


def redis_ttl(key):
    """Returns the seconds Redis keeps a cache key (a cache entry's key)."""
    location = settings.CACHES["default"]["LOCATION"]
    return redis.Redis.from_url(location).ttl(django_cache.make_key(key))


def plan_names(response):
    assert response.status_code == 200
    return [plan["name"] for plan in response.json()["results"]]


def rate_of(api_client, query=""):
    response = api_client.get(RATES_URL + query)
    assert response.status_code == 200
    return [
        (r["base"], r["quote"], r["rate"]) for r in response.json()["results"]
    ]


def publish(rate, valid_from, base="USD", quote="EUR"):
    return services.rate_create(
        base=base,
        quote=quote,
        rate=decimal.Decimal(rate),
        valid_from=valid_from,
    )


class Counter:
    """A ``compute`` that counts its calls and answers with the count."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"calls": str(self.calls)}


# --- The cache itself -------------------------------------------------------


def test_make_unit_runs_these_on_redis(settings):
    assert settings.CACHES["default"]["BACKEND"] == REDIS_BACKEND
    assert settings.CACHES["default"]["LOCATION"].startswith("redis://")


def test_a_hit_answers_from_redis_without_queries(
    api_client, django_assert_num_queries
):
    plan = factories.PlanFactory(name="Basic")
    first = api_client.get(PLANS_URL)

    with django_assert_num_queries(0):
        second = api_client.get(PLANS_URL)

    assert first.json() == second.json() == {"results": [wire.plan_data(plan)]}
    stored = django_cache.get(f"plans:v{version('plans')}:active")
    assert stored == {"value": [wire.plan_data(plan)], "until": None}


@pytest.mark.django_db(transaction=True)
def test_an_invalidation_outside_a_transaction_is_immediate():
    compute = Counter()
    assert cache.cached("things", "one", compute) == {"calls": "1"}
    assert cache.cached("things", "one", compute) == {"calls": "1"}
    before = version("things")

    cache.invalidate("things")

    assert version("things") == before + 1
    assert cache.cached("things", "one", compute) == {"calls": "2"}


def test_the_first_invalidation_of_a_namespace_creates_its_version(
    django_capture_on_commit_callbacks,
):
    assert version("fresh") is None

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cache.invalidate("fresh")

    assert len(callbacks) == 1
    assert isinstance(version("fresh"), int)
    assert cache.cached("fresh", "k", Counter()) == {"calls": "1"}


def test_entries_live_for_the_default_timeout_or_the_given_one(settings):
    settings.CACHE_TIMEOUT = 42
    cache.cached("things", "default", Counter())
    cache.cached("things", "short", Counter(), timeout=7)

    current = version("things")
    assert 40 <= redis_ttl(f"things:v{current}:default") <= 42
    assert 5 <= redis_ttl(f"things:v{current}:short") <= 7
    # Version keys expire too: a new one starts afresh (time_ns).
    assert redis_ttl("things:version") > 6 * 24 * 3600
    assert current > 1_600_000_000 * 10**9


def test_an_entry_is_not_used_at_or_after_its_until(clock):
    start = clock.now
    compute = Counter()

    def ask():
        return cache.cached(
            "things", "k", compute, until=start + dt.timedelta(seconds=10)
        )

    assert ask() == {"calls": "1"}
    assert 9 <= redis_ttl(f"things:v{version('things')}:k") <= 10
    clock.now = start + dt.timedelta(seconds=10) - dt.timedelta.resolution
    assert ask() == {"calls": "1"}
    clock.now = start + dt.timedelta(seconds=10)
    # Past its deadline: computed, and not stored at all.
    assert ask() == {"calls": "2"}
    assert ask() == {"calls": "3"}


def test_until_may_be_read_from_the_computed_value(clock):
    start = clock.now
    deadline = start + dt.timedelta(minutes=5)
    calls = []

    def compute():
        calls.append(1)
        return {"next": deadline}

    def ask():
        return cache.cached(
            "things", "k", compute, until=lambda value: value["next"]
        )

    assert ask() == {"next": deadline}
    clock.now = deadline - dt.timedelta(seconds=1)
    assert ask() == {"next": deadline}
    assert len(calls) == 1
    clock.now = deadline
    ask()
    assert len(calls) == 2


def test_a_value_that_cannot_be_stored_is_still_answered(caplog):
    calls = []

    def compute():
        calls.append(1)
        return {"unpicklable": lambda: len(calls)}

    with caplog.at_level(logging.WARNING, logger="accounting.cache"):
        first = cache.cached("things", "bad", compute)
        second = cache.cached("things", "bad", compute)

    assert (first["unpicklable"](), second["unpicklable"]()) == (2, 2)
    assert len(calls) == 2  # computed again: nothing was stored
    assert "Cache unavailable: not storing things:bad" in caplog.text


# --- Redis down -------------------------------------------------------------


@pytest.mark.usefixtures("redis_down")
def test_with_redis_down_answers_stay_right(
    api_client, caplog, django_capture_on_commit_callbacks
):
    plan = factories.PlanFactory(name="Basic")
    publish("0.92", YESTERDAY())

    with caplog.at_level(logging.WARNING, logger="accounting.cache"):
        assert plan_names(api_client.get(PLANS_URL)) == ["Basic"]
        assert rate_of(api_client) == [("USD", "EUR", "0.92")]
        plan.name = "Renamed"
        with django_capture_on_commit_callbacks(execute=True):
            plan.save()
        assert plan_names(api_client.get(PLANS_URL)) == ["Renamed"]

    assert "Cache unavailable: computing plans:active" in caplog.text
    assert "Cache unavailable: namespace 'plans' not invalidated" in (
        caplog.text
    )


# --- Plans ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_plan_edited_in_the_admin_shows_at_once(api_client, staff):
    plan = factories.PlanFactory(name="Basic")
    assert plan_names(api_client.get(PLANS_URL)) == ["Basic"]

    response = staff.post(
        reverse("admin:accounting_plan_change", args=[plan.pk]),
        {
            "name": "Renamed",
            "kind": "percentage",
            "currency": "USD",
            "value": "15.00",
            "savings_hold_days": "0",
            "description": "",
        },
    )

    assert response.status_code == 302
    (listed,) = api_client.get(PLANS_URL).json()["results"]
    assert (listed["name"], listed["value"]) == ("Renamed", "15.00")

    run_confirmed_action(
        staff,
        reverse("admin:accounting_plan_changelist"),
        "deactivate",
        [plan.pk],
    )
    assert plan_names(api_client.get(PLANS_URL)) == []


@pytest.mark.django_db(transaction=True)
def test_a_reader_that_read_before_the_commit_is_never_served(api_client):
    plan = factories.PlanFactory(name="Old")

    def slow_reader():
        # Reads the rows, then the staff's change commits (and invalidates)
        # before this reader stores what it read.
        read = [wire.plan_data(p) for p in selectors.plans_active()]
        services.plan_set_active(plan=plan, is_active=False)
        return read

    stale = cache.cached(catalog.PLANS, "active", slow_reader)

    assert [p["name"] for p in stale] == ["Old"]
    assert catalog.plans_active_data() == []
    assert plan_names(api_client.get(PLANS_URL)) == []


@pytest.mark.django_db(transaction=True)
def test_a_rollback_invalidates_nothing(django_assert_num_queries):
    plan = factories.PlanFactory(name="Kept")
    assert [p["name"] for p in catalog.plans_active_data()] == ["Kept"]
    before = version("plans")

    def rename_then_fail():
        with transaction.atomic():
            plan.name = "Lost"
            plan.save()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        rename_then_fail()

    assert version("plans") == before
    with django_assert_num_queries(0):
        assert [p["name"] for p in catalog.plans_active_data()] == ["Kept"]

    with transaction.atomic():
        plan.name = "Committed"
        plan.save()

    assert version("plans") == before + 1
    assert [p["name"] for p in catalog.plans_active_data()] == ["Committed"]


# --- Every write path invalidates -------------------------------------------


def write_plan_create():
    factories.PlanFactory()


def write_plan_update():
    services.plan_set_active(plan=factories.PlanFactory(), is_active=False)


def write_plan_save():
    services.plan_save(
        name="Saved",
        kind="percentage",
        currency="USD",
        value=decimal.Decimal(5),
    )


def write_plan_delete():
    factories.PlanFactory().delete()


def write_rate_create():
    publish("0.95", YESTERDAY())


def write_category_create():
    models.Category.objects.create(name="groceries")


def write_category_update():
    category = models.Category.objects.create(name="rent")
    category.is_active = False
    category.save()


def write_category_delete():
    models.Category.objects.create(name="fun").delete()


def write_seed_demo():
    call_command("seed_demo", stdout=None)


@pytest.mark.parametrize(
    ("write", "namespaces"),
    [
        (write_plan_create, ["plans"]),
        (write_plan_update, ["plans"]),
        (write_plan_save, ["plans"]),
        (write_plan_delete, ["plans"]),
        (write_rate_create, ["rates"]),
        (write_category_create, ["categories"]),
        (write_category_update, ["categories"]),
        (write_category_delete, ["categories"]),
        (write_seed_demo, ["plans", "rates", "categories"]),
    ],
)
def test_every_write_invalidates_its_namespace_on_commit(
    write, namespaces, django_capture_on_commit_callbacks, capsys
):
    names = ["plans", "rates", "categories"]
    for namespace in names:
        cache.cached(namespace, "probe", Counter())
    before = {namespace: version(namespace) for namespace in names}

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        write()
    # Nothing moves before the commit.
    assert {namespace: version(namespace) for namespace in names} == before
    for callback in callbacks:
        callback()

    capsys.readouterr()
    after = {namespace: version(namespace) for namespace in names}
    assert {n for n in names if after[n] != before[n]} == set(namespaces)


# --- Rates ------------------------------------------------------------------


def test_a_future_rate_shows_exactly_at_its_valid_from(
    api_client, clock, django_assert_num_queries
):
    start = clock.now
    switch = start + dt.timedelta(hours=1)
    publish("0.92", start - dt.timedelta(hours=1))
    publish("0.95", switch)
    publish("150", start - dt.timedelta(hours=1), quote="JPY")

    assert rate_of(api_client) == [
        ("USD", "EUR", "0.92"),
        ("USD", "JPY", "150"),
    ]
    assert rate_of(api_client, "?base=USD") == [
        ("USD", "EUR", "0.92"),
        ("USD", "JPY", "150"),
    ]
    clock.now = switch - dt.timedelta.resolution
    with django_assert_num_queries(0):
        assert rate_of(api_client) == [
            ("USD", "EUR", "0.92"),
            ("USD", "JPY", "150"),
        ]

    clock.now = switch
    assert rate_of(api_client) == [
        ("USD", "EUR", "0.95"),
        ("USD", "JPY", "150"),
    ]
    assert rate_of(api_client, "?base=USD")[0] == ("USD", "EUR", "0.95")
    # No future rate left: kept until a write or the timeout.
    clock.now = switch + dt.timedelta(days=365)
    with django_assert_num_queries(0):
        assert rate_of(api_client)[0] == ("USD", "EUR", "0.95")


def test_a_future_rate_of_another_base_does_not_cut_an_answer_short(clock):
    start = clock.now
    current = publish("0.92", start - dt.timedelta(hours=1))
    publish("1.10", start + dt.timedelta(hours=1), base="EUR", quote="USD")

    catalog.rates_current_data(base="USD", at=start)

    stored = django_cache.get(f"rates:v{version('rates')}:USD")
    assert stored["until"] is None
    assert stored["value"]["rates"] == [wire.rate_data(current)]


def test_an_answer_is_not_used_for_an_earlier_instant(clock):
    start = clock.now
    publish("0.92", start - dt.timedelta(hours=1))
    publish("0.95", start)

    assert catalog.rates_current_data(at=start)[0]["rate"] == "0.95"
    # A process whose clock lags behind must not see the rate early.
    earlier = start - dt.timedelta(seconds=1)
    assert catalog.rates_current_data(at=earlier)[0]["rate"] == "0.92"
    assert catalog.rates_current_data(at=start)[0]["rate"] == "0.95"


@pytest.mark.django_db(transaction=True)
def test_a_rate_added_in_the_admin_shows_at_once(api_client, staff):
    publish("0.92", YESTERDAY())
    assert rate_of(api_client) == [("USD", "EUR", "0.92")]

    response = staff.post(
        reverse("admin:accounting_rate_add"),
        {
            "base": "USD",
            "quote": "EUR",
            "rate": "0.97",
            "valid_from_0": "",
            "valid_from_1": "",
        },
    )

    assert response.status_code == 302
    assert rate_of(api_client) == [("USD", "EUR", "0.97")]


# --- Settings ---------------------------------------------------------------


def test_settings_redis_gets_short_socket_timeouts(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("CACHE_KEY_PREFIX", "run42")

    caches = runpy.run_path(str(SETTINGS_FILE))["CACHES"]

    assert caches["default"] == {
        "BACKEND": REDIS_BACKEND,
        "LOCATION": "redis://127.0.0.1:6379/1",
        "KEY_PREFIX": "run42",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


def test_settings_default_is_shared_by_every_process(monkeypatch):
    monkeypatch.delenv("CACHE_URL")
    monkeypatch.delenv("CACHE_KEY_PREFIX", raising=False)

    namespace = runpy.run_path(str(SETTINGS_FILE))

    default = namespace["CACHES"]["default"]
    assert default["BACKEND"].endswith("FileBasedCache")
    assert default["LOCATION"] == str(
        namespace["VAR_DIR"] / "cache" / "accounting"
    )
    assert default["KEY_PREFIX"] == "accounting"
    assert "OPTIONS" not in default
    assert namespace["CACHE_TIMEOUT"] == 300
