"""FX rates are history: PostgreSQL refuses UPDATE and DELETE on them.

A conversion points at the rate it used, so a rate row must never change
after it was written; a correction is a newer rate. Reuses the function of
``0002_ledger_triggers``. SQLite relies on the model (``AppendOnlyModel``).
"""

from django.db import migrations

FORWARD = """
    CREATE TRIGGER accounting_rate_append_only
    BEFORE UPDATE OR DELETE ON accounting_rate
    FOR EACH ROW EXECUTE FUNCTION accounting_refuse_change();
"""

REVERSE = "DROP TRIGGER accounting_rate_append_only ON accounting_rate;"


def _run(statement):
    """Returns a migration step that runs SQL on PostgreSQL only."""

    def run(apps, schema_editor):
        del apps
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounting", "0003_money_movement")]

    operations = [migrations.RunPython(_run(FORWARD), _run(REVERSE))]
