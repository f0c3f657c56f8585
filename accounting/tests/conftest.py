"""Fixtures shared by the accounting tests (real PostgreSQL)."""

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounting import models, services
from accounting.tests import factories
from config.service_auth import service_headers


def pytest_configure(config: pytest.Config) -> None:
    """Refuses to run on anything but PostgreSQL.

    Without ACCOUNTING_DATABASE_URL the settings fall back to the embedded
    SQLite file, where the triggers, locks and constraints under test do not
    exist.
    """
    del config
    from django.conf import settings  # noqa: PLC0415

    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        pytest.exit(
            "The accounting tests run on PostgreSQL: set "
            "ACCOUNTING_DATABASE_URL (make unit does).",
            returncode=2,
        )


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


def ledger_state() -> dict[str, Any]:
    """Returns everything a refused request must leave as it was.

    Bad input "changes nothing": a test takes this before and after the
    request and compares. It holds each account's balance and last
    sequence, each holder's plan choice and state, and the number of
    transactions, entries and idempotency keys.
    """
    return {
        "accounts": list(
            models.Account.objects.order_by("pk").values_list(
                "pk", "balance", "last_sequence", "closed_at"
            )
        ),
        "holders": list(
            models.Holder.objects.order_by("pk").values_list(
                "pk", "plan_id", "plan_selected_at", "version", "closed_at"
            )
        ),
        "transactions": models.Transaction.objects.count(),
        "entries": models.Entry.objects.count(),
        "idempotency_keys": models.IdempotencyKey.objects.count(),
    }


@pytest.fixture
def funded_holder(holder: models.Holder) -> models.Holder:
    """The holder after a keyed credit of 100.00 USD under a 10% plan.

    Its balances, sequences and key count are not zero, so a refused
    request that moved anything shows in :func:`ledger_state`.
    """
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    services.credit_apply(
        holder_id=holder.pk,
        amount=10_000,
        currency="USD",
        idempotency_key="funded",
        request_hash="funded",
    )
    return holder
