"""user_permissions_set: a user's admin groups and permissions."""

import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from users import services
from users.errors import UsersError
from users.models import OutboxEvent
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_sets_and_replaces_groups_and_permissions_without_an_event() -> None:
    user = UserFactory(is_active=False)  # suspended users too
    support = Group.objects.create(name="support")
    view, change = Permission.objects.filter(
        codename__in=["view_user", "change_user"]
    ).order_by("codename")

    services.user_permissions_set(
        user_id=user.pk, groups=[support], permissions=[view, change]
    )
    assert list(user.groups.all()) == [support]
    assert set(user.user_permissions.all()) == {view, change}

    updated = services.user_permissions_set(
        user_id=user.pk, groups=[], permissions=[view]
    )

    assert updated.pk == user.pk
    assert list(user.groups.all()) == []
    assert list(user.user_permissions.all()) == [view]
    updated.refresh_from_db()
    assert updated.version == 1
    assert not OutboxEvent.objects.exists()


def test_a_deleted_or_unknown_user_is_refused() -> None:
    gone = UserFactory()
    gone.deleted_at = timezone.now()
    gone.save()
    group = Group.objects.create(name="support")

    for user_id in (gone.pk, uuid.uuid4()):
        with pytest.raises(UsersError) as caught:
            services.user_permissions_set(
                user_id=user_id, groups=[group], permissions=[]
            )
        assert caught.value.code == "user_inactive"
    assert not gone.groups.exists()
