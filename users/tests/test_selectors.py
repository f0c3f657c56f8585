"""Reads: who counts as an active user."""

import uuid

import pytest
from django.utils import timezone

from users import selectors
from users.errors import UsersError
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_get_finds_an_active_user() -> None:
    user = UserFactory()

    assert selectors.user_get(user_id=user.id) == user


@pytest.mark.parametrize(
    "attrs", [{"is_active": False}, {"deleted_at": timezone.now()}]
)
def test_user_get_refuses_suspended_and_deleted_users(attrs: dict) -> None:
    user = UserFactory(**attrs)

    with pytest.raises(UsersError) as caught:
        selectors.user_get(user_id=user.id)

    assert caught.value.code == "user_inactive"


def test_user_get_includes_suspended_users_on_request() -> None:
    user = UserFactory(is_active=False)

    assert selectors.user_get(user_id=user.id, include_inactive=True) == user


def test_user_get_refuses_an_unknown_id() -> None:
    with pytest.raises(UsersError, match="does not exist"):
        selectors.user_get(user_id=uuid.uuid4())


@pytest.mark.parametrize("user_id", [None, "", "not-a-uuid", 42])
def test_user_is_active_is_false_for_ids_that_are_not_uuids(
    user_id: object,
) -> None:
    assert selectors.user_is_active(user_id=user_id) is False


def test_user_is_active_reads_the_user() -> None:
    active = UserFactory()
    deleted = UserFactory(deleted_at=timezone.now(), is_active=False)

    assert selectors.user_is_active(user_id=str(active.id)) is True
    assert selectors.user_is_active(user_id=str(deleted.id)) is False
