"""Partners' credit batches: stored once, each item applied once."""

import logging
import threading
import uuid

import kombu.exceptions
import pytest
from django.db import connection, connections

from accounting import errors, models, selectors, services
from accounting.selectors import ledger_checks
from accounting.services import batches
from accounting.tests import factories
from accounting.tests.conftest import failed_checks, wallet

# At import: setting Celery up sets Django's logging up again, which would
# take pytest's log capture off the root logger in the middle of a test.
from config.celery import app
from config.idempotency import store

pytestmark = pytest.mark.django_db

Item = services.BatchItemInput


@pytest.fixture
def partner():
    return models.Partner.objects.create(name="Acme Payroll")


@pytest.fixture
def key(partner):
    issued, _ = services.key_issue(
        partner=partner, name="payroll", scopes=["credits:write"]
    )
    return issued


def send(key, items, idempotency_key="batch-1"):
    return services.credit_batch_create(
        key=key, items=items, idempotency_key=idempotency_key
    )


def run(key, items, idempotency_key="batch-1"):
    batch, _ = send(key, items, idempotency_key)
    return services.credit_batch_run(batch_id=batch.id)


def outcomes(batch):
    return [
        (item.position, item.status, item.error_code)
        for item in models.CreditBatchItem.objects.filter(batch=batch)
    ]


def balances(holder, currency="USD"):
    accounts = wallet(holder, currency)
    return {kind: account.balance for kind, account in accounts.items()}


def test_each_item_is_credited_by_its_users_own_plan(key):
    saver = factories.HolderFactory()
    services.plan_assign(holder=saver, plan=factories.PlanFactory())
    spender = factories.HolderFactory()

    batch = run(
        key,
        [
            Item(str(saver.pk), 100_000, "USD", "PAY-1"),
            Item(spender.email.upper(), 250_00, "USD", "PAY-2"),
        ],
    )

    assert batch.status == "completed"
    assert (batch.items_applied, batch.items_refused) == (2, 0)
    assert outcomes(batch) == [(0, "applied", ""), (1, "applied", "")]
    assert balances(saver) == {"main": 90_000, "savings": 10_000}
    assert balances(spender) == {"main": 250_00, "savings": 0}
    credit = models.Transaction.objects.get(holder=saver)
    assert (credit.kind, credit.source, credit.description) == (
        "credit",
        "acme payroll",
        "PAY-1",
    )
    item = models.CreditBatchItem.objects.get(batch=batch, position=0)
    assert (item.holder_id, item.transaction_id) == (saver.pk, credit.pk)
    assert failed_checks() == []
