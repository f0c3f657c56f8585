"""App configuration of the accounting service."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountingConfig(AppConfig):
    """Plans, holders, accounts, the append-only ledger and user events."""

    # The one Django picks for "accounting" (this module has two configs).
    default = True
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


class AccountingAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with accounting's site as the default one."""

    default = False
    default_site = "accounting.admin_site.AccountingAdminSite"
