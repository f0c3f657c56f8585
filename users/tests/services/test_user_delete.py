"""user_delete: soft delete, revoked tokens, one event."""

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from config import contracts
from users import services
from users.errors import UsersError
from users.models import OutboxEvent, User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_soft_delete_keeps_the_row_and_writes_the_event() -> None:
    user = UserFactory()

    services.user_delete(user_id=user.id)

    user.refresh_from_db()
    assert user.deleted_at is not None
    assert user.is_active is False
    assert user.version == 2
    assert User.objects.filter(id=user.id).exists()
    event = OutboxEvent.objects.get()
    assert event.type == contracts.USER_DELETED
    assert event.created_at == user.deleted_at
    assert event.payload["user"]["is_active"] is False
    assert event.payload["user"]["version"] == 2


def test_delete_blacklists_every_outstanding_refresh_token() -> None:
    user = UserFactory()
    first = services.token_obtain(email=user.email, password=PASSWORD)
    second = services.token_obtain(email=user.email, password=PASSWORD)
    other = UserFactory()
    services.token_obtain(email=other.email, password=PASSWORD)

    services.user_delete(user_id=user.id)

    assert BlacklistedToken.objects.filter(token__user=user).count() == 2
    assert not BlacklistedToken.objects.filter(token__user=other).exists()
    for tokens in (first, second):
        with pytest.raises(UsersError, match="invalid, expired or revoked"):
            services.token_refresh(refresh=tokens["refresh"])


def test_delete_skips_expired_and_already_blacklisted_tokens() -> None:
    user = UserFactory()
    tokens = services.token_obtain(email=user.email, password=PASSWORD)
    services.token_refresh(refresh=tokens["refresh"])  # Blacklists it.
    user.outstandingtoken_set.filter(blacklistedtoken__isnull=True).update(
        expires_at=timezone.now()
    )

    services.user_delete(user_id=user.id)

    assert BlacklistedToken.objects.count() == 1


def test_deleted_user_cannot_log_in_nor_be_deleted_again() -> None:
    user = UserFactory()
    services.user_delete(user_id=user.id)

    with pytest.raises(UsersError, match="Invalid email or password"):
        services.token_obtain(email=user.email, password=PASSWORD)
    with pytest.raises(UsersError) as caught:
        services.user_delete(user_id=user.id)
    assert caught.value.code == "user_inactive"


def test_staff_may_delete_a_suspended_user() -> None:
    user = UserFactory(is_active=False)

    services.user_delete(user_id=user.id, include_inactive=True)

    user.refresh_from_db()
    assert user.is_deleted
