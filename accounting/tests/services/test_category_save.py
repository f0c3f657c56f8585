"""category_save: suggested categories, stored in one spelling."""

import pytest

from accounting import errors, models, services
from accounting.services import categories

pytestmark = pytest.mark.django_db


def save(name, *, category=None, is_active=True):
    return services.category_save(
        category=category or models.Category(), name=name, is_active=is_active
    )


def test_the_name_is_normalised():
    category = save("  Eating   OUT ")

    assert category.name == "eating out"
    assert models.Category.objects.get(pk=category.pk).name == "eating out"
    assert category.is_active


def test_rename_and_deactivate():
    category = save("Food")

    save("Groceries", category=category, is_active=False)

    stored = models.Category.objects.get()
    assert (stored.pk, stored.name, stored.is_active) == (
        category.pk,
        "groceries",
        False,
    )


TOO_LONG = "At most 100 characters (after removing extra spaces)."


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "A category needs a name."),
        ("   ", "A category needs a name."),
        ("x" * 101, "At most 100 characters (after removing extra spaces)."),
        # 102 characters once case-folded.
        (
            "\u00df" * 51,
            "At most 100 characters (after removing extra spaces).",
        ),
        # Another spelling of "rent".
        (" RENT ", "A category with this name already exists."),
    ],
)
def test_invalid_names_save_nothing(name, message):
    rent = save("rent")

    with pytest.raises(errors.CategoryInvalidError) as caught:
        save(name)
    with pytest.raises(errors.CategoryInvalidError) as validated:
        services.category_validate(category=models.Category(), name=name)

    assert (caught.value.field, caught.value.code) == (
        "name",
        "validation_error",
    )
    assert caught.value.detail.startswith(message)
    assert validated.value.detail == caught.value.detail
    assert list(models.Category.objects.values_list("pk", "name")) == [
        (rent.pk, "rent")
    ]


def test_a_long_name_that_normalises_short_enough_is_accepted():
    name = "a" + " " * 150 + "b"

    assert save(name).name == "a b"


def test_a_name_taken_meanwhile_is_refused_and_the_transaction_usable(
    monkeypatch,
):
    save("rent")
    # Another save of the name committed after this one's check.
    monkeypatch.setattr(
        categories, "category_validate", lambda *, category, name: name
    )

    with pytest.raises(errors.CategoryInvalidError) as caught:
        save("rent")

    assert caught.value.detail == "A category with this name already exists."
    assert list(models.Category.objects.values_list("name", flat=True)) == [
        "rent"
    ]


def test_an_existing_category_may_keep_its_name():
    category = save("rent")

    save("Rent", category=category, is_active=False)

    assert models.Category.objects.get().is_active is False
