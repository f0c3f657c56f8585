"""Partners' credit batches: stored once, each item applied once."""

import datetime as dt
import logging
import threading
import uuid

import kombu.exceptions
import pytest
from django.db import OperationalError, connections

from accounting import errors, models, services
from accounting.services import batches, journal, runners
from accounting.tests import factories
from accounting.tests.conftest import failed_checks, wallet

# At import: setting Celery up sets Django's logging up again, which would
# take pytest's log capture off the root logger in the middle of a test.
from config.celery import app
from config.idempotency import fingerprints, store

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
    assert (batch.items_applied, batch.items_refused, batch.attempts) == (
        2,
        0,
        1,
    )
    assert batch.completed_at is not None
    assert outcomes(batch) == [(0, "applied", ""), (1, "applied", "")]
    assert balances(saver) == {"main": 90_000, "savings": 10_000}
    assert balances(spender) == {"main": 250_00, "savings": 0}
    credit = models.Transaction.objects.get(holder=saver)
    assert (credit.kind, credit.source, credit.description) == (
        "credit",
        "acme payroll",
        "PAY-1",
    )
    assert credit.plan_snapshot["value"] == "10.00"
    item = models.CreditBatchItem.objects.get(batch=batch, position=0)
    assert (item.holder_id, item.transaction_id) == (saver.pk, credit.pk)
    assert failed_checks() == []


def test_items_that_cannot_apply_are_refused_and_the_rest_apply(key, partner):
    good = factories.HolderFactory()
    deleted = factories.HolderFactory()
    deleted.closed_at = deleted.created_at
    deleted.save()
    closed_wallet = factories.HolderFactory()
    services.account_close(account=wallet(closed_wallet)["main"])
    no_euros = factories.HolderFactory()
    flat = factories.HolderFactory()
    services.plan_assign(holder=flat, plan=factories.PlanFactory(flat=True))
    earlier = run(key, [Item(str(good.pk), 1_00, "USD", "PAY-0")], "earlier")
    assert earlier.items_applied == 1

    batch = run(
        key,
        [
            Item(str(good.pk), 10_00, "USD", "PAY-1"),
            Item("nobody@example.com", 10_00, "USD", "PAY-2"),
            Item("0b7c3a34-0000-4000-8000-000000000000", 10_00, "USD", "PAY-3"),
            Item(str(deleted.pk), 10_00, "USD", "PAY-4"),
            Item(str(good.pk), 10_00, "EUR", "PAY-5"),
            Item(closed_wallet.email, 10_00, "USD", "PAY-6"),
            Item(flat.email, 5_00, "USD", "PAY-7"),
            Item(str(good.pk), 10_00, "USD", "PAY-0"),
            Item(str(good.pk), 20_00, "USD", "PAY-8"),
            Item(no_euros.email, 20_00, "EUR", "PAY-9"),
        ],
    )

    assert outcomes(batch) == [
        (0, "applied", ""),
        (1, "refused", "user_not_found"),
        (2, "refused", "user_not_found"),
        (3, "refused", "user_inactive"),
        (4, "refused", "account_not_open"),
        (5, "refused", "account_closed"),
        (6, "refused", "amount_not_above_flat_amount"),
        (7, "refused", "duplicate_reference"),
        (8, "applied", ""),
        (9, "refused", "account_not_open"),
    ]
    assert (batch.status, batch.items_applied, batch.items_refused) == (
        "completed",
        2,
        8,
    )
    assert balances(good)["main"] == 1_00 + 10_00 + 20_00
    refused = models.CreditBatchItem.objects.get(batch=batch, position=6)
    assert str(refused) == f"{batch.id} #6"
    assert "above 5.00 USD" in refused.error_detail
    assert refused.holder_id == flat.pk
    assert refused.transaction_id is None
    assert failed_checks() == []


def test_a_live_user_is_found_by_email_before_a_deleted_one(key):
    gone = factories.HolderFactory(email="Ada@Example.com")
    gone.closed_at = gone.created_at
    gone.save()
    live = factories.HolderFactory(email="ada@example.com")

    batch = run(key, [Item("ADA@example.COM", 3_00, "USD", "PAY-1")])

    item = models.CreditBatchItem.objects.get(batch=batch)
    assert (item.status, item.holder_id) == ("applied", live.pk)


def test_an_id_in_any_spelling_names_its_user(key):
    holder = factories.HolderFactory()
    spellings = [str(holder.pk), str(holder.pk).upper(), holder.pk.hex]

    batch = run(
        key,
        [
            Item(user, 1_00, "USD", f"PAY-{n}")
            for n, user in enumerate(spellings)
        ],
    )

    assert batch.items_applied == 3
    assert balances(holder)["main"] == 3_00


