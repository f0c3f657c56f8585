"""Django app configuration of the users service."""

from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Users, authentication, JWT issuing and the outbox of user events."""

    name = "users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"
