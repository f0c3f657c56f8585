"""Opens the fx and clearing system accounts of currencies already in use.

Before money movement, opening a wallet created only the currency's
``world`` account. Conversions post to ``fx`` and transfers to ``clearing``
(fixed ids, see ``Account.system_id``), so every currency that has a
customer account gets them here; new wallets open all three.
"""

import uuid

from django.db import migrations

SYSTEM_KINDS = ("world", "fx", "clearing")


def _system_id(kind, currency):
    """The fixed id of a system account (``Account.system_id``)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"savings:account:{kind}:{currency}")


def open_system_accounts(apps, schema_editor):
    """Creates the missing system accounts; existing ones stay as they are."""
    del schema_editor
    account = apps.get_model("accounting", "Account")
    currencies = (
        account.objects.filter(holder__isnull=False)
        .values_list("currency", flat=True)
        .distinct()
    )
    account.objects.bulk_create(
        [
            account(id=_system_id(kind, currency), kind=kind, currency=currency)
            for currency in currencies
            for kind in SYSTEM_KINDS
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("accounting", "0004_rate_append_only")]

    operations = [
        migrations.RunPython(open_system_accounts, migrations.RunPython.noop)
    ]
