"""A movement in its own transaction: three waits, and all or nothing.

Outside any caller's transaction (as under a request), a movement opens
and commits its transaction itself, in pipeline mode
(``journal._one_transaction``). These tests run it that way, on real
PostgreSQL, and check what a client relies on: one journal entry set per
key, the stored answer replayed, a refusal or a lost connection leaving
nothing behind, and the connection fit for the next request.
"""

import os
import socket
import uuid

import pytest
from django.db import OperationalError, connection

from accounting import errors, models, services
from accounting.services import journal, movements

pytestmark = pytest.mark.django_db(transaction=True)


def _credit(holder, key, amount=500):
    return services.credit_apply(
        holder_id=holder.pk,
        amount=amount,
        currency="USD",
        idempotency_key=key,
        request_hash=f"credit:{amount}",
    )


def test_a_credit_commits_once_and_its_key_replays(holder):
    key = uuid.uuid4().hex
    first = _credit(holder, key)
    again = _credit(holder, key)

    assert not connection.in_atomic_block
    assert (first.replayed, again.replayed) == (False, True)
    assert again.body == first.body
    assert models.Transaction.objects.filter(holder=holder).count() == 1
    assert models.IdempotencyKey.objects.get(key=key).transaction_id == (
        first.transaction.id
    )


def test_a_refused_movement_rolls_back_and_the_connection_goes_on(holder):
    _credit(holder, uuid.uuid4().hex, amount=100)
    with pytest.raises(errors.InsufficientFundsError):
        services.withdrawal_apply(
            holder_id=holder.pk,
            amount=101,
            currency="USD",
            idempotency_key=uuid.uuid4().hex,
            request_hash="withdrawal:101",
        )

    assert connection.connection.info.transaction_status == (
        journal.pq.TransactionStatus.IDLE
    )
    assert models.Transaction.objects.filter(holder=holder).count() == 1
    assert models.IdempotencyKey.objects.filter(holder=holder).count() == 1
    assert _credit(holder, uuid.uuid4().hex).replayed is False


def test_a_connection_lost_mid_movement_is_an_outage_and_writes_nothing(
    holder, monkeypatch
):
    real_write = journal.journal_write

    def write_then_lose_the_connection(*args, **kwargs):
        real_write(*args, **kwargs)
        # The network drops the connection: the server sees it end before
        # the COMMIT arrives.
        lost = socket.socket(fileno=os.dup(connection.connection.fileno()))
        lost.shutdown(socket.SHUT_RDWR)
        lost.close()

    monkeypatch.setattr(
        movements, "journal_write", write_then_lose_the_connection
    )
    key = uuid.uuid4().hex
    with pytest.raises(OperationalError):
        _credit(holder, key)
    monkeypatch.undo()
    connection.close()

    assert not models.Transaction.objects.filter(holder=holder).exists()
    assert not models.IdempotencyKey.objects.filter(key=key).exists()
    assert _credit(holder, key).replayed is False
