"""A transaction's second clock: when it happened for the holder.

``effective_at`` starts as every existing row's ``occurred_at`` (a record
nobody dated happened when it was booked). The journal refuses updates
(``0002_ledger_triggers``), so the backfill lifts the refusal on
``accounting_transaction`` for its one statement, inside this migration's
transaction: no other client can see the table unguarded, and the
trigger is back before it commits. The history index moves to the new
clock; a CHECK keeps it at or before the booking, and equal to it for
every kind but credits and withdrawals.
"""

from django.db import migrations, models

_BACKFILL = (
    'UPDATE "accounting_transaction" SET "effective_at" = "occurred_at"'
)
_GUARD = "accounting_transaction_append_only"


def backfill(apps, schema_editor):
    """Dates every existing transaction at its booking."""
    del apps
    execute = schema_editor.execute
    if schema_editor.connection.vendor != "postgresql":
        execute(_BACKFILL, params=None)
        return
    execute(
        f"ALTER TABLE accounting_transaction DISABLE TRIGGER {_GUARD}",
        params=None,
    )
    execute(_BACKFILL, params=None)
    execute(
        f"ALTER TABLE accounting_transaction ENABLE TRIGGER {_GUARD}",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0008_idempotencykey_no_response_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="transaction",
            name="effective_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="transaction",
            name="effective_at",
            field=models.DateTimeField(
                help_text=(
                    "When it happened for the holder (a dated credit or "
                    "withdrawal may be earlier than its booking): the clock "
                    "of reports and history."
                )
            ),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="occurred_at",
            field=models.DateTimeField(
                help_text=(
                    "When the ledger booked it: the clock of balances as of T."
                )
            ),
        ),
        migrations.RemoveIndex(
            model_name="transaction",
            name="accounting_txn_holder_time",
        ),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                fields=["holder", "effective_at", "id"],
                name="accounting_txn_holder_date",
            ),
        ),
        migrations.AddConstraint(
            model_name="transaction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("effective_at__lte", models.F("occurred_at")),
                        ("kind__in", ["credit", "withdrawal"]),
                    ),
                    ("effective_at", models.F("occurred_at")),
                    _connector="OR",
                ),
                name="accounting_transaction_effective_not_after_booking",
            ),
        ),
    ]
