"""BRIN indexes on the journal's clock, for the dashboard (PostgreSQL).

The admin's dashboard reads the journal by ``occurred_at`` range (the
movements of a period, of today) across every holder, which no index
served: each look was a scan of the whole journal. The journal is append
only and booked in time order, so its physical order follows
``occurred_at`` and a BRIN index (a few pages: the range of each block of
rows) finds a period's blocks. Unlike a B-tree, it adds next to nothing
to the money path's inserts (decision 13): a row changes its block's
summary at most, and ``autosummarize`` lets autovacuum summarize a block
range as soon as it fills. SQLite (the embedded default) has no BRIN: its
dashboard scans, on a ledger that size never matters.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX accounting_txn_time_brin ON accounting_transaction "
    "USING brin (occurred_at) WITH (autosummarize = on)",
    "CREATE INDEX accounting_entry_time_brin ON accounting_entry "
    "USING brin (occurred_at) WITH (autosummarize = on)",
]

REVERSE = [
    "DROP INDEX accounting_entry_time_brin",
    "DROP INDEX accounting_txn_time_brin",
]


def _run(statements):
    """Returns a migration step that runs SQL on PostgreSQL only."""

    def run(apps, schema_editor):
        del apps
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("accounting", "0018_dashboard")]

    operations = [migrations.RunPython(_run(FORWARD), _run(REVERSE))]
