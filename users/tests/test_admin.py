"""The users admin: every write goes through the services."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config import contracts
from config.testing import assert_branded, run_confirmed_action
from users import errors, services
from users.models import OutboxEvent, User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(
        User.objects.create_superuser("root@example.com", PASSWORD)
    )
    return client


def test_the_login_page_is_branded(client: Client) -> None:
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert_branded(response, "users")


def test_the_index_is_branded(staff_client: Client) -> None:
    assert_branded(staff_client.get(reverse("admin:index")), "users")


def test_changelist_searches_and_filters(staff_client: Client) -> None:
    UserFactory(email="ada@example.com")
    gone = UserFactory(email="gone@example.com", is_active=False)
    gone.deleted_at = gone.date_joined
    gone.save()
    url = reverse("admin:users_user_changelist")

    found = staff_client.get(url, {"q": "ada@"})
    deleted = staff_client.get(url, {"deleted": "yes"})
    live = staff_client.get(url, {"deleted": "no"})

    assert found.status_code == 200
    assert list(found.context["cl"].result_list) == [
        User.objects.get(email="ada@example.com")
    ]
    assert [u.email for u in deleted.context["cl"].result_list] == [
        "gone@example.com"
    ]
    assert "gone@example.com" not in {
        u.email for u in live.context["cl"].result_list
    }
    assert staff_client.get(url).context["cl"].result_count == 3


def test_add_user_goes_through_the_service(staff_client: Client) -> None:
    response = staff_client.post(
        reverse("admin:users_user_add"),
        {
            "email": "Ada@Example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    user = User.objects.get(email="Ada@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:users_user_change", args=[user.pk]
    )
    assert user.check_password(PASSWORD)
    assert OutboxEvent.objects.get().type == contracts.USER_CREATED


def test_add_refuses_weak_password_and_taken_email(
    staff_client: Client,
) -> None:
    UserFactory(email="ada@example.com")

    response = staff_client.post(
        reverse("admin:users_user_add"),
        {"email": "ADA@example.com", "password1": "123", "password2": "123"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "password2" in errors
    assert "already exists" in str(errors["email"])
    assert User.objects.count() == 2


def _change_data(user: User, **changes: object) -> dict:
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_change_user_goes_through_the_service(staff_client: Client) -> None:
    user = UserFactory()

    response = staff_client.post(
        reverse("admin:users_user_change", args=[user.pk]),
        _change_data(user, first_name="Augusta", is_active="", is_staff="on"),
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.is_active, user.is_staff) == (
        "Augusta",
        False,
        True,
    )
    assert user.version == 2
    event = OutboxEvent.objects.get()
    assert event.type == contracts.USER_UPDATED
    assert event.payload["user"]["is_active"] is False


def test_change_refuses_an_email_in_use(staff_client: Client) -> None:
    UserFactory(email="taken@example.com")
    user = UserFactory()

    response = staff_client.post(
        reverse("admin:users_user_change", args=[user.pk]),
        _change_data(user, email="TAKEN@example.com"),
    )

    assert response.status_code == 200
    # user_email_check's refusal, on the field.
    assert response.context["adminform"].form.errors == {
        "email": ["An account with this email already exists."]
    }
    assert not OutboxEvent.objects.exists()


def test_groups_and_permissions_go_through_the_service(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory()
    support = Group.objects.create(name="support")
    view = Permission.objects.get(codename="view_user")
    calls = []
    permissions_set = services.user_permissions_set

    def spy(**arguments: object) -> User:
        calls.append(arguments)
        return permissions_set(**arguments)

    monkeypatch.setattr(services, "user_permissions_set", spy)

    response = staff_client.post(
        reverse("admin:users_user_change", args=[user.pk]),
        _change_data(user, groups=[support.pk], user_permissions=[view.pk]),
    )

    assert response.status_code == 302
    (arguments,) = calls
    assert arguments["user_id"] == user.pk
    assert list(arguments["groups"]) == [support]
    assert list(arguments["permissions"]) == [view]
    assert list(user.groups.all()) == [support]
    assert list(user.user_permissions.all()) == [view]


def test_a_refusal_while_saving_writes_nothing_and_says_why(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory()

    def refuse(**arguments: object) -> User:
        del arguments
        # Another user took the email after the form's check.
        raise errors.EmailTakenError()

    monkeypatch.setattr(services, "user_update", refuse)
    change = reverse("admin:users_user_change", args=[user.pk])

    response = staff_client.post(
        change, _change_data(user, email="new@example.com"), follow=True
    )

    assert response.redirect_chain == [(change, 302)]
    assert "An account with this email already exists." in (
        response.content.decode()
    )
    user.refresh_from_db()
    assert user.email != "new@example.com"
    assert not OutboxEvent.objects.exists()
    assert not LogEntry.objects.exists()


def test_deleted_user_is_read_only(staff_client: Client) -> None:
    user = UserFactory()
    user.deleted_at = user.date_joined
    user.save()

    response = staff_client.get(
        reverse("admin:users_user_change", args=[user.pk])
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "email" not in form.fields
    assert "first_name" not in form.fields


def test_soft_delete_action(staff_client: Client) -> None:
    users = [UserFactory(), UserFactory(is_active=False)]
    already = UserFactory()
    already.deleted_at = already.date_joined
    already.save()

    response = run_confirmed_action(
        staff_client,
        reverse("admin:users_user_changelist"),
        "soft_delete",
        [u.pk for u in [*users, already]],
    )

    assert "2 user(s) deleted." in response.content.decode()
    for user in users:
        user.refresh_from_db()
        assert user.is_deleted
    assert OutboxEvent.objects.filter(type=contracts.USER_DELETED).count() == 2


def test_users_are_never_hard_deleted(staff_client: Client) -> None:
    user = UserFactory()

    response = staff_client.post(
        reverse("admin:users_user_delete", args=[user.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()
    changelist = staff_client.get(reverse("admin:users_user_changelist"))
    assert (
        "delete_selected"
        not in changelist.context["action_form"]
        .fields["action"]
        .choices.__str__()
    )


def test_outbox_is_read_only(staff_client: Client) -> None:
    UserFactory()
    OutboxEvent.objects.create(type="user.created", payload={})
    changelist = reverse("admin:users_outboxevent_changelist")

    listed = staff_client.get(changelist, {"published_at__isnull": "True"})
    add = staff_client.get(reverse("admin:users_outboxevent_add"))
    event = OutboxEvent.objects.get()
    detail = staff_client.get(
        reverse("admin:users_outboxevent_change", args=[event.pk])
    )
    delete = staff_client.post(
        reverse("admin:users_outboxevent_delete", args=[event.pk]),
        {"post": "yes"},
    )

    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 1
    assert add.status_code == 403
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]
    assert delete.status_code == 403
    assert OutboxEvent.objects.exists()


def test_the_password_page_goes_through_the_service(
    staff_client: Client,
) -> None:
    user = UserFactory()
    services.token_obtain(email=user.email, password=PASSWORD)
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    new = "a-brand-new-passphrase"

    page = staff_client.get(url)
    response = staff_client.post(url, {"password1": new, "password2": new})

    assert page.status_code == 200
    assert "usable_password" not in page.context["form"].fields
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert OutboxEvent.objects.filter(
        type=contracts.USER_UPDATED, payload__user__id=str(user.id)
    ).exists()
    assert not user.outstandingtoken_set.filter(
        blacklistedtoken__isnull=True
    ).exists()


def test_the_password_page_refuses_a_weak_password(
    staff_client: Client,
) -> None:
    user = UserFactory()
    url = reverse("admin:auth_user_password_change", args=[user.pk])

    response = staff_client.post(url, {"password1": "123", "password2": "123"})

    assert response.status_code == 200
    assert response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_times_show_their_seconds(staff_client: Client) -> None:
    """Both admins write instants to the second (config/formats/)."""
    user = UserFactory(email="ada@example.com")
    stamp = timezone.localtime(user.date_joined).strftime("%Y-%m-%d %H:%M:%S")

    listing = staff_client.get(reverse("admin:users_user_changelist"))
    page = staff_client.get(reverse("admin:users_user_change", args=[user.pk]))

    assert stamp in listing.content.decode()
    assert f"{stamp} UTC" in page.content.decode()
