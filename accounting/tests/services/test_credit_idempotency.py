"""Idempotency keys stored with the ledger write (decision 6)."""

import threading

import pytest
from django.db import connection, connections, transaction

from accounting import errors, models, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_counts
from config.idempotency import store


def credit(holder_id, amount=1000, key="key-1", request_hash=None):
    return services.credit_apply(
        holder_id=holder_id,
        amount=amount,
        currency="USD",
        idempotency_key=key,
        request_hash=request_hash or f"hash-{amount}",
    )


@pytest.mark.django_db
def test_a_retry_replays_the_original_response(holder):
    first = credit(holder.pk)
    counts = ledger_counts()

    again = credit(holder.pk)

    assert again.replayed
    assert again.transaction is None
    assert again.body == first.body
    assert ledger_counts() == counts
    stored = models.IdempotencyKey.objects.get()
    assert stored.transaction == first.transaction
    assert stored.response_body == first.body


@pytest.mark.django_db
def test_a_key_reused_for_another_request_is_refused(holder):
    credit(holder.pk, amount=1000)
    counts = ledger_counts()

    with pytest.raises(store.KeyReusedError) as caught:
        credit(holder.pk, amount=2000)

    assert caught.value.code == "idempotency_key_reused"
    assert ledger_counts() == counts


@pytest.mark.django_db
def test_keys_are_scoped_to_the_holder(holder):
    other = factories.HolderFactory()
    credit(holder.pk)

    result = credit(other.pk)

    assert not result.replayed
    assert models.IdempotencyKey.objects.count() == 2


@pytest.mark.django_db
def test_an_error_stores_no_key(holder):
    with pytest.raises(errors.AccountNotOpenError):
        services.credit_apply(
            holder_id=holder.pk, amount=5, currency="EUR",
            idempotency_key="k", request_hash="h",
        )  # fmt: skip
    assert not models.IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_key_in_flight_is_refused_with_409(holder):
    held, release = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                credit(holder.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert held.wait(10)
    try:
        with pytest.raises(store.KeyInFlightError) as caught:
            credit(holder.pk)
        assert caught.value.code == "idempotency_key_in_flight"
    finally:
        release.set()
        thread.join(10)
    assert credit(holder.pk).replayed
    assert models.Transaction.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_replay_survives_a_restart(holder):
    first = credit(holder.pk)
    connections.close_all()  # as if the process had restarted

    again = credit(holder.pk)

    assert again.replayed
    assert again.body == first.body
    assert models.Transaction.objects.count() == 1
