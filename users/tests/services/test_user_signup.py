"""user_signup: at most one user per Idempotency-Key."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from config.idempotency import store
from users import services
from users.errors import UsersError
from users.models import IdempotencyKey, OutboxEvent, User
from users.tests.factories import PASSWORD


def _render(user: User) -> dict:
    return {"id": str(user.id), "email": user.email}


def _signup(key: str | None, **overrides: str) -> services.SignupResult:
    fields = {"email": "ada@example.com", "password": PASSWORD} | overrides
    return services.user_signup(idempotency_key=key, render=_render, **fields)


@pytest.mark.django_db
def test_without_a_key_nothing_is_stored() -> None:
    result = _signup(None)

    assert result.replayed is False
    assert result.body == _render(User.objects.get())
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_key_stores_the_response_and_a_hash_of_the_request() -> None:
    result = _signup("key-1")

    stored = IdempotencyKey.objects.get()
    assert stored.key == "key-1"
    assert stored.response_body == result.body
    assert len(stored.request_hash) == 64
    assert PASSWORD not in stored.request_hash


@pytest.mark.django_db
def test_same_key_and_request_replays_without_a_second_user() -> None:
    first = _signup("key-1")

    again = _signup("key-1")

    assert again == services.SignupResult(body=first.body, replayed=True)
    assert User.objects.count() == 1
    assert OutboxEvent.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"password": PASSWORD + "!"},
        {"email": "grace@example.com"},
        {"first_name": "Ada"},
    ],
)
@pytest.mark.django_db
def test_same_key_with_another_request_is_refused(change: dict) -> None:
    _signup("key-1")

    with pytest.raises(store.KeyReusedError) as caught:
        _signup("key-1", **change)

    assert caught.value.code == "idempotency_key_reused"
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_request_stores_no_key() -> None:
    with pytest.raises(UsersError, match="too weak"):
        _signup("key-1", password="short")

    assert not IdempotencyKey.objects.exists()
    assert not _signup("key-1").replayed


@pytest.mark.django_db(transaction=True)
def test_same_key_while_the_first_request_runs_is_in_flight(
    key_in_flight: str,
) -> None:
    with pytest.raises(store.KeyInFlightError) as caught:
        _signup(key_in_flight)

    assert caught.value.code == "idempotency_key_in_flight"
    assert caught.value.retry_after == 1
    assert not User.objects.exists()
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_purge_deletes_only_old_keys() -> None:
    _signup("old")
    _signup("new", email="grace@example.com")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(days=3)
    )

    deleted = services.idempotency_keys_purge(older_than=dt.timedelta(days=2))

    assert deleted == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
