"""Keyset pagination: the filter that resumes an ordered list after a row.

A list ordered on ``(a, b)`` (``b`` unique) resumes after the row
``(x, y)`` with ``a < x OR (a = x AND b < y)``. PostgreSQL does not read
that OR as an index range: it filters and sorts the holder's rows, so a
page resumed deep in a long history costs in proportion to the history,
not to the page. The same condition behind a redundant bound on the
leading column, ``a <= x AND (a < x OR (a = x AND b < y))``, gives the
planner the range: on an index ending ``(a, b)`` it walks from ``x`` in
the list's direction and stops when the page is full, as for the first
page. The row comparison ``(a, b) < (x, y)`` says the same, but the ORM
has no public lookup for it; this form runs unchanged on SQLite.
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import Q


def after(*, ordering: Sequence[str], position: Sequence[Any]) -> Q:
    """Returns the filter of the rows after ``position`` in ``ordering``.

    Args:
        ordering: The ``order_by`` of the list, each field ``name`` (rising)
            or ``-name`` (falling); together unique and never NULL.
        position: The values of those fields in the last row served.

    Returns:
        The condition, led by the bound on the first field (redundant, and
        what makes it an index range).

    Raises:
        ValueError: ``ordering`` is empty, or ``position`` is not as long.
    """
    if not ordering or len(ordering) != len(position):
        raise ValueError("ordering and position must name the same fields")
    fields = [
        (name.removeprefix("-"), "lt" if name.startswith("-") else "gt")
        for name in ordering
    ]
    # From the last field outwards: b > y, then a > x OR (a = x AND b > y).
    (name, beyond), value = fields[-1], position[-1]
    condition = Q(**{f"{name}__{beyond}": value})
    for (name, beyond), value in zip(
        reversed(fields[:-1]), reversed(position[:-1]), strict=True
    ):
        condition = Q(**{f"{name}__{beyond}": value}) | (
            Q(**{name: value}) & condition
        )
    (name, beyond), value = fields[0], position[0]
    return Q(**{f"{name}__{beyond}e": value}) & condition
