"""Suggested expense categories, kept by staff.

Names are stored in the spelling withdrawals store theirs
(``config.labels.normalize``), so a name staff suggest and the same name a
client types group together in reports, and two spellings of one name
cannot both be suggested. Saving invalidates the cached list through the
model's signal (``accounting/signals.py``).
"""

from django.db import IntegrityError, transaction

from accounting import errors, models
from config import labels


def _taken() -> errors.CategoryInvalidError:
    """The error for a name another category has."""
    return errors.CategoryInvalidError(
        "name", "A category with this name already exists."
    )


def category_validate(*, category: models.Category, name: str) -> str:
    """Checks a category's name and returns it as it would be stored.

    Writes nothing: :func:`category_save` calls it, and a form calls it to
    show an error on the name before saving.

    Args:
        category: The category named (new or existing).
        name: The name as staff typed it.

    Returns:
        The name normalised.

    Raises:
        CategoryInvalidError: The name is blank or too long once
            normalised, or another category has it.
    """
    try:
        name = labels.parse(name)
    except labels.LabelError as error:
        raise errors.CategoryInvalidError("name", str(error)) from error
    if not name:
        raise errors.CategoryInvalidError("name", "A category needs a name.")
    others = models.Category.objects.exclude(pk=category.pk)
    if others.filter(name=name).exists():
        raise _taken()
    return name


@transaction.atomic
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
        CategoryInvalidError: See :func:`category_validate`; also when
            another category took the name meanwhile (nothing is saved).
    """
    category.name = category_validate(category=category, name=name)
    category.is_active = is_active
    try:
        # A savepoint, so that the caller's transaction stays usable; the
        # unique constraint settles two saves of one name at once.
        with transaction.atomic():
            category.save()
    except IntegrityError as error:
        raise _taken() from error
    return category
