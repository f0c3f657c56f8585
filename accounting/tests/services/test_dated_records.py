"""Credits and withdrawals of an earlier day: two clocks, one ledger.

A dated record takes effect (``effective_at``) on its day for reports and
the history, and is booked (``occurred_at``, entries, balances) now.
"""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from accounting import errors, models, selectors, services
from accounting.services import journal
from accounting.tests import factories
from accounting.tests.conftest import constraints_check, ledger_state, wallet

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def test_a_dated_credit_moves_money_now_and_counts_on_its_day(holder, clock):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    earlier = clock.now - 40 * DAY

    result = services.credit_apply(
        holder_id=holder.pk,
        amount=10_000,
        currency="USD",
        source="freelance",
        effective_at=earlier,
    )

    header = models.Transaction.objects.get(pk=result.transaction.pk)
    assert header.occurred_at == clock.now
    assert header.effective_at == earlier
    document = result.body["transaction"]
    assert document["effective_at"] == earlier.isoformat().replace(
        "+00:00", "Z"
    )
    assert document["occurred_at"] != document["effective_at"]
    # The plan of now splits it; balances move now, entries carry the
    # booking instant, so the balance as of yesterday is still zero.
    assert result.body["balances"] == {"main": "90.00", "savings": "10.00"}
    assert set(header.entries.values_list("occurred_at", flat=True)) == {
        clock.now
    }
    before = selectors.balance_at(
        holder=holder, currency="USD", at=clock.now - DAY
    )
    assert (before.main, before.savings) == (0, 0)
    constraints_check()


def test_an_undated_record_takes_effect_when_booked(holder, clock):
    result = services.credit_apply(
        holder_id=holder.pk, amount=500, currency="USD"
    )

    header = result.transaction
    assert header.effective_at == header.occurred_at == clock.now
    assert (
        result.body["transaction"]["effective_at"]
        == result.body["transaction"]["occurred_at"]
    )


def test_a_record_dated_now_is_accepted(holder, clock):
    result = services.credit_apply(
        holder_id=holder.pk,
        amount=500,
        currency="USD",
        effective_at=clock.now,
    )

    assert result.transaction.effective_at == clock.now


def test_a_dated_withdrawal_is_paid_from_main_as_it_is_now(
    funded_holder, clock
):
    clock.advance(minutes=1)
    earlier = clock.now - 3 * DAY

    result = services.withdrawal_apply(
        holder_id=funded_holder.pk,
        amount=2_500,
        currency="USD",
        category="Rent",
        effective_at=earlier,
    )

    assert result.transaction.effective_at == earlier
    assert result.transaction.occurred_at == clock.now
    assert result.body["balances"] == {"main": "65.00", "savings": "10.00"}


def test_a_dated_withdrawal_needs_the_money_now(holder, clock):
    """Money that arrived after the date still pays it: funds are now's."""
    services.credit_apply(holder_id=holder.pk, amount=1_000, currency="USD")
    clock.advance(minutes=1)

    result = services.withdrawal_apply(
        holder_id=holder.pk,
        amount=1_000,
        currency="USD",
        effective_at=clock.now - 30 * DAY,
    )
    assert result.body["balances"]["main"] == "0.00"

    with pytest.raises(errors.InsufficientFundsError):
        services.withdrawal_apply(
            holder_id=holder.pk,
            amount=1,
            currency="USD",
            effective_at=clock.now - 30 * DAY,
        )


@pytest.mark.parametrize(
    "apply", [services.credit_apply, services.withdrawal_apply]
)
def test_a_date_after_now_is_refused_and_changes_nothing(
    funded_holder, clock, apply
):
    before = ledger_state()

    with pytest.raises(errors.EffectiveAtInFutureError) as raised:
        apply(
            holder_id=funded_holder.pk,
            amount=100,
            currency="USD",
            effective_at=clock.now + dt.timedelta(microseconds=1),
            idempotency_key="dated-1",
            request_hash="h",
        )

    assert raised.value.code == "validation_error"
    assert raised.value.errors == {
        "effective_at": ["A record cannot take effect in the future."]
    }
    assert ledger_state() == before


def test_a_keyed_dated_credit_replays_with_its_date(holder, clock):
    kwargs = {
        "holder_id": holder.pk,
        "amount": 700,
        "currency": "USD",
        "effective_at": clock.now - DAY,
        "idempotency_key": "salary-oct",
        "request_hash": "h1",
    }
    first = services.credit_apply(**kwargs)
    clock.advance(minutes=5)

    again = services.credit_apply(**kwargs)

    assert again.replayed
    assert again.body == first.body
    assert wallet(holder)["main"].balance == 700


def test_an_answer_stored_before_the_second_clock_replays_dated(holder):
    """Keys stored by earlier releases lack ``effective_at``: booked then."""
    first = services.credit_apply(
        holder_id=holder.pk,
        amount=300,
        currency="USD",
        idempotency_key="old",
        request_hash="h",
    )
    stored = models.IdempotencyKey.objects.get(key="old")
    legacy = {**first.body["transaction"]}
    del legacy["effective_at"]
    models.IdempotencyKey.objects.filter(pk=stored.pk).update(
        response_body={**first.body, "transaction": legacy}
    )

    again = services.credit_apply(
        holder_id=holder.pk,
        amount=300,
        currency="USD",
        idempotency_key="old",
        request_hash="h",
    )

    assert again.replayed
    assert again.body == first.body


def test_a_stored_answer_without_a_transaction_replays_as_stored():
    assert journal._dated({"id": "goal"}) == {"id": "goal"}


@pytest.mark.parametrize(
    ("kind", "shift"),
    [
        ("credit", DAY),  # after its booking
        ("savings_release", -DAY),  # a kind that is never dated
    ],
)
def test_the_database_refuses_a_date_against_the_rules(
    holder, clock, kind, shift
):
    header = journal.header_new(
        holder_id=holder.pk, kind="credit", amount=1, currency="USD"
    )
    columns = "id, holder_id, kind, amount, currency, occurred_at,"
    with (
        pytest.raises(IntegrityError, match="effective_not_after_booking"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"INSERT INTO accounting_transaction ({columns} effective_at,"  # noqa: S608
            " description, source, to_currency, created_at)"
            " VALUES (%s, %s, %s, 1, 'USD', %s, %s, '', '', '', %s)",
            [
                header.id,
                holder.pk,
                kind,
                clock.now,
                clock.now + shift,
                clock.now,
            ],
        )
