"""Plain SQL over a model's table, with the model's own conversions.

For the statements a hot path sends many times (a money movement's journal
and its idempotency key): building them through the ORM costs more CPU
than the database spends running them. Parameters go through each field's
``get_db_prep_value``, so the same SQL runs on PostgreSQL and on the
embedded SQLite default (where UUIDs are hex text).
"""

import functools
from typing import Any

from django.db import connection, connections, models


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


# Fields whose values psycopg writes exactly as Django would prepare them
# (ids, text, integers, aware instants): preparing a thousand rows' worth
# costs more than writing them.
_AS_THEY_ARE = frozenset(
    {
        "UUIDField",
        "ForeignKey",
        "OneToOneField",
        "CharField",
        "BigIntegerField",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "BigAutoField",
    }
)


def insert_many(
    model: type[models.Model],
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """Inserts many rows in one statement whose text does not grow with them.

    On PostgreSQL the rows are streamed with ``COPY ... FROM STDIN``: the
    driver writes each row in C, where :func:`insert`'s placeholders grow
    with every row and arrays (``unnest``) are built value by value in
    Python; the table's triggers and constraints hold for copied rows as
    for inserted ones. On SQLite it is :func:`insert`. Same arguments as
    :func:`insert`.
    """
    if not rows:
        return
    # The embedded default's imports take this: the smoke test runs them,
    # coverage counts the unit tests, which run on PostgreSQL only.
    if connection.vendor != "postgresql":  # pragma: no cover - SQLite only
        insert(model, columns, rows)
        return
    fields = [model._meta.get_field(name) for name in columns]
    names = ", ".join(f'"{field.column}"' for field in fields)
    # The wrapper itself, not the proxy: it is asked once per value.
    wrapper = connections[connection.alias]
    # A column whose Python value the driver takes as it is goes as it is;
    # the others (JSON, decimals) through their field.
    preparers = [
        None
        if field.get_internal_type() in _AS_THEY_ARE
        else functools.partial(field.get_db_prep_save, connection=wrapper)
        for field in fields
    ]
    with connection.cursor() as cursor, wrapper.wrap_database_errors:
        copy_sql = f'COPY "{model._meta.db_table}" ({names}) FROM STDIN'
        with cursor.cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(
                    [
                        value if prepare is None else prepare(value)
                        for prepare, value in zip(preparers, row, strict=True)
                    ]
                )


def update_many(
    model: type[models.Model],
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """Updates many rows, each by its primary key, in one statement.

    On PostgreSQL the new values come as arrays joined to the table by
    key (``UPDATE ... FROM unnest(...)``); on SQLite one ``UPDATE`` per
    row.

    Args:
        model: The table's model.
        columns: The primary key's field, then the fields to set.
        rows: One tuple per row, in ``columns`` order.
    """
    fields = [model._meta.get_field(name) for name in columns]
    key, *changed = (f'"{field.column}"' for field in fields)
    table = model._meta.db_table
    wrapper = connections[connection.alias]
    if connection.vendor != "postgresql":  # pragma: no cover - SQLite only
        assignments = ", ".join(f"{name} = %s" for name in changed)
        with connection.cursor() as cursor:
            cursor.executemany(
                f'UPDATE "{table}" SET {assignments} WHERE {key} = %s',  # noqa: S608
                [
                    [
                        field.get_db_prep_save(value, wrapper)
                        for field, value in zip(
                            [*fields[1:], fields[0]],
                            [*row[1:], row[0]],
                            strict=True,
                        )
                    ]
                    for row in rows
                ],
            )
        return
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    names = ", ".join(f'"{field.column}"' for field in fields)
    assignments = ", ".join(f"{name} = v.{name}" for name in changed)
    # Only names and types from the model are formatted in.
    sql = (
        f'UPDATE "{table}" t SET {assignments}'  # noqa: S608
        f" FROM unnest({arrays}) AS v({names}) WHERE t.{key} = v.{key}"
    )
    params = [
        [field.get_db_prep_save(row[index], wrapper) for row in rows]
        for index, field in enumerate(fields)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
