"""Fixtures shared by the accounting tests (real PostgreSQL)."""

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounting import models
from accounting.tests import factories
from config.service_auth import service_headers


@pytest.fixture
def api_client() -> APIClient:
    """A client that calls the internal API with the service credential."""
    client = APIClient()
    client.credentials(
        **{
            "HTTP_AUTHORIZATION": service_headers(settings.INTERNAL_API_TOKEN)[
                "Authorization"
            ]
        }
    )
    return client


@pytest.fixture
def holder(db) -> models.Holder:
    """An open holder with main and savings accounts in USD."""
    del db
    return factories.HolderFactory()


def ledger_counts() -> tuple[int, int, int, int]:
    """Returns counts of transactions, entries, keys and the balance sum."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM accounting_transaction),"
            " (SELECT COUNT(*) FROM accounting_entry),"
            " (SELECT COUNT(*) FROM accounting_idempotencykey),"
            " (SELECT COALESCE(SUM(balance), 0) FROM accounting_account)"
        )
        return cursor.fetchone()
