"""manage.py seed_demo: the staff superuser, once."""

import io

import pytest
from django.core.management import CommandError, call_command

from config import contracts
from users.models import OutboxEvent, User

pytestmark = pytest.mark.django_db

STAFF = {"STAFF_EMAIL": "admin@example.com", "STAFF_PASSWORD": "xK9-demo-Staff"}


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_creates_the_staff_superuser_once(settings) -> None:
    settings.STAFF_EMAIL = STAFF["STAFF_EMAIL"]
    settings.STAFF_PASSWORD = STAFF["STAFF_PASSWORD"]

    first = _seed()
    second = _seed()

    expected = "users admin: admin@example.com / xK9-demo-Staff\n"
    assert first == second == expected
    user = User.objects.get()
    assert (user.is_staff, user.is_superuser) == (True, True)
    assert user.check_password(STAFF["STAFF_PASSWORD"])
    assert OutboxEvent.objects.get().type == contracts.USER_CREATED


def test_keeps_an_existing_account(settings) -> None:
    settings.STAFF_EMAIL = STAFF["STAFF_EMAIL"]
    settings.STAFF_PASSWORD = STAFF["STAFF_PASSWORD"]
    User.objects.create_superuser("Admin@example.com", "another-passw0rd")

    _seed()

    assert User.objects.get().check_password("another-passw0rd")


def test_needs_the_staff_settings(settings) -> None:
    settings.STAFF_EMAIL = ""

    with pytest.raises(CommandError, match="STAFF_EMAIL"):
        _seed()
