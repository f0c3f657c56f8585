"""user_email_check: one live user per email, named before saving."""

import pytest
from django.utils import timezone

from users import services
from users.errors import UsersError
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_free_email_comes_back_as_stored() -> None:
    UserFactory(email="ada@example.com")

    assert services.user_email_check(email=" Grace@Example.COM ") == (
        "Grace@example.com"
    )


@pytest.mark.parametrize("email", ["ada@example.com", " ADA@example.com"])
def test_another_live_user_s_email_is_taken_whatever_its_case(
    email: str,
) -> None:
    UserFactory(email="ada@example.com")

    with pytest.raises(UsersError) as caught:
        services.user_email_check(email=email)

    assert caught.value.code == "email_taken"


def test_a_user_keeps_their_own_email() -> None:
    user = UserFactory(email="ada@example.com")

    assert (
        services.user_email_check(email="Ada@example.com", user_id=user.pk)
        == "Ada@example.com"
    )


def test_a_deleted_user_s_email_is_free_again() -> None:
    gone = UserFactory(email="ada@example.com", is_active=False)
    gone.deleted_at = timezone.now()
    gone.save()

    assert services.user_email_check(email="ada@example.com") == (
        "ada@example.com"
    )
