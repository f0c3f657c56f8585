"""App configuration of the gateway."""

from django.apps import AppConfig
from django.core.signals import setting_changed

from config.metrics import pools


class IntegrationConfig(AppConfig):
    """Registers the OpenAPI extensions, the upstream clients' hooks."""

    name = "integration"
    verbose_name = "Integration gateway"

    def ready(self) -> None:
        """Wires module-level hooks once the app registry is ready."""
        # Imported for their side effects: OpenAPI extensions register on
        # import, the clients drop their pools when settings change, and
        # report them to the metrics after each request.
        from integration import clients  # noqa: PLC0415
        from integration.api import schema  # noqa: F401, PLC0415

        setting_changed.connect(clients.on_setting_changed)
        pools.observer_add(clients.pools_observe)
