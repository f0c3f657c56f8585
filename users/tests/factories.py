"""factory-boy factories for the users app's models.

Users made here are written directly (no outbox event); tests of the
services create users through the services instead.
"""

import factory
from factory.django import DjangoModelFactory

from users.models import User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    """An active user whose password is :data:`PASSWORD`."""

    class Meta:
        """The model built."""

        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    password = factory.django.Password(PASSWORD)
