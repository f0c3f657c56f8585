"""category_save: suggested categories, stored in one spelling."""

import pytest
from django.core.exceptions import ValidationError

from accounting import models, services

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


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "x" * 101,
        "\u00df" * 51,  # 102 characters once case-folded
        " RENT ",  # another spelling of "rent"
    ],
)
def test_invalid_names_save_nothing(name):
    rent = save("rent")

    with pytest.raises(ValidationError) as caught:
        save(name)

    assert "name" in caught.value.message_dict
    assert list(models.Category.objects.values_list("pk", "name")) == [
        (rent.pk, "rent")
    ]


def test_an_existing_category_may_keep_its_name():
    category = save("rent")

    save("Rent", category=category, is_active=False)

    assert models.Category.objects.get().is_active is False
