"""The database guards the journal itself (PostgreSQL only).

* ``accounting_transaction`` and ``accounting_entry`` refuse UPDATE and
  DELETE, whatever the client (ORM ``.update()``, raw SQL, psql).
* A DEFERRABLE INITIALLY DEFERRED constraint trigger checks, when the
  database transaction commits, that each transaction's entries sum to
  zero per currency.

SQLite (the embedded default) has no such triggers; the models refuse
updates and deletes there (``AppendOnlyModel``). Every step has its reverse.
"""

from django.db import migrations

FORWARD = [
    """
    CREATE FUNCTION accounting_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'accounting: % on % is refused: the journal is '
            'append-only', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$;
    """,
    """
    CREATE TRIGGER accounting_transaction_append_only
    BEFORE UPDATE OR DELETE ON accounting_transaction
    FOR EACH ROW EXECUTE FUNCTION accounting_refuse_change();
    """,
    """
    CREATE TRIGGER accounting_entry_append_only
    BEFORE UPDATE OR DELETE ON accounting_entry
    FOR EACH ROW EXECUTE FUNCTION accounting_refuse_change();
    """,
    """
    CREATE FUNCTION accounting_check_zero_sum() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        bad record;
    BEGIN
        SELECT currency, SUM(amount) AS total INTO bad
        FROM accounting_entry
        WHERE transaction_id = NEW.transaction_id
        GROUP BY currency
        HAVING SUM(amount) <> 0
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'accounting: the entries of transaction % sum '
                'to % %, not zero', NEW.transaction_id, bad.total,
                bad.currency
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END
    $$;
    """,
    """
    CREATE CONSTRAINT TRIGGER accounting_entry_zero_sum
    AFTER INSERT ON accounting_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION accounting_check_zero_sum();
    """,
]

REVERSE = [
    "DROP TRIGGER accounting_entry_zero_sum ON accounting_entry;",
    "DROP FUNCTION accounting_check_zero_sum();",
    "DROP TRIGGER accounting_entry_append_only ON accounting_entry;",
    "DROP TRIGGER accounting_transaction_append_only "
    "ON accounting_transaction;",
    "DROP FUNCTION accounting_refuse_change();",
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
    dependencies = [("accounting", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(REVERSE))]
