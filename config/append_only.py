"""Rows that, once written, are never changed or deleted.

The ledger's journal and rates (accounting), and both services' audit
trails of staff actions, are history: a correction is a new row.
"""

from typing import Any

from django.db import models


class AppendOnlyError(Exception):
    """An attempt to change or remove a journal row."""


class AppendOnlyModel(models.Model):
    """A model whose rows, once written, are never changed or deleted.

    This guards the Python path on every database; PostgreSQL additionally
    refuses ``UPDATE`` and ``DELETE`` with triggers, which also covers
    ``QuerySet.update()`` and raw SQL.
    """

    class Meta:
        """Abstract: adds behaviour, no table."""

        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Inserts a new row; refuses to update an existing one.

        Raises:
            AppendOnlyError: The row was already saved.
        """
        if not self._state.adding:
            raise AppendOnlyError(
                f"{type(self).__name__} rows are append-only."
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Refuses to delete a journal row.

        Raises:
            AppendOnlyError: Always.
        """
        del args, kwargs
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
