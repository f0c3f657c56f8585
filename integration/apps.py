"""App configuration of the gateway."""

from django.apps import AppConfig
from django.core.signals import setting_changed


class IntegrationConfig(AppConfig):
    """Registers the OpenAPI extensions and the upstream client reset."""

    name = "integration"
    verbose_name = "Integration gateway"

    def ready(self) -> None:
        """Wires module-level hooks once the app registry is ready."""
        # Imported for their side effects: OpenAPI extensions register on
        # import, and the clients drop their pools when settings change.
        from integration import clients  # noqa: PLC0415
        from integration.api import schema  # noqa: F401, PLC0415

        setting_changed.connect(clients.on_setting_changed)
