"""seed_demo suggests expense categories once, and respects staff's edits."""

import pytest
from django.core.management import call_command

from accounting import models
from accounting.management.commands import seed_demo
from config import labels

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_the_categories_once(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    models.Category.objects.filter(name="rent").update(is_active=False)
    models.Category.objects.filter(name="travel").delete()
    call_command("seed_demo")
    second = capsys.readouterr().out

    assert "accounting categories: 8 created" in first
    # Only the missing one is added back; the deactivated one stays so.
    assert "accounting categories: 1 created" in second
    categories = dict(models.Category.objects.values_list("name", "is_active"))
    assert categories == {
        name: name != "rent" for name in seed_demo.DEMO_CATEGORIES
    }
    assert set(categories) == {
        "groceries",
        "rent",
        "utilities",
        "transport",
        "eating out",
        "health",
        "entertainment",
        "travel",
    }


def test_demo_category_names_are_already_normalised():
    for name in seed_demo.DEMO_CATEGORIES:
        assert labels.normalize(name) == name
