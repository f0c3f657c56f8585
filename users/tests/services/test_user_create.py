"""user_create: the user and its event, in one transaction."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from config import contracts
from users import services
from users.errors import UsersError
from users.models import OutboxEvent, User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_creates_user_and_its_event() -> None:
    user = services.user_create(
        email=" Ada@Example.COM ",
        password=PASSWORD,
        first_name="Ada",
        last_name="Lovelace",
    )

    user.refresh_from_db()
    assert user.email == "Ada@example.com"
    assert user.check_password(PASSWORD)
    assert (user.version, user.is_active, user.is_staff) == (1, True, False)
    event = OutboxEvent.objects.get()
    assert event.type == contracts.USER_CREATED
    assert event.published_at is None
    assert event.created_at == user.date_joined
    assert event.payload == {
        "event_id": str(event.id),
        "type": "user.created",
        "occurred_at": user.date_joined.isoformat().replace("+00:00", "Z"),
        "user": {
            "id": str(user.id),
            "email": "Ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "is_active": True,
            "version": 1,
        },
    }


def test_staff_flags_are_kept() -> None:
    user = services.user_create(
        email="root@example.com",
        password=PASSWORD,
        is_staff=True,
        is_superuser=True,
    )

    assert user.is_staff
    assert user.is_superuser


def _create_then_fail() -> None:
    """Creates a user in a transaction that then fails."""
    with transaction.atomic():
        services.user_create(email="ada@example.com", password=PASSWORD)
        raise RuntimeError("the caller fails after the service")


def test_rollback_leaves_neither_user_nor_event() -> None:
    with pytest.raises(RuntimeError, match="caller fails"):
        _create_then_fail()

    assert not User.objects.exists()
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize("password", ["short", "1234567890123", "password123"])
def test_weak_password_is_refused_with_reasons(password: str) -> None:
    with pytest.raises(UsersError) as caught:
        services.user_create(email="ada@example.com", password=password)

    assert caught.value.code == "weak_password"
    assert caught.value.errors["password"]
    assert not User.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_password_similar_to_email_is_weak() -> None:
    with pytest.raises(UsersError, match="weak"):
        services.user_create(
            email="adalovelace@example.com", password="adalovelace"
        )


def test_duplicate_email_in_any_case_is_taken() -> None:
    services.user_create(email="ada@example.com", password=PASSWORD)

    with pytest.raises(UsersError) as caught:
        services.user_create(email="ADA@example.com", password=PASSWORD)

    assert caught.value.code == "email_taken"
    assert User.objects.count() == 1
    assert OutboxEvent.objects.count() == 1


def test_email_of_a_deleted_user_can_sign_up_again() -> None:
    first = services.user_create(email="ada@example.com", password=PASSWORD)
    services.user_delete(user_id=first.id)

    second = services.user_create(email="ada@example.com", password=PASSWORD)

    assert second.id != first.id
    assert User.objects.by_email("ada@example.com").get() == second


def test_other_integrity_errors_are_not_called_email_taken() -> None:
    existing = UserFactory()
    clash = User(
        id=existing.id, email="other@example.com", date_joined=timezone.now()
    )

    with pytest.raises(IntegrityError, match="pkey"):
        services._user_save(clash, force_insert=True)