def test_many_items_of_one_user_in_one_chunk_keep_the_ledger_whole(key):
    holders = [factories.HolderFactory() for _ in range(3)]
    services.plan_assign(holder=holders[0], plan=factories.PlanFactory())
    items = [
        Item(str(holders[n % 3].pk), 1_00 + n, "USD", f"PAY-{n}")
        for n in range(30)
    ]

    batch = run(key, items)

    assert batch.items_applied == 30
    for index, holder in enumerate(holders):
        total = sum(1_00 + n for n in range(index, 30, 3))
        assert sum(balances(holder).values()) == total
    sequences = list(
        models.Entry.objects.filter(
            account=wallet(holders[1])["main"]
        ).values_list("sequence", flat=True)
    )
    assert sorted(sequences) == list(range(1, 11))
    assert failed_checks() == []


def test_a_batch_is_applied_in_chunks(key, monkeypatch):
    monkeypatch.setattr(batches, "CHUNK_ITEMS", 2)
    holder = factories.HolderFactory()
    chunks = []
    real = batches._chunk_apply
    monkeypatch.setattr(
        batches,
        "_chunk_apply",
        lambda batch, items: chunks.append(len(items)) or real(batch, items),
    )

    batch = run(
        key, [Item(str(holder.pk), 1_00, "USD", f"P{n}") for n in range(5)]
    )

    assert chunks == [2, 2, 1]
    assert batch.items_applied == 5


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "A batch has 1 to 10,000 items."),
        (
            [Item("a@example.com", 1, "USD", "R")] * 2,
            "Items 0 and 1 have the same reference 'R'.",
        ),
    ],
)
def test_a_batch_without_items_or_with_a_reference_twice_is_refused(
    key, items, message
):
    with pytest.raises(errors.BatchInvalidError, match=message) as refused:
        send(key, items)

    assert refused.value.errors == {"items": [message]}
    assert not models.CreditBatch.objects.exists()


def test_a_batch_of_more_than_the_most_items_is_refused(key, monkeypatch):
    monkeypatch.setattr(batches.bounds, "CREDIT_BATCH_MAX_ITEMS", 3)
    items = [Item("a@example.com", 1, "USD", f"R{n}") for n in range(4)]

    with pytest.raises(errors.BatchInvalidError, match="1 to 3 items"):
        send(key, items)


def test_the_same_key_and_items_answer_the_first_batch(key):
    holder = factories.HolderFactory()
    items = [Item(str(holder.pk), 1_00, "USD", "PAY-1")]
    first, replayed = send(key, items)
    assert not replayed

    again, replayed = send(key, items)

    assert replayed
    assert again.pk == first.pk
    assert models.CreditBatchItem.objects.count() == 1
    with pytest.raises(store.KeyReusedError):
        send(key, [Item(str(holder.pk), 2_00, "USD", "PAY-1")])
    other, replayed = send(key, items, idempotency_key="batch-2")
    assert not replayed
    assert other.pk != first.pk


def test_another_partner_may_use_the_same_key_and_reference(key):
    holder = factories.HolderFactory()
    rival = models.Partner.objects.create(name="Rival Payroll")
    rival_key, _ = services.key_issue(
        partner=rival, name="k", scopes=["credits:write"]
    )
    items = [Item(str(holder.pk), 1_00, "USD", "PAY-1")]

    mine = run(key, items)
    theirs = run(rival_key, items)

    assert mine.pk != theirs.pk
    assert (mine.items_applied, theirs.items_applied) == (1, 1)
    assert balances(holder)["main"] == 2_00


def test_a_finished_batch_runs_no_more(key):
    holder = factories.HolderFactory()
    batch = run(key, [Item(str(holder.pk), 1_00, "USD", "PAY-1")])

    again = services.credit_batch_run(batch_id=batch.id)

    assert (again.status, again.attempts) == ("completed", 1)
    assert balances(holder)["main"] == 1_00
    assert services.credit_batch_run(batch_id=uuid.uuid4()) is None


@pytest.mark.django_db(transaction=True)
def test_a_run_that_stops_midway_resumes_with_what_is_pending(monkeypatch):
    partner = models.Partner.objects.create(name="Acme Payroll")
    key, _ = services.key_issue(partner=partner, name="k", scopes=[])
    holder = factories.HolderFactory()
    monkeypatch.setattr(batches, "CHUNK_ITEMS", 2)
    real, calls = journal.journal_write, []

    def database_lost_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("server closed the connection")
        return real(*args, **kwargs)

    monkeypatch.setattr(
        batches, "journal_write", database_lost_on_the_second_chunk
    )
    batch, _ = send(
        key, [Item(str(holder.pk), 1_00, "USD", f"P{n}") for n in range(5)]
    )
    with pytest.raises(OperationalError):
        services.credit_batch_run(batch_id=batch.id)
    stopped = models.CreditBatch.objects.get(pk=batch.pk)
    assert (stopped.status, stopped.items_applied) == ("running", 2)
    assert balances(holder)["main"] == 2_00

    resumed = services.credit_batch_run(batch_id=batch.id)

    assert (resumed.status, resumed.attempts) == ("completed", 2)
    assert (resumed.items_applied, resumed.items_refused) == (5, 0)
    assert balances(holder)["main"] == 5_00
    assert models.Transaction.objects.filter(holder=holder).count() == 5
    assert failed_checks() == []


