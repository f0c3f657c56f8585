"""A stored key keeps the answer's document, not its HTTP status.

Every keyed write (a movement, a goal, a group) answers 201: the view says
so, the key no longer does. The column gets a default of 201 first, so that
migrating back refills it for the keys stored in between.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0007_group_member_left_at'),
    ]

    operations = [
        migrations.AlterField(
            model_name='idempotencykey',
            name='response_status',
            field=models.PositiveSmallIntegerField(default=201),
        ),
        migrations.RemoveField(
            model_name='idempotencykey',
            name='response_status',
        ),
    ]
