"""The users admin's audit trail: who did what, before and after, and why."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from config import contracts
from config.append_only import AppendOnlyError
from config.testing import run_confirmed_action
from users.models import OutboxEvent, StaffAction, User
from users.tests.factories import PASSWORD, UserFactory
from users.tests.test_admin import _change_data

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:users_user_changelist"


@pytest.fixture
def staff() -> User:
    return User.objects.create_superuser("root@example.com", PASSWORD)


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    client.force_login(staff)
    return client


def test_an_added_user_is_recorded_without_the_password(
    staff_client: Client, staff: User
) -> None:
    staff_client.post(
        reverse("admin:users_user_add"),
        {
            "email": "ada@example.com",
            "first_name": "Ada",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        REMOTE_ADDR="203.0.113.7",
    )

    user = User.objects.get(email="ada@example.com")
    row = StaffAction.objects.get()
    assert (row.action, row.object_type, row.object_id) == (
        "add",
        "users.user",
        str(user.pk),
    )
    assert (row.staff_id, row.staff_email) == (str(staff.pk), staff.email)
    assert row.ip_address == "203.0.113.7"
    assert row.before is None
    assert row.after["email"] == "ada@example.com"
    assert "password" not in row.after
    assert user.password not in str(row.after)


def test_a_change_keeps_before_and_after(staff_client: Client) -> None:
    user = UserFactory(first_name="Ada")

    staff_client.post(
        reverse("admin:users_user_change", args=[user.pk]),
        _change_data(user, first_name="Augusta"),
    )

    row = StaffAction.objects.get()
    assert row.action == "change"
    assert (row.before["first_name"], row.after["first_name"]) == (
        "Ada",
        "Augusta",
    )
    page = staff_client.get(
        reverse("admin:users_staffaction_change", args=[row.pk])
    )
    assert "first_name: &#x27;Ada&#x27; -&gt; &#x27;Augusta&#x27;" in (
        page.content.decode()
    )


def test_suspending_asks_first_and_changes_nothing_until_confirmed(
    staff_client: Client,
) -> None:
    user = UserFactory()
    url = reverse(CHANGELIST)

    asked = staff_client.post(
        url,
        {"action": "suspend", "_selected_action": [str(user.pk)], "index": 0},
    )
    no_reason = staff_client.post(
        url,
        {
            "action": "suspend",
            "_selected_action": [str(user.pk)],
            "confirmed": "yes",
            "reason": "   ",
        },
    )

    user.refresh_from_db()
    assert asked.status_code == 200
    assert "Are you sure?" in asked.content.decode()
    assert user.email in asked.content.decode()
    assert "Say why" in no_reason.content.decode()
    assert user.is_active
    assert not StaffAction.objects.exists()
    assert not OutboxEvent.objects.filter(type=contracts.USER_UPDATED).exists()


def test_suspending_records_each_user_with_the_reason(
    staff_client: Client,
) -> None:
    users = [UserFactory(), UserFactory()]
    suspended_before = UserFactory(is_active=False)

    response = run_confirmed_action(
        staff_client,
        reverse(CHANGELIST),
        "suspend",
        [u.pk for u in [*users, suspended_before]],
        reason="Card fraud reported",
    )

    assert "2 user(s) suspended." in response.content.decode()
    rows = StaffAction.objects.filter(action="suspend")
    assert {row.object_id for row in rows} == {
        str(u.pk) for u in [*users, suspended_before]
    }
    for user in users:
        row = rows.get(object_id=str(user.pk))
        assert (row.before["is_active"], row.after["is_active"]) == (
            True,
            False,
        )
        assert row.reason == "Card fraud reported"
    assert OutboxEvent.objects.filter(type=contracts.USER_UPDATED).count() == 2


def test_reinstating_is_recorded(staff_client: Client) -> None:
    user = UserFactory(is_active=False)

    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "reinstate", "_selected_action": [str(user.pk)]},
        follow=True,
    )

    user.refresh_from_db()
    assert "1 user(s) reinstated." in response.content.decode()
    assert user.is_active
    row = StaffAction.objects.get()
    assert (row.action, row.before["is_active"], row.after["is_active"]) == (
        "reinstate",
        False,
        True,
    )


def test_a_staff_group_change_is_recorded(staff_client: Client) -> None:
    staff_client.post(
        reverse("admin:auth_group_add"), {"name": "support", "permissions": []}
    )

    group = Group.objects.get(name="support")
    row = StaffAction.objects.get()
    assert (row.action, row.object_type, row.object_id) == (
        "add",
        "auth.group",
        str(group.pk),
    )


def test_the_trail_is_read_only_in_the_admin(staff_client: Client) -> None:
    row = StaffAction.objects.create(
        staff_id="1",
        staff_email="a@example.com",
        action="suspend",
        object_type="users.user",
        object_id="x",
        object_repr="x",
    )

    listing = staff_client.get(reverse("admin:users_staffaction_changelist"))
    add = staff_client.get(reverse("admin:users_staffaction_add"))
    delete = staff_client.post(
        reverse("admin:users_staffaction_delete", args=[row.pk]),
        {"post": "yes"},
    )
    changed = staff_client.get(
        reverse("admin:users_staffaction_change", args=[row.pk])
    )

    assert listing.status_code == 200
    assert "a@example.com" in listing.content.decode()
    assert (add.status_code, delete.status_code) == (403, 403)
    assert "Changed fields" in changed.content.decode()
    assert StaffAction.objects.filter(pk=row.pk).exists()


def test_the_trail_is_append_only_in_the_database() -> None:
    row = StaffAction.objects.create(
        staff_id="1",
        staff_email="a@example.com",
        action="suspend",
        object_type="users.user",
        object_id="x",
        object_repr="x",
    )

    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        StaffAction.objects.filter(pk=row.pk).update(reason="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        StaffAction.objects.filter(pk=row.pk).delete()
    assert StaffAction.objects.get(pk=row.pk).reason == ""


@pytest.mark.parametrize(
    ("proxies", "forwarded", "recorded"),
    [
        (0, "198.51.100.9", "127.0.0.1"),
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "spoofed, 198.51.100.9", "198.51.100.9"),
        (1, "not-an-address", None),
    ],
)
def test_the_address_trusts_only_the_deployment_proxies(
    staff_client: Client, settings, proxies, forwarded, recorded
) -> None:
    settings.NUM_PROXIES = proxies
    user = UserFactory(is_active=False)

    staff_client.post(
        reverse(CHANGELIST),
        {"action": "reinstate", "_selected_action": [str(user.pk)]},
        HTTP_X_FORWARDED_FOR=forwarded,
    )

    assert StaffAction.objects.get().ip_address == recorded


def test_deleting_staff_groups_is_recorded_in_one_transaction(
    staff_client: Client,
) -> None:
    groups = [Group.objects.create(name=n) for n in ("support", "audit")]

    response = staff_client.post(
        reverse("admin:auth_group_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [str(g.pk) for g in groups],
            "post": "yes",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert not Group.objects.exists()
    rows = StaffAction.objects.filter(action="delete")
    assert sorted(row.before["name"] for row in rows) == ["audit", "support"]
    assert all(row.after is None for row in rows)
    assert StaffAction.objects.count() == 2


def test_a_missing_object_records_nothing(staff_client: Client) -> None:
    response = staff_client.get(
        reverse(
            "admin:users_user_change",
            args=["00000000-0000-0000-0000-000000000000"],
        )
    )

    assert response.status_code == 302
    assert not StaffAction.objects.exists()


def test_the_trail_exports_what_its_filters_show(staff_client: Client) -> None:
    users = [UserFactory(first_name="Ada"), UserFactory()]
    run_confirmed_action(
        staff_client,
        reverse(CHANGELIST),
        "suspend",
        [users[0].pk],
        reason="=HYPERLINK(evil)",
    )
    staff_client.post(
        reverse("admin:auth_group_add"), {"name": "support", "permissions": []}
    )

    response = staff_client.get(
        reverse("admin:users_staffaction_export"), {"action": "suspend"}
    )

    rows = list(
        csv.DictReader(
            io.StringIO(b"".join(response.streaming_content).decode())
        )
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [(r["action"], r["object_id"]) for r in rows] == [
        ("suspend", str(users[0].pk))
    ]
    assert rows[0]["reason"] == "'=HYPERLINK(evil)"
    assert json.loads(rows[0]["before"])["first_name"] == "Ada"
    added = staff_client.get(
        reverse("admin:users_staffaction_export"), {"action": "add"}
    )
    (group_row,) = csv.DictReader(
        io.StringIO(b"".join(added.streaming_content).decode())
    )
    assert group_row["before"] == ""
    assert json.loads(group_row["after"])["name"] == "support"


@pytest.mark.django_db(transaction=True)
def test_the_trail_migration_reverses() -> None:
    def triggers() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'users_%%'"
            )
            return [name for (name,) in cursor.fetchall()]

    assert triggers() == ["users_staffaction_append_only"]
    call_command("migrate", "users", "0003", verbosity=0)
    assert triggers() == []
    call_command("migrate", "users", verbosity=0)
    assert triggers() == ["users_staffaction_append_only"]
