import datetime as dt
import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from accounting import models, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db


def apply(**kwargs):
    event = services.UserEvent.from_payload(factories.user_event(**kwargs))
    return services.holder_apply_user_event(event=event)


def test_first_event_creates_the_holder_and_its_wallet(settings):
    settings.DEFAULT_CURRENCY = "EUR"
    user_id = uuid.uuid4()

    outcome = apply(user_id=user_id, email="ada@example.com")

    assert outcome == services.EventOutcome.APPLIED
    holder = models.Holder.objects.get(pk=user_id)
    assert (holder.email, holder.first_name, holder.last_name) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert holder.version == 1
    assert holder.closed_at is None
    assert sorted(holder.accounts.values_list("kind", "currency")) == [
        ("main", "EUR"),
        ("savings", "EUR"),
    ]
    assert models.Account.objects.filter(
        holder=None, kind="world", currency="EUR"
    ).exists()


def test_a_redelivered_event_changes_nothing():
    user_id, event_id = uuid.uuid4(), uuid.uuid4()
    apply(user_id=user_id, event_id=event_id, version=1)

    outcome = apply(
        user_id=user_id, event_id=event_id, version=2, email="new@example.com"
    )

    assert outcome == services.EventOutcome.DUPLICATE
    holder = models.Holder.objects.get(pk=user_id)
    assert (holder.email, holder.version) == ("ada@example.com", 1)
    assert models.ProcessedEvent.objects.count() == 1


def test_newer_versions_update_and_older_ones_are_ignored():
    user_id = uuid.uuid4()
    apply(user_id=user_id, version=1)
    assert (
        apply(
            user_id=user_id,
            version=3,
            event_type="user.updated",
            email="third@example.com",
            first_name="Grace",
            last_name="Hopper",
        )
        == services.EventOutcome.APPLIED
    )

    outcome = apply(
        user_id=user_id, version=2, event_type="user.updated",
        email="second@example.com",
    )  # fmt: skip

    assert outcome == services.EventOutcome.STALE
    holder = models.Holder.objects.get(pk=user_id)
    assert (holder.email, holder.first_name, holder.last_name) == (
        "third@example.com",
        "Grace",
        "Hopper",
    )
    assert holder.version == 3


def test_an_update_that_overtakes_the_create_still_creates():
    user_id = uuid.uuid4()

    assert (
        apply(
            user_id=user_id,
            version=2,
            event_type="user.updated",
            email="later@example.com",
        )
        == services.EventOutcome.APPLIED
    )
    late_create = apply(user_id=user_id, version=1, email="early@example.com")

    assert late_create == services.EventOutcome.STALE
    holder = models.Holder.objects.get(pk=user_id)
    assert (holder.email, holder.version) == ("later@example.com", 2)
    assert holder.accounts.count() == 2


def test_delete_closes_the_holder_and_its_accounts():
    user_id = uuid.uuid4()
    apply(user_id=user_id, version=1)

    apply(
        user_id=user_id, version=2, event_type="user.deleted", is_active=False
    )

    holder = models.Holder.objects.get(pk=user_id)
    assert holder.closed_at is not None
    assert not holder.accounts.filter(closed_at=None).exists()
    # A later version of an inactive user keeps it closed.
    apply(user_id=user_id, version=3, is_active=False, email="x@example.com")
    holder.refresh_from_db()
    assert holder.is_closed
    assert holder.email == "x@example.com"


def test_a_reactivated_user_reopens():
    user_id = uuid.uuid4()
    apply(user_id=user_id, version=1, is_active=False)
    assert models.Holder.objects.get(pk=user_id).is_closed

    apply(user_id=user_id, version=2, event_type="user.updated")

    holder = models.Holder.objects.get(pk=user_id)
    assert holder.closed_at is None
    assert not holder.accounts.exclude(closed_at=None).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"event_id": "nope", "type": "user.created", "user": {}},
        {"event_id": str(uuid.uuid4()), "type": "user.created", "user": None},
        factories.user_event() | {"type": "user.renamed"},
        factories.user_event() | {"user": {"id": str(uuid.uuid4())}},
    ],
)
def test_malformed_events_are_refused(payload):
    with pytest.raises(ValueError, match=r"user event"):
        services.UserEvent.from_payload(payload)


def test_the_event_s_instant_is_kept_for_the_lag():
    event_id = uuid.uuid4()

    apply(event_id=event_id)

    recorded = models.ProcessedEvent.objects.get(pk=event_id)
    assert recorded.occurred_at == dt.datetime(2026, 11, 21, 10, tzinfo=dt.UTC)
    assert recorded.processed_at > recorded.occurred_at


@pytest.mark.parametrize(
    "occurred_at",
    [None, "", "yesterday", "2026-13-01T00:00:00Z", "2026-11-21T10:00:00"],
)
def test_an_event_without_a_readable_instant_still_applies(occurred_at):
    payload = factories.user_event()
    payload["occurred_at"] = occurred_at
    event = services.UserEvent.from_payload(payload)

    assert event.occurred_at is None
    assert services.holder_apply_user_event(event=event) == "applied"
    assert models.ProcessedEvent.objects.get().occurred_at is None


def test_missing_names_become_empty():
    payload = factories.user_event()
    payload["user"]["first_name"] = None
    del payload["user"]["last_name"]

    event = services.UserEvent.from_payload(payload)

    assert (event.first_name, event.last_name) == ("", "")


@pytest.mark.django_db(transaction=True)
def test_two_first_events_racing_create_one_holder():
    """B waits on A's uncommitted insert, then updates what A created."""
    user_id = uuid.uuid4()
    a_inserted, a_release = threading.Event(), threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                outcomes["a"] = apply(user_id=user_id, version=1)
                a_inserted.set()
                a_release.wait(10)
        finally:
            connection.close()

    def second():
        try:
            outcomes["b"] = apply(
                user_id=user_id, version=2, email="b@example.com"
            )
        finally:
            connection.close()

    a = threading.Thread(target=first)
    a.start()
    assert a_inserted.wait(10)
    b = threading.Thread(target=second)
    b.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until B waits on A's row lock
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.02)
    a_release.set()
    a.join(10)
    b.join(10)

    assert outcomes == {
        "a": services.EventOutcome.APPLIED,
        "b": services.EventOutcome.APPLIED,
    }
    holder = models.Holder.objects.get(pk=user_id)
    assert (holder.email, holder.version) == ("b@example.com", 2)
    assert holder.accounts.count() == 2
