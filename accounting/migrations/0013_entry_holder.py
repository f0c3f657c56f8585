"""Every journal entry carries its transaction's holder.

The column is added empty, filled from each entry's transaction, then made
NOT NULL. The fill is an UPDATE of the append-only journal: on PostgreSQL
it runs with the table's refusal trigger switched off for this statement's
transaction only (``ALTER TABLE`` takes the table's lock, so no other
writer sees the trigger missing). It writes each existing entry once: on a
large ledger, run it in a maintenance window (docs/scaling.md).
"""

import django.db.models.deletion
from django.db import migrations, models

_FILL_POSTGRESQL = [
    "ALTER TABLE accounting_entry "
    "DISABLE TRIGGER accounting_entry_append_only",
    """
    UPDATE accounting_entry e SET holder_id = t.holder_id
    FROM accounting_transaction t
    WHERE t.id = e.transaction_id AND e.holder_id IS NULL
    """,
    "ALTER TABLE accounting_entry "
    "ENABLE TRIGGER accounting_entry_append_only",
]

_FILL_OTHER = """
    UPDATE accounting_entry SET holder_id = (
        SELECT t.holder_id FROM accounting_transaction t
        WHERE t.id = accounting_entry.transaction_id
    )
    WHERE holder_id IS NULL
"""


def _fill(apps, schema_editor):
    """Copies each transaction's holder onto its entries."""
    del apps
    statements = (
        _FILL_POSTGRESQL
        if schema_editor.connection.vendor == "postgresql"
        else [_FILL_OTHER]
    )
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    """Adds ``Entry.holder``, filled for the entries already written."""

    dependencies = [
        ("accounting", "0012_webhooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="holder",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="accounting.holder",
            ),
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="entry",
            name="holder",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="accounting.holder",
            ),
        ),
    ]
