"""GET /users/{id} is tagged by the user's version; 304 when current."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from config.testing import assert_problem
from users import errors, selectors, services
from users.models import User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _url(user: User) -> str:
    return f"/internal/v1/users/{user.pk}"


@pytest.fixture
def user() -> User:
    return UserFactory(first_name="Ada")


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(
        User.objects.create_superuser("root@example.com", PASSWORD)
    )
    return client


def test_a_user_is_tagged_by_its_version(api_client: APIClient, user) -> None:
    response = api_client.get(_url(user))

    assert response.status_code == 200
    assert response["ETag"] == f'"user1.{user.version}"'


def test_a_current_tag_is_a_304_that_reads_one_column(
    api_client: APIClient, user
) -> None:
    etag = api_client.get(_url(user))["ETag"]

    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(_url(user), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    (query,) = queries.captured_queries
    assert '"users_user"."version"' in query["sql"]
    assert '"users_user"."email"' not in query["sql"]


def test_a_patch_moves_the_tag(api_client: APIClient, user) -> None:
    etag = api_client.get(_url(user))["ETag"]

    api_client.patch(_url(user), {"first_name": "Grace"}, format="json")
    response = api_client.get(_url(user), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["first_name"] == "Grace"
    assert response["ETag"] != etag


def test_a_staff_edit_in_the_admin_moves_the_tag(
    api_client: APIClient, staff_client: Client, user
) -> None:
    etag = api_client.get(_url(user))["ETag"]

    edited = staff_client.post(
        reverse("admin:users_user_change", args=[user.pk]),
        {
            "email": "augusta@example.com",
            "first_name": "Augusta",
            "last_name": user.last_name,
            "is_active": "on",
        },
    )
    response = api_client.get(_url(user), HTTP_IF_NONE_MATCH=etag)

    assert edited.status_code == 302
    assert response.status_code == 200
    assert response.json()["email"] == "augusta@example.com"
    assert response["ETag"] != etag


def test_an_unchanged_save_keeps_the_tag(api_client: APIClient, user) -> None:
    etag = api_client.get(_url(user))["ETag"]

    services.user_update(user_id=user.pk, first_name="Ada")

    assert api_client.get(_url(user), HTTP_IF_NONE_MATCH=etag).status_code == (
        304
    )


@pytest.mark.parametrize("change", ["suspend", "delete"])
def test_an_inactive_user_is_refused_whatever_tag_is_sent(
    api_client: APIClient, user, change
) -> None:
    etag = api_client.get(_url(user))["ETag"]
    if change == "suspend":
        services.user_update(user_id=user.pk, is_active=False)
    else:
        services.user_delete(user_id=user.pk)

    for header in (etag, "*"):
        response = api_client.get(_url(user), HTTP_IF_NONE_MATCH=header)
        assert_problem(response, 401, "user_inactive")
        assert "ETag" not in response


def test_the_version_of_an_active_user_only(user) -> None:
    assert selectors.user_version(user_id=user.pk) == user.version
    services.user_update(user_id=user.pk, last_name="Byron")
    assert selectors.user_version(user_id=user.pk) == user.version + 1
    services.user_update(user_id=user.pk, is_active=False)

    with pytest.raises(errors.UserInactiveError):
        selectors.user_version(user_id=user.pk)