def test_a_batch_that_keeps_stopping_fails_keeping_what_applied(key):
    holder = factories.HolderFactory()
    batch, _ = send(key, [Item(str(holder.pk), 1_00, "USD", "PAY-1")])
    models.CreditBatch.objects.filter(pk=batch.pk).update(
        attempts=runners.MAX_ATTEMPTS
    )

    failed = services.credit_batch_run(batch_id=batch.id)

    assert (failed.status, failed.error_code) == ("failed", "internal_error")
    assert "stopped 10 times" in failed.error_detail
    assert outcomes(failed) == [(0, "pending", "")]
    assert balances(holder)["main"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_second_runner_leaves_the_batch_to_the_first():
    partner = models.Partner.objects.create(name="Acme Payroll")
    key, _ = services.key_issue(partner=partner, name="k", scopes=[])
    holder = factories.HolderFactory()
    batch, _ = send(key, [Item(str(holder.pk), 1_00, "USD", "PAY-1")])
    lock = fingerprints.lock_id("batch", str(batch.id))
    holding, release = threading.Event(), threading.Event()

    def first_runner():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock])
            holding.set()
            release.wait(timeout=10)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])
        connections["default"].close()

    thread = threading.Thread(target=first_runner)
    thread.start()
    assert holding.wait(timeout=10)
    try:
        second = services.credit_batch_run(batch_id=batch.id)
    finally:
        release.set()
        thread.join(timeout=10)

    assert (second.status, second.attempts) == ("queued", 0)
    assert balances(holder)["main"] == 0


@pytest.mark.django_db(transaction=True)
def test_one_reference_in_two_batches_at_once_is_credited_once():
    partner = models.Partner.objects.create(name="Acme Payroll")
    key, _ = services.key_issue(partner=partner, name="k", scopes=[])
    holders = [factories.HolderFactory() for _ in range(20)]
    items = [
        Item(str(holder.pk), 1_00, "USD", f"PAY-{n}")
        for n, holder in enumerate(holders)
    ]
    first, _ = send(key, items, "first")
    second, _ = send(key, list(reversed(items)), "second")
    start = threading.Barrier(2)

    def runner(batch):
        try:
            start.wait(timeout=10)
            services.credit_batch_run(batch_id=batch.id)
        finally:
            connections["default"].close()

    threads = [
        threading.Thread(target=runner, args=(b,)) for b in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    applied = models.CreditBatchItem.objects.filter(status="applied")
    assert applied.count() == 20
    assert (
        models.CreditBatchItem.objects.filter(
            status="refused", error_code="duplicate_reference"
        ).count()
        == 20
    )
    assert all(balances(holder)["main"] == 1_00 for holder in holders)
    assert failed_checks() == []


def test_the_database_refuses_a_reference_applied_twice(key):
    holder = factories.HolderFactory()
    first = run(key, [Item(str(holder.pk), 1_00, "USD", "PAY-1")], "a")
    second, _ = send(key, [Item(str(holder.pk), 1_00, "USD", "PAY-1")], "b")

    with pytest.raises(batches.IntegrityError):
        models.CreditBatchItem.objects.filter(batch=second).update(
            status="applied"
        )
    assert first.items_applied == 1


def test_a_stalled_batch_is_woken_once_a_while(key, clock):
    holder = factories.HolderFactory()
    batch, _ = send(key, [Item(str(holder.pk), 1_00, "USD", "PAY-1")])
    done = run(key, [Item(str(holder.pk), 1_00, "USD", "PAY-2")], "done")

    assert services.credit_batches_stalled() == []
    later = clock.advance(seconds=runners.STALL_SECONDS + 1)
    assert services.credit_batches_stalled(now=later) == [batch.id]
    assert services.credit_batches_stalled(now=later) == []
    assert done.id not in services.credit_batches_stalled(
        now=later + dt.timedelta(hours=1)
    )


def test_a_stored_batch_is_queued_once_committed(
    key, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args: sent.append((name, args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch, _ = send(key, [Item("a@example.com", 1, "USD", "R")])

    assert sent == [("accounting.credit_batch_apply", [str(batch.id)])]


def test_a_broker_out_of_reach_leaves_the_batch_for_beat(
    key, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def refused(*args, **kwargs):
        raise kombu.exceptions.OperationalError("connection refused")

    monkeypatch.setattr(app, "send_task", refused)
    with (
        caplog.at_level(logging.WARNING, logger="accounting.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        batch, _ = send(key, [Item("a@example.com", 1, "USD", "R")])

    assert models.CreditBatch.objects.get(pk=batch.pk).status == "queued"
    assert (
        f"accounting.credit_batch_apply {batch.id} not queued; it will be "
        "resumed" in caplog.text
    )


def test_no_wallets_lock_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert journal.wallets_lock(set()) == {}
