"""The outbox relay and sweep, against the real RabbitMQ vhost."""

import datetime as dt
import time
from collections.abc import Callable, Iterator

import pytest

from config import contracts, request_ids
from users import services
from users.models import OutboxEvent
from users.tests.factories import PASSWORD, UserFactory

NOW = dt.timedelta(0)


def _create(email: str = "ada@example.com") -> OutboxEvent:
    """Creates a user through the service; its event stays pending."""
    user = services.user_create(email=email, password=PASSWORD)
    return OutboxEvent.objects.get(payload__user__id=str(user.id))


@pytest.mark.django_db
def test_relay_publishes_after_commit_and_marks_the_event(
    accounting_queue: Callable, django_capture_on_commit_callbacks: Callable
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = services.user_create(email="ada@example.com", password=PASSWORD)

    assert len(callbacks) == 1
    event = OutboxEvent.objects.get()
    assert event.published_at is not None
    assert (event.attempts, event.last_error) == (1, "")
    [task] = accounting_queue()
    assert task == {
        "task": contracts.USER_EVENT_TASK,
        "id": str(event.id),
        "routing_key": contracts.ACCOUNTING_QUEUE,
        "kwargs": {"event": event.payload},
        "request_id": None,
    }
    assert task["kwargs"]["event"]["user"]["id"] == str(user.id)


@pytest.mark.django_db
def test_the_relay_sends_the_id_of_the_request_that_wrote_the_event(
    accounting_queue: Callable, django_capture_on_commit_callbacks: Callable
) -> None:
    with (
        request_ids.bound("req-signup"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.user_create(email="ada@example.com", password=PASSWORD)

    assert OutboxEvent.objects.get().request_id == "req-signup"
    [task] = accounting_queue()
    assert task["request_id"] == "req-signup"


@pytest.mark.django_db
def test_the_sweep_sends_each_events_own_request_id(
    accounting_queue: Callable,
) -> None:
    with request_ids.bound("req-a"):
        first = _create("a@example.com")
    second = _create("b@example.com")  # written by no request

    with request_ids.bound("the-sweeps-own-task"):
        assert services.outbox_sweep(min_age=NOW) == 2

    assert [(t["id"], t["request_id"]) for t in accounting_queue()] == [
        (str(first.id), "req-a"),
        (str(second.id), None),
    ]
    assert second.request_id == ""


@pytest.mark.django_db
def test_every_change_is_published_in_order(
    accounting_queue: Callable, django_capture_on_commit_callbacks: Callable
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(email="ada@example.com", password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        services.user_update(user_id=user.id, first_name="Augusta")
    with django_capture_on_commit_callbacks(execute=True):
        services.user_delete(user_id=user.id)

    events = [task["kwargs"]["event"] for task in accounting_queue()]
    assert [(e["type"], e["user"]["version"]) for e in events] == [
        (contracts.USER_CREATED, 1),
        (contracts.USER_UPDATED, 2),
        (contracts.USER_DELETED, 3),
    ]
    assert events[1]["user"]["first_name"] == "Augusta"
    assert events[2]["user"]["is_active"] is False
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


@pytest.mark.django_db
def test_broker_outage_neither_fails_nor_holds_the_change(
    accounting_queue: Callable,
    broker_unreachable: Callable,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with broker_unreachable():
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            user = services.user_create(
                email="ada@example.com", password=PASSWORD
            )
        elapsed = time.monotonic() - started

    assert elapsed < 2
    assert user.pk is not None
    event = OutboxEvent.objects.get()
    assert event.published_at is None
    assert event.attempts == 1
    assert "Connection refused" in event.last_error

    assert services.outbox_sweep(min_age=NOW) == 1
    assert services.outbox_sweep(min_age=NOW) == 0

    event.refresh_from_db()
    assert event.published_at is not None
    assert event.attempts == 2
    [task] = accounting_queue()
    assert task["id"] == str(event.id)


@pytest.mark.django_db
def test_silent_broker_costs_a_request_under_a_second(
    broker_unreachable: Callable,
    silent_broker_url: str,
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with broker_unreachable(silent_broker_url):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            services.user_create(email="ada@example.com", password=PASSWORD)
        elapsed = time.monotonic() - started

    assert elapsed < 1.5
    event = OutboxEvent.objects.get()
    assert event.published_at is None
    assert "timed out" in event.last_error


@pytest.mark.django_db
def test_sweep_publishes_oldest_first_in_batches(
    accounting_queue: Callable,
) -> None:
    events = [_create(f"user{n}@example.com") for n in range(5)]

    published = services.outbox_sweep(min_age=NOW, batch_size=2)

    assert published == 5
    assert [task["id"] for task in accounting_queue()] == [
        str(event.id) for event in events
    ]
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


@pytest.mark.django_db
def test_sweep_leaves_young_events_to_the_relay(
    accounting_queue: Callable,
) -> None:
    _create()

    assert services.outbox_sweep() == 0
    assert accounting_queue() == []
    assert OutboxEvent.objects.get().published_at is None


@pytest.mark.django_db
def test_sweep_stops_at_the_first_broker_failure(
    broker_unreachable: Callable,
) -> None:
    first, second = _create(), _create("grace@example.com")

    with broker_unreachable():
        assert services.outbox_sweep(min_age=NOW) == 0

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 0)
    assert "Connection refused" in first.last_error
    assert first.published_at is None
    assert second.published_at is None


@pytest.fixture
def pending_events(broker_unreachable: Callable) -> list[OutboxEvent]:
    """Two committed events that the relay failed to publish."""
    with broker_unreachable():
        return [_create("locked@example.com"), _create("free@example.com")]


@pytest.fixture
def event_locked_elsewhere(
    pending_events: list[OutboxEvent], locked_elsewhere: Callable
) -> Iterator[OutboxEvent]:
    """A pending event whose row another sweeper holds locked."""
    event = pending_events[0]
    with locked_elsewhere(
        "SELECT id FROM users_outboxevent WHERE id = %s FOR UPDATE",
        [event.id],
    ):
        yield event


@pytest.mark.django_db(transaction=True)
def test_sweep_skips_rows_another_sweeper_holds(
    accounting_queue: Callable,
    pending_events: list[OutboxEvent],
    event_locked_elsewhere: OutboxEvent,
) -> None:
    free = pending_events[1]

    assert services.outbox_sweep(min_age=NOW) == 1

    assert [task["id"] for task in accounting_queue()] == [str(free.id)]
    event_locked_elsewhere.refresh_from_db()
    assert event_locked_elsewhere.published_at is None
    assert event_locked_elsewhere.attempts == 1  # The relay's failure.


@pytest.mark.django_db
def test_relay_failure_is_counted_not_raised(
    broker_unreachable: Callable,
) -> None:
    event = _create()

    with broker_unreachable():
        published = services.outbox_event_publish(
            event_id=event.id, payload=event.payload
        )

    assert published is False
    event.refresh_from_db()
    assert event.attempts == 1
    assert event.published_at is None


@pytest.mark.django_db
def test_factory_users_write_no_event() -> None:
    UserFactory()

    assert not OutboxEvent.objects.exists()
