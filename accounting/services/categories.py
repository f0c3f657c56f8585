"""Suggested expense categories, kept by staff.

Names are stored in the spelling withdrawals store theirs
(``models.normalize_label``), so a name staff suggest and the same name a
client types group together in reports, and two spellings of one name
cannot both be suggested. Saving invalidates the cached list through the
model's signal (``accounting/signals.py``).
"""

from accounting import models


def category_save(
    *, category: models.Category, name: str, is_active: bool
) -> models.Category:
    """Creates or edits a suggested category, its name normalised.

    Args:
        category: A new (unsaved) or an existing category.
        name: The name as staff typed it.
        is_active: Whether clients are offered it.

    Returns:
        The category, saved.

    Raises:
        django.core.exceptions.ValidationError: The name is blank or longer
            than 100 characters once normalised, or another category has
            it (nothing is saved).
    """
    category.name = models.normalize_label(name)
    category.is_active = is_active
    category.full_clean()
    category.save()
    return category
