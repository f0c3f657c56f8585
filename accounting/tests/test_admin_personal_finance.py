"""The back office of personal finance: categories edited, goals shown."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounting import models, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


def category_form(**overrides):
    return {"name": "Eating  Out", "is_active": "on"} | overrides


def test_add_a_category_stores_its_normalised_name(staff):
    add = reverse("admin:accounting_category_add")
    assert staff.get(add).status_code == 200

    response = staff.post(add, category_form())

    assert response.status_code == 302
    category = models.Category.objects.get()
    assert (category.name, category.is_active) == ("eating out", True)


def test_the_name_is_judged_once_normalised(staff):
    # 152 characters as typed, "a b" as stored: the service judges.
    response = staff.post(
        reverse("admin:accounting_category_add"),
        category_form(name="a" + " " * 150 + "b"),
    )

    assert response.status_code == 302
    assert models.Category.objects.get().name == "a b"


def test_rename_and_deactivate_a_category(
    staff, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        category = services.category_save(
            category=models.Category(), name="food", is_active=True
        )
    change = reverse("admin:accounting_category_change", args=[category.pk])
    api = "/internal/v1/categories"
    assert api_client.get(api).json() == {"results": [{"name": "food"}]}

    with django_capture_on_commit_callbacks(execute=True):
        renamed = staff.post(change, {"name": "Groceries", "is_active": "on"})
    # Clients see the change at once: the cached list was invalidated.
    assert api_client.get(api).json() == {"results": [{"name": "groceries"}]}
    with django_capture_on_commit_callbacks(execute=True):
        deactivated = staff.post(change, {"name": "groceries"})

    assert renamed.status_code == deactivated.status_code == 302
    stored = models.Category.objects.get()
    assert (stored.name, stored.is_active) == ("groceries", False)
    assert api_client.get(api).json() == {"results": []}


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * 101, "\u00df" * 51, "RENT", " rent "]
)
def test_invalid_or_duplicate_names_are_refused(staff, name):
    services.category_save(
        category=models.Category(), name="rent", is_active=True
    )

    response = staff.post(
        reverse("admin:accounting_category_add"), category_form(name=name)
    )

    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["name"]
    assert list(models.Category.objects.values_list("name", flat=True)) == [
        "rent"
    ]


def test_categories_are_listed_and_never_deleted(staff):
    category = services.category_save(
        category=models.Category(), name="travel", is_active=False
    )

    listing = staff.get(
        reverse("admin:accounting_category_changelist"),
        {"is_active__exact": "0"},
    )
    delete = staff.get(
        reverse("admin:accounting_category_delete", args=[category.pk])
    )

    assert b"travel" in listing.content
    assert delete.status_code == 403
    assert models.Category.objects.filter(pk=category.pk).exists()


def test_goals_are_listed_by_holder_and_read_only(staff, holder):
    other = factories.HolderFactory(email="zed@example.com")
    goal = services.goal_create(
        holder=holder,
        name="Bike",
        target_amount=123_456,
        currency="USD",
        target_date=dt.date(2099, 1, 1),
    )
    services.goal_create(
        holder=other, name="Trip", target_amount=5_000, currency="JPY"
    )
    changelist = reverse("admin:accounting_goal_changelist")
    change = reverse("admin:accounting_goal_change", args=[goal.pk])

    listing = staff.get(changelist)
    yen = staff.get(changelist, {"currency": "JPY"})
    found = staff.get(changelist, {"q": "zed@"})
    page = staff.get(change)
    edit = staff.post(change, {"name": "Hacked"})

    assert listing.status_code == 200
    content = listing.content.decode()
    assert content.index(holder.email) < content.index("zed@example.com")
    assert "1234.56" in content
    assert b"Trip" in yen.content
    assert b"Bike" not in yen.content
    assert b"Trip" in found.content
    assert b"Bike" not in found.content
    assert page.status_code == 200
    assert b"1234.56" in page.content
    assert edit.status_code == 403
    assert models.Goal.objects.get(pk=goal.pk).name == "Bike"
    add = staff.get(reverse("admin:accounting_goal_add"))
    assert add.status_code == 403
