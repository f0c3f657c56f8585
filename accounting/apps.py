"""App configuration of the accounting service."""

from django.apps import AppConfig


class AccountingConfig(AppConfig):
    """Plans, holders, accounts, the append-only ledger and user events."""

    name = "accounting"
    verbose_name = "Accounting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connects the cache invalidation signals (accounting/signals.py).

        And names the webhooks' outbox to the metrics (accounting/metrics.py).
        """
        from accounting import metrics, signals  # noqa: PLC0415 - models.

        signals.connect()
        metrics.register()
