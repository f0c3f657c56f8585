"""A stored sign-up key keeps the new user, not the answer's HTTP status.

A sign-up answers 201, replayed or not: the view says so, the key no
longer does. The column gets a default of 201 first, so that migrating
back refills it for the keys stored in between.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0001_initial'),
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
