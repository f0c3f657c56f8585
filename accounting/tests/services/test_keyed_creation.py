"""Idempotency keys of goal_set and group_start, as of money movements.

Setting a goal or starting a group stores the caller's key, the request's
fingerprint and the answer in the same database transaction as the goal
or group (with no journal header: nothing moves): a retry replays the
answer and writes nothing, another request under the key is refused, a
duplicate still running gets 409, and a refused request stores no key.
"""

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounting import errors, models, services
from accounting.tests.conftest import ledger_state
from config.idempotency import store


@dataclasses.dataclass(frozen=True)
class Creation:
    """A keyed creation and the rows it writes."""

    create: Callable[..., services.KeyedResult]
    model: type

    def rows(self) -> int:
        return self.model.objects.count()


GOAL = Creation(services.goal_set, models.Goal)
GROUP = Creation(services.group_start, models.SavingsGroup)
CREATIONS = pytest.mark.parametrize(
    "creation", [GOAL, GROUP], ids=["goal", "group"]
)


def create(creation: Creation, holder: models.Holder, **overrides: Any):
    fields = {
        "name": "Bike",
        "target_amount": 30_000,
        "currency": "USD",
        "idempotency_key": "k",
        "request_hash": "h",
    }
    return creation.create(holder_id=holder.pk, **(fields | overrides))


def state(creation: Creation) -> tuple[int, dict[str, Any]]:
    return creation.rows(), ledger_state()


@pytest.mark.django_db
@CREATIONS
def test_a_retry_replays_the_first_answer_and_writes_nothing(holder, creation):
    first = create(creation, holder)
    before = state(creation)

    again = create(creation, holder)

    assert (first.replayed, first.transaction) == (False, None)
    assert again.replayed
    assert again.body == first.body
    assert state(creation) == before
    stored = models.IdempotencyKey.objects.get(holder=holder, key="k")
    assert stored.request_hash == "h"
    assert stored.response_body == first.body
    assert stored.transaction is None
    assert str(creation.model.objects.get().pk) == first.body["id"]


@pytest.mark.django_db
@CREATIONS
def test_a_key_reused_for_another_request_is_refused(holder, creation):
    create(creation, holder)
    before = state(creation)

    with pytest.raises(store.KeyReusedError) as caught:
        create(creation, holder, name="Car", request_hash="other")

    assert caught.value.code == "idempotency_key_reused"
    assert state(creation) == before


@pytest.mark.django_db
@CREATIONS
def test_without_a_key_each_request_creates(holder, creation):
    first = create(creation, holder, idempotency_key=None, request_hash="")
    second = create(creation, holder, idempotency_key=None, request_hash="")

    assert first.body["id"] != second.body["id"]
    assert creation.rows() == 2
    assert not models.IdempotencyKey.objects.exists()


@pytest.mark.django_db
@CREATIONS
def test_a_refused_request_stores_no_key(holder, creation):
    holder.closed_at = timezone.now()
    holder.save(update_fields=["closed_at"])
    before = state(creation)

    with pytest.raises(errors.HolderClosedError):
        create(creation, holder)

    assert state(creation) == before


@pytest.mark.django_db
def test_a_refused_goal_stores_no_key_and_the_key_stays_free(holder):
    before = state(GOAL)

    with pytest.raises(errors.GoalInvalidError):
        create(GOAL, holder, name="   ")

    assert state(GOAL) == before
    assert not create(GOAL, holder).replayed


@pytest.mark.django_db
@CREATIONS
def test_the_key_commits_with_the_creation_or_not_at_all(holder, creation):
    before = state(creation)

    with transaction.atomic():
        create(creation, holder)
        assert models.IdempotencyKey.objects.filter(key="k").exists()
        transaction.set_rollback(True)

    assert state(creation) == before


@pytest.mark.django_db
@CREATIONS
def test_keys_are_shared_with_money_movements(holder, creation):
    services.credit_apply(
        holder_id=holder.pk,
        amount=500,
        currency="USD",
        idempotency_key="k",
        request_hash="credit",
    )
    before = state(creation)

    with pytest.raises(store.KeyReusedError):
        create(creation, holder)

    assert state(creation) == before


@pytest.mark.django_db(transaction=True)
@CREATIONS
def test_a_key_in_flight_is_refused_with_409(holder, creation):
    held, release = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                create(creation, holder)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert held.wait(10)
        before = state(creation)
        with pytest.raises(store.KeyInFlightError) as caught:
            create(creation, holder)
        assert caught.value.code == "idempotency_key_in_flight"
        assert caught.value.retry_after == 1
        assert state(creation) == before
    finally:
        release.set()
        thread.join(10)
    assert create(creation, holder).replayed
    assert creation.rows() == 1
