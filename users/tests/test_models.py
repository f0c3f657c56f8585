"""The user model, its manager and the database's own guarantees."""

import pytest
from django.db import IntegrityError
from django.utils import timezone

from users.models import IdempotencyKey, OutboxEvent, User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_create_user_normalises_email_and_hashes_with_argon2() -> None:
    user = User.objects.create_user("Ada@Example.COM", PASSWORD)

    assert user.email == "Ada@example.com"
    assert user.password.startswith("argon2")
    assert user.check_password(PASSWORD)
    assert (user.is_active, user.is_staff, user.is_superuser) == (
        True,
        False,
        False,
    )
    assert user.version == 1
    assert str(user) == "Ada@example.com"


def test_create_superuser_is_staff_and_superuser() -> None:
    user = User.objects.create_superuser("root@example.com", PASSWORD)

    assert user.is_staff
    assert user.is_superuser


def test_natural_key_ignores_case_and_deleted_users() -> None:
    deleted = UserFactory(email="Ada@example.com", deleted_at=timezone.now())
    live = UserFactory(email="ada@example.com")

    found = User.objects.get_by_natural_key("ADA@EXAMPLE.COM ")

    assert found == live
    assert found != deleted
    assert not live.is_deleted
    assert deleted.is_deleted
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key(None)


def test_database_refuses_two_live_users_with_one_email() -> None:
    UserFactory(email="ada@example.com")

    with pytest.raises(IntegrityError, match="users_user_live_email_uniq"):
        User.objects.bulk_create([User(email="ADA@example.com")])


def test_database_accepts_email_of_deleted_user() -> None:
    UserFactory(email="ada@example.com", deleted_at=timezone.now())

    User.objects.bulk_create([User(email="ada@example.com")])

    assert User.objects.filter(email="ada@example.com").count() == 2


def test_str_of_outbox_event_and_idempotency_key() -> None:
    event = OutboxEvent(type="user.created", payload={})
    key = IdempotencyKey(key="k-1", request_hash="0" * 64)

    assert str(event) == f"user.created {event.id}"
    assert str(key) == "k-1"
