"""Reversals asked at once by several staff: one applies, on real PostgreSQL.

Threads, each with its own connection (``test_concurrency.in_thread``),
released together by a barrier.
"""

import concurrent.futures
import threading

import pytest

from accounting import errors, models, services
from accounting.tests import factories
from accounting.tests.test_concurrency import assert_ledger_clean, in_thread

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(count, reverse):
    """Runs ``reverse(index)`` in ``count`` threads started together."""
    start = threading.Barrier(count)

    @in_thread
    def run(index):
        start.wait(10)
        try:
            return reverse(index)
        except errors.AccountingError as error:
            return error

    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_ten_staff_reversing_one_credit_reverse_it_once(funded_holder):
    credit = models.Transaction.objects.get(kind="credit")

    outcomes = at_once(
        10,
        lambda index: services.transaction_reverse(
            original=credit, reason="Twice", staff=f"staff{index}@example.com"
        ),
    )

    created = [o for o in outcomes if o.created]
    assert len(created) == 1
    assert all(o.reversal == created[0].reversal for o in outcomes)
    assert all(o.headers == created[0].headers for o in outcomes)
    assert models.Transaction.objects.filter(kind="reversal").count() == 1
    assert models.Reversal.objects.count() == 1
    balances = {a.kind: a.balance for a in funded_holder.accounts.all()}
    assert balances == {"main": 0, "savings": 0}
    assert_ledger_clean()


def test_each_half_of_a_transfer_named_at_once_reverses_it_once(
    funded_holder,
):
    recipient = factories.HolderFactory()
    result = services.transfer_apply(
        holder_id=funded_holder.pk,
        to_account=recipient.accounts.get(kind="main").id,
        amount=2_500,
        currency="USD",
    )
    sent = models.Transaction.objects.get(pk=result.body["transaction"]["id"])
    halves = [sent, models.Transaction.objects.get(pk=sent.related_id)]

    outcomes = at_once(
        8,
        lambda index: services.transaction_reverse(
            original=halves[index % 2], reason="Wrong payee", staff="s@x.com"
        ),
    )

    assert sum(o.created for o in outcomes) == 1
    assert models.Transaction.objects.filter(kind="reversal").count() == 2
    assert recipient.accounts.get(kind="main").balance == 0
    assert funded_holder.accounts.get(kind="main").balance == 9_000
    assert_ledger_clean()


def test_two_reasons_at_once_apply_one_and_refuse_the_other(funded_holder):
    credit = models.Transaction.objects.get(kind="credit")

    outcomes = at_once(
        2,
        lambda index: services.transaction_reverse(
            original=credit, reason=f"Reason {index}", staff="s@x.com"
        ),
    )

    applied = [o for o in outcomes if isinstance(o, services.ReversalResult)]
    refused = [o for o in outcomes if isinstance(o, errors.AccountingError)]
    assert [o.created for o in applied] == [True]
    assert [e.code for e in refused] == ["transaction_already_reversed"]
    assert models.Reversal.objects.get().reason == applied[0].reversal.reason
    assert_ledger_clean()
