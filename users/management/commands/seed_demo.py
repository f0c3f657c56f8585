"""``manage.py seed_demo``: the staff account of the users admin.

Creates the superuser named by ``STAFF_EMAIL`` / ``STAFF_PASSWORD`` (written
by ``config.bootstrap`` for the embedded default) through the sign-up
service, so that its event reaches accounting like any user's. Running it
again keeps the account as it is.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from users import services
from users.models import User


class Command(BaseCommand):
    """Creates the demo staff superuser once."""

    help = "Creates the staff superuser from STAFF_EMAIL / STAFF_PASSWORD."

    def handle(self, *args: Any, **options: Any) -> None:
        """Creates the account unless a live user has that email."""
        del args, options
        email, password = settings.STAFF_EMAIL, settings.STAFF_PASSWORD
        if not email or not password:
            raise CommandError("Set STAFF_EMAIL and STAFF_PASSWORD.")
        if not User.objects.by_email(email).exists():
            services.user_create(
                email=email,
                password=password,
                is_staff=True,
                is_superuser=True,
            )
        self.stdout.write(f"users admin: {email} / {password}")
