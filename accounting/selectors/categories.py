"""The staff's suggested expense categories, as clients' pickers show them.

Read on the screen of every withdrawal and changed only by staff, so the
answer is cached; ``accounting/signals.py`` invalidates the namespace on
every save or delete of a category, once it commits.
"""

from accounting import cache, models

CATEGORIES = "categories"


def _names() -> list[str]:
    """Reads the active categories' names from the database, by name."""
    return list(
        models.Category.objects.filter(is_active=True)
        .order_by("name")
        .values_list("name", flat=True)
    )


def categories_active() -> list[str]:
    """Returns the names of the active categories, sorted (cached).

    Names are stored normalised (``config.labels.normalize``), the way
    withdrawals store their category, so a name picked here groups with
    the same category typed by hand.

    Returns:
        Such as ``["eating out", "groceries"]``.
    """
    return cache.cached(CATEGORIES, "active", _names)
