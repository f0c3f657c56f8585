"""user_update: profile and password changes, each with one event."""

import uuid

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from config import contracts
from users import services
from users.errors import UsersError
from users.models import OutboxEvent
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "an0ther-long-passphrase"


def _error(**kwargs: object) -> str:
    with pytest.raises(UsersError) as caught:
        services.user_update(**kwargs)
    return caught.value.code


def test_changes_names_and_email_in_one_new_version() -> None:
    user = UserFactory()

    updated = services.user_update(
        user_id=user.id,
        email="Grace@Example.com",
        first_name="Grace",
        last_name="Hopper",
    )

    updated.refresh_from_db()
    assert (updated.email, updated.first_name, updated.last_name) == (
        "Grace@example.com",
        "Grace",
        "Hopper",
    )
    assert updated.version == 2
    event = OutboxEvent.objects.get()
    assert event.type == contracts.USER_UPDATED
    assert event.payload["user"] == {
        "id": str(user.id),
        "email": "Grace@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "is_active": True,
        "version": 2,
    }


def test_a_call_that_changes_nothing_writes_nothing() -> None:
    user = UserFactory(first_name="Ada")

    same = services.user_update(user_id=user.id, first_name="Ada")

    assert same.version == 1
    assert not OutboxEvent.objects.exists()


def test_email_of_another_live_user_is_taken() -> None:
    UserFactory(email="grace@example.com")
    user = UserFactory()

    assert _error(user_id=user.id, email="GRACE@example.com") == "email_taken"
    assert not OutboxEvent.objects.exists()


def test_password_change_needs_the_current_password() -> None:
    user = UserFactory()

    assert (
        _error(user_id=user.id, password=NEW_PASSWORD)
        == "current_password_required"
    )
    assert (
        _error(user_id=user.id, password=NEW_PASSWORD, current_password="wrong")
        == "invalid_current_password"
    )
    assert (
        _error(user_id=user.id, password="short", current_password=PASSWORD)
        == "weak_password"
    )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not OutboxEvent.objects.exists()


def test_password_change_with_the_current_password() -> None:
    user = UserFactory()

    updated = services.user_update(
        user_id=user.id, password=NEW_PASSWORD, current_password=PASSWORD
    )

    updated.refresh_from_db()
    assert updated.check_password(NEW_PASSWORD)
    assert updated.version == 2
    assert OutboxEvent.objects.get().type == contracts.USER_UPDATED


@pytest.mark.parametrize(
    "attrs", [{"deleted_at": timezone.now()}, {"is_active": False}]
)
def test_deleted_and_suspended_users_are_inactive(attrs: dict) -> None:
    user = UserFactory(**attrs)

    assert _error(user_id=user.id, first_name="X") == "user_inactive"


def test_unknown_user_is_inactive() -> None:
    assert _error(user_id=uuid.uuid4(), first_name="X") == "user_inactive"


def test_staff_may_reinstate_a_suspended_user() -> None:
    user = UserFactory(is_active=False)

    updated = services.user_update(
        user_id=user.id, is_active=True, is_staff=True, include_inactive=True
    )

    assert (updated.is_active, updated.is_staff, updated.version) == (
        True,
        True,
        2,
    )
    assert OutboxEvent.objects.get().payload["user"]["is_active"] is True


def _live_refresh_tokens(user) -> int:
    issued = user.outstandingtoken_set.count()
    revoked = BlacklistedToken.objects.filter(token__user=user).count()
    return issued - revoked


@pytest.mark.parametrize(
    "change",
    [
        {"password": NEW_PASSWORD, "current_password": PASSWORD},
        {"is_active": False},
    ],
    ids=["password", "suspension"],
)
def test_a_new_password_or_a_suspension_ends_every_session(change) -> None:
    user = UserFactory()
    other = UserFactory()
    for who in (user, user, other):
        services.token_obtain(email=who.email, password=PASSWORD)

    services.user_update(user_id=user.id, **change)

    assert _live_refresh_tokens(user) == 0
    assert _live_refresh_tokens(other) == 1


def test_a_profile_change_keeps_the_sessions() -> None:
    user = UserFactory()
    services.token_obtain(email=user.email, password=PASSWORD)

    services.user_update(user_id=user.id, first_name="Grace")

    assert _live_refresh_tokens(user) == 1


def test_staff_reset_a_password_and_end_the_sessions() -> None:
    user = UserFactory()
    services.token_obtain(email=user.email, password=PASSWORD)
    version = user.version

    reset = services.user_password_reset(user_id=user.id, password=NEW_PASSWORD)

    reset.refresh_from_db()
    assert reset.check_password(NEW_PASSWORD)
    assert reset.version == version + 1
    assert _live_refresh_tokens(reset) == 0
    event = OutboxEvent.objects.get(payload__user__id=str(user.id))
    assert event.type == contracts.USER_UPDATED
    assert event.payload["user"]["version"] == version + 1


def test_a_weak_reset_password_changes_nothing() -> None:
    user = UserFactory()
    services.token_obtain(email=user.email, password=PASSWORD)

    with pytest.raises(UsersError) as caught:
        services.user_password_reset(user_id=user.id, password="123")

    assert caught.value.code == "weak_password"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert _live_refresh_tokens(user) == 1
    assert not OutboxEvent.objects.filter(
        payload__user__id=str(user.id)
    ).exists()
