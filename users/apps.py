"""Django app configuration of the users service."""

from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Users, authentication, JWT issuing and the outbox of user events."""

    name = "users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Names the outbox to the metrics (users/metrics.py)."""
        from users import metrics  # noqa: PLC0415 - needs the models.

        metrics.register()
