"""Idempotency keys of withdrawals, transfers, releases and conversions.

Each movement stores its key with its ledger write: a retry replays the
first answer whatever happened since, another request under the key is
refused, a duplicate still running gets 409, and a refused request stores
no key.
"""

import dataclasses
import threading

import pytest
from django.db import connection, transaction

from accounting import errors, models, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_state, wallet
from config.idempotency import store

pytestmark = pytest.mark.usefixtures("deferred_constraints")


@dataclasses.dataclass
class Parties:
    """The caller (100.00 USD: main 90.00, savings 10.00) and a recipient."""

    holder: models.Holder
    recipient: models.Holder


def withdrawal(parties, amount, **key):
    return services.withdrawal_apply(
        holder_id=parties.holder.pk, amount=amount, currency="USD", **key
    )


def transfer(parties, amount, **key):
    return services.transfer_apply(
        holder_id=parties.holder.pk,
        to_account=wallet(parties.recipient)["main"].id,
        amount=amount,
        currency="USD",
        **key,
    )


def savings_release(parties, amount, **key):
    return services.savings_release_apply(
        holder_id=parties.holder.pk, amount=amount, currency="USD", **key
    )


def conversion(parties, amount, **key):
    return services.conversion_apply(
        holder_id=parties.holder.pk,
        from_currency="USD",
        to_currency="EUR",
        amount=amount,
        **key,
    )


MOVEMENTS = pytest.mark.parametrize(
    "move", [withdrawal, transfer, savings_release, conversion]
)


def make_parties(holder):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    services.account_open(holder=holder, currency="EUR")
    factories.RateFactory(base="USD", quote="EUR")
    return Parties(holder, factories.HolderFactory())


@pytest.fixture
def parties(holder):
    return make_parties(holder)


@pytest.mark.django_db
@MOVEMENTS
def test_a_retry_replays_the_first_answer(parties, move):
    first = move(parties, 500, idempotency_key="k", request_hash="h")
    state = ledger_state()

    again = move(parties, 500, idempotency_key="k", request_hash="h")

    assert (again.replayed, again.transaction) == (True, None)
    assert again.body == first.body
    assert ledger_state() == state
    stored = models.IdempotencyKey.objects.get(holder=parties.holder, key="k")
    assert stored.transaction_id == first.transaction.id
    assert stored.request_hash == "h"
    assert stored.response_body == first.body


@pytest.mark.django_db
@MOVEMENTS
def test_a_retry_replays_even_when_it_could_no_longer_apply(parties, move):
    first = move(parties, 500, idempotency_key="k", request_hash="h")
    services.account_close(account=wallet(parties.holder)["main"])
    state = ledger_state()

    again = move(parties, 500, idempotency_key="k", request_hash="h")

    assert again.replayed
    assert again.body == first.body
    assert ledger_state() == state


@pytest.mark.django_db
@MOVEMENTS
def test_a_key_reused_for_another_request_is_refused(parties, move):
    move(parties, 500, idempotency_key="k", request_hash="h")
    state = ledger_state()

    with pytest.raises(store.KeyReusedError) as caught:
        move(parties, 600, idempotency_key="k", request_hash="other")

    assert caught.value.code == "idempotency_key_reused"
    assert ledger_state() == state


@pytest.mark.django_db
@MOVEMENTS
def test_a_credits_key_is_not_a_movements_key(parties, move):
    # Keys are scoped to the holder, not to the endpoint.
    services.credit_apply(
        holder_id=parties.holder.pk,
        amount=100,
        currency="USD",
        idempotency_key="k",
        request_hash="credit",
    )
    state = ledger_state()

    with pytest.raises(store.KeyReusedError):
        move(parties, 100, idempotency_key="k", request_hash="movement")

    assert ledger_state() == state


@pytest.mark.django_db
@MOVEMENTS
def test_a_refused_request_stores_no_key(parties, move):
    with pytest.raises(errors.InsufficientFundsError):
        move(parties, 1_000_000, idempotency_key="k", request_hash="big")
    assert not models.IdempotencyKey.objects.filter(key="k").exists()

    # The key is free: a corrected request under it applies.
    result = move(parties, 100, idempotency_key="k", request_hash="small")

    assert not result.replayed
    assert models.IdempotencyKey.objects.get(key="k").request_hash == "small"


@pytest.mark.django_db
def test_a_transfers_key_is_the_senders(parties):
    transfer(parties, 500, idempotency_key="k", request_hash="h")

    # The recipient's own request under the same key is another request.
    result = services.withdrawal_apply(
        holder_id=parties.recipient.pk,
        amount=500,
        currency="USD",
        idempotency_key="k",
        request_hash="h",
    )

    assert not result.replayed
    assert result.body["balances"]["main"] == "0.00"
    assert models.IdempotencyKey.objects.filter(key="k").count() == 2


@pytest.mark.django_db(transaction=True)
@MOVEMENTS
def test_a_key_in_flight_is_refused_with_409(holder, move):
    parties = make_parties(holder)
    held, release = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                move(parties, 500, idempotency_key="k", request_hash="h")
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert held.wait(10)
        state = ledger_state()
        with pytest.raises(store.KeyInFlightError) as caught:
            move(parties, 500, idempotency_key="k", request_hash="h")
        assert caught.value.code == "idempotency_key_in_flight"
        assert caught.value.retry_after == 1
        assert ledger_state() == state
    finally:
        release.set()
        thread.join(10)
    assert move(parties, 500, idempotency_key="k", request_hash="h").replayed
    assert models.IdempotencyKey.objects.filter(key="k").count() == 1
