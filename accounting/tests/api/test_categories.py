"""GET /categories: active suggestions by name, cached, never stale."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounting import models, services

pytestmark = pytest.mark.django_db

URL = "/internal/v1/categories"


def save(name, *, category=None, is_active=True):
    return services.category_save(
        category=category or models.Category(), name=name, is_active=is_active
    )


def names(api_client):
    response = api_client.get(URL)
    assert response.status_code == 200
    return response.json()


def test_active_categories_by_name(api_client):
    save("Travel")
    save("groceries")
    save("Old", is_active=False)

    assert names(api_client) == {
        "results": [{"name": "groceries"}, {"name": "travel"}]
    }


def test_needs_the_service_credential(client):
    response = client.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_served_from_the_cache_until_staff_change_one(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rent = save("rent")
    assert names(api_client)["results"] == [{"name": "rent"}]

    with CaptureQueriesContext(connection) as queries:
        assert names(api_client)["results"] == [{"name": "rent"}]
    assert not any("accounting_category" in q["sql"] for q in queries)

    with django_capture_on_commit_callbacks(execute=True):
        save("Housing", category=rent)
        save("food")
    assert names(api_client)["results"] == [
        {"name": "food"},
        {"name": "housing"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        save(
            "food",
            category=models.Category.objects.get(name="food"),
            is_active=False,
        )
    assert names(api_client)["results"] == [{"name": "housing"}]
