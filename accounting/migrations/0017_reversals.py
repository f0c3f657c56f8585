"""Reversals: a new kind of header naming what it undoes, and its reason.

``reverses`` is one-to-one: the database refuses a second reversal of a
header. The reasons are history like the journal: PostgreSQL refuses
UPDATE and DELETE on them (the function of ``0002_ledger_triggers``);
SQLite relies on the model (``AppendOnlyModel``).
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
    CREATE TRIGGER accounting_reversal_append_only
    BEFORE UPDATE OR DELETE ON accounting_reversal
    FOR EACH ROW EXECUTE FUNCTION accounting_refuse_change();
"""

REVERSE = (
    "DROP TRIGGER accounting_reversal_append_only ON accounting_reversal;"
)


def _run(statement):
    """Returns a migration step that runs SQL on PostgreSQL only."""

    def run(apps, schema_editor):
        del apps
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0016_freezes'),
    ]

    operations = [
        migrations.CreateModel(
            name='Reversal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(max_length=500)),
                ('created_by', models.CharField(help_text='The staff member who reversed it (email, else username).', max_length=254)),
                ('created_at', models.DateTimeField()),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AlterModelOptions(
            name='transaction',
            options={'ordering': ['-occurred_at', '-id'], 'permissions': [('reverse_transaction', 'Can reverse a transaction')]},
        ),
        migrations.AddField(
            model_name='transaction',
            name='reverses',
            field=models.OneToOneField(blank=True, help_text='Reversals: the transaction this one undoes.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_by', to='accounting.transaction'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='kind',
            field=models.CharField(choices=[('credit', 'Credit'), ('transfer_out', 'Transfer out'), ('transfer_in', 'Transfer in'), ('withdrawal', 'Withdrawal'), ('conversion', 'Conversion'), ('savings_release', 'Savings release'), ('group_contribution', 'Group contribution'), ('reversal', 'Reversal')], max_length=20),
        ),
        migrations.AddConstraint(
            model_name='transaction',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'reversal'), ('reverses__isnull', False)), models.Q(models.Q(('kind', 'reversal'), _negated=True), ('reverses__isnull', True)), _connector='OR'), name='accounting_transaction_reversal_fields'),
        ),
        migrations.AddField(
            model_name='reversal',
            name='original',
            field=models.OneToOneField(help_text='The movement reversed (a transfer: its transfer_out).', on_delete=django.db.models.deletion.PROTECT, related_name='reversal', to='accounting.transaction'),
        ),
        migrations.RunPython(_run(FORWARD), _run(REVERSE)),
    ]
