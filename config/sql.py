"""Plain SQL over a model's table, with the model's own conversions.

For the statements a hot path sends many times (a money movement's journal
and its idempotency key): building them through the ORM costs more CPU
than the database spends running them. Parameters go through each field's
``get_db_prep_value``, so the same SQL runs on PostgreSQL and on the
embedded SQLite default (where UUIDs are hex text).
"""

from typing import Any

from django.db import connection, models


def db_value(model: type[models.Model], field: str, value: Any) -> Any:
    """Returns a value as the database driver expects it for a column."""
    return model._meta.get_field(field).get_db_prep_value(value, connection)


def insert(
    model: type[models.Model],
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """Inserts rows of plain values into a model's table in one statement.

    What ``bulk_create`` sends, without building model instances or an
    insert query per call. Values are given for every column written: no
    field defaults or ``auto_now_add`` are applied here.

    Args:
        model: The table's model.
        columns: Field names (or their ``attname``, ``holder_id``).
        rows: One tuple of values per row, in ``columns`` order.
    """
    fields = [model._meta.get_field(name) for name in columns]
    names = ", ".join(f'"{field.column}"' for field in fields)
    row_marks = f"({', '.join(['%s'] * len(fields))})"
    # Only names from the model and placeholders are formatted in.
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({names})'  # noqa: S608
        f" VALUES {', '.join([row_marks] * len(rows))}"
    )
    params = [
        field.get_db_prep_save(value, connection)
        for row in rows
        for field, value in zip(fields, row, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
