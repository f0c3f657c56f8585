"""Django app configuration of the users service."""

from django.apps import AppConfig
from django.core.signals import setting_changed


class UsersConfig(AppConfig):
    """Users, authentication, JWT issuing and the outbox of user events."""

    name = "users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Wires the metrics' outbox and the accounting client's settings."""
        # users/metrics.py needs the models; users/clients.py drops its
        # pool when a setting it was built from changes (tests).
        from users import clients, metrics  # noqa: PLC0415

        metrics.register()
        setting_changed.connect(clients.on_setting_changed)
