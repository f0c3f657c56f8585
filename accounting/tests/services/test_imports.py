"""Statement imports: stored as they stream, applied once per row."""

import datetime as dt
import decimal
import logging
import threading
import uuid

import kombu.exceptions
import pytest
from django.db import connection, connections

from accounting import errors, models, selectors, services, statements
from accounting.selectors import ledger_checks
from accounting.services import imports, runners
from accounting.tests import factories
from accounting.tests.conftest import wallet
from config import sql

# At import: setting Celery up sets Django's logging up again, which would
# take pytest's log capture off the root logger in the middle of a test.
from config.celery import app
from config.idempotency import fingerprints, store

pytestmark = pytest.mark.django_db

HEADER = "date,amount,description,category,source\n"


def upload(holder, text, *, pieces=None, **options):
    data = text.encode() if isinstance(text, str) else text
    options.setdefault("currency", "USD")
    job, replayed = services.import_create(
        holder_id=holder.pk, pieces=pieces or [data], **options
    )
    return job, replayed


def run(holder, text, **options):
    job, _ = upload(holder, text, **options)
    return services.import_run(import_id=job.id)


def status(holder, job):
    return selectors.import_get(holder=holder, import_id=str(job.id))


def refusals(holder, job):
    return [(r.line, r.code) for r in status(holder, job).refusals]


@pytest.fixture
def saver(holder):
    """A holder under a 10% plan."""
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    return holder


def test_rows_become_dated_credits_and_withdrawals(saver, clock):
    job = run(
        saver,
        HEADER + "2026-11-02,1000.00,Salary,,Pay Roll\n"
        "2026-11-03T08:15:00+01:00,-12.40,Bus,Transport,\n"
        "2026-11-04,-0.60,Coffee,,\n",
    )

    assert job.status == "completed"
    assert (job.rows_read, job.rows_applied, job.rows_refused) == (3, 3, 0)
    assert job.rows_duplicate == 0
    accounts = wallet(saver)
    assert (accounts["main"].balance, accounts["savings"].balance) == (
        100_000 - 10_000 - 1_240 - 60,
        10_000,
    )
    found = {
        t.description: t
        for t in models.Transaction.objects.filter(holder=saver)
    }
    assert found["Salary"].kind == "credit"
    assert found["Salary"].source == "pay roll"
    assert found["Salary"].effective_at == dt.datetime(
        2026, 11, 2, tzinfo=dt.UTC
    )
    assert found["Bus"].kind == "withdrawal"
    assert found["Bus"].category == "transport"
    assert found["Bus"].effective_at == dt.datetime(
        2026, 11, 3, 7, 15, tzinfo=dt.UTC
    )
    assert found["Coffee"].category is None
    assert {t.occurred_at for t in found.values()} == {clock.now}
    assert models.ImportChunk.objects.filter(import_job=job).count() == 0
    assert [
        f.check.name for f in ledger_checks.ledger_verify() if f.count
    ] == []


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("yesterday,5.00", "invalid_datetime"),
        ("2999-01-01,5.00", "validation_error"),
        ("2026-11-02,0", "invalid_amount"),
        ("2026-11-02,-0.00", "invalid_amount"),
        ("2026-11-02,5.001", "invalid_amount"),
        ("2026-11-02,1e3", "invalid_amount"),
        ("2026-11-02,", "invalid_amount"),
        ("2026-11-02,1000000001", "invalid_amount"),
        ("2026-11-02,-900.00", "insufficient_funds"),
        ("2026-11-02,5.00,EUR", "account_not_open"),
        ("2026-11-02,5.00,XXX", "unsupported_currency"),
    ],
)
def test_a_row_that_cannot_apply_is_refused_with_its_code(
    holder, clock, row, code
):
    del clock
    job = run(holder, "date,amount,currency\n2026-11-01,1.00\n" + row + "\n")

    assert job.status == "completed"
    assert (job.rows_applied, job.rows_refused) == (1, 1)
    assert refusals(holder, job) == [(3, code)]
    assert status(holder, job).refusals[0].detail


def test_labels_and_descriptions_over_their_bounds_are_refused(holder):
    long_label = "x" * 101
    long_text = "y" * 501
    job = run(
        holder,
        HEADER + f"2026-11-02,5.00,,,{long_label}\n"
        f"2026-11-02,5.00,{long_text},,\n"
        f"2026-11-02,5.00,ok,,\n",
        names={},
    )

    assert refusals(holder, job) == [
        (2, "validation_error"),
        (3, "validation_error"),
    ]
    assert job.rows_applied == 1


def test_a_flat_plan_refuses_a_credit_not_above_it(holder):
    services.plan_assign(
        holder=holder,
        plan=factories.PlanFactory(
            kind="flat_amount", percentage=None, flat_amount=1_000
        ),
    )

    job = run(holder, "date,amount\n2026-11-02,10.00\n2026-11-02,10.01\n")

    assert refusals(holder, job) == [(2, "amount_not_above_flat_amount")]
    assert wallet(holder)["savings"].balance == 1_000


def test_a_closed_wallet_refuses_its_rows(holder):
    services.account_open(holder=holder, currency="EUR")
    services.account_close(
        account=holder.accounts.get(kind="main", currency="EUR")
    )

    job = run(holder, "date,amount,currency\n2026-11-02,1,EUR\n")

    assert refusals(holder, job) == [(2, "account_closed")]


def test_importing_the_same_file_again_applies_nothing(saver):
    text = HEADER + (
        "2026-11-02,10.00,Coffee,,\n"
        "2026-11-02,10.00,Coffee,,\n"  # a second coffee: a row of its own
        "2026-11-03,-4.00,Bus,transport,\n"
    )
    first = run(saver, text)
    before = wallet(saver)["main"].balance

    again = run(saver, text)
    grown = run(saver, text + "2026-11-04,1.00,Tip,,\n")

    assert first.rows_applied == 3
    assert (again.rows_applied, again.rows_duplicate) == (0, 3)
    assert wallet(saver)["main"].balance == before + 90
    assert (grown.rows_applied, grown.rows_duplicate) == (1, 3)
    assert models.Transaction.objects.filter(holder=saver).count() == 4


def test_a_reference_names_a_row_across_files(holder):
    header = "date,amount,description,reference\n"
    run(holder, header + "2026-11-02,5.00,Coffee,BANK-1\n")

    # The same reference, day and amount: the same row, however described.
    again = run(holder, header + "2026-11-02,5.00,Café,BANK-1\n")
    # A bank that numbers its rows per statement reuses references: another
    # day or amount is another row.
    reused = run(holder, header + "2026-11-09,5.00,Tea,BANK-1\n")
    other = run(holder, header + "2026-11-02,5.00,Coffee,BANK-2\n")

    assert (again.rows_applied, again.rows_duplicate) == (0, 1)
    assert reused.rows_applied == 1
    assert other.rows_applied == 1


def test_another_holder_imports_the_same_file(holder):
    other = factories.HolderFactory()
    text = "date,amount\n2026-11-02,5.00\n"

    assert run(holder, text).rows_applied == 1
    assert run(other, text).rows_applied == 1


def test_a_run_stopped_midway_resumes_without_applying_twice(
    holder, monkeypatch
):
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)
    rows = "".join(f"2026-11-02,{n}.00,r{n},,\n" for n in range(1, 8))
    job, _ = upload(holder, HEADER + rows + "2026-11-02,-1000,big,,\n")
    real = imports._batch_apply
    calls = []

    def dies_on_the_third(job, batch, read):
        calls.append(read)
        if len(calls) == 3:
            raise OSError("the worker was killed")
        real(job, batch, read)

    monkeypatch.setattr(imports, "_batch_apply", dies_on_the_third)
    with pytest.raises(OSError, match="killed"):
        services.import_run(import_id=job.id)
    partial = status(holder, job)
    assert (partial.job.status, partial.applied) == ("running", 4)

    monkeypatch.setattr(imports, "_batch_apply", real)
    done = services.import_run(import_id=job.id)

    assert (done.rows_read, done.rows_applied, done.rows_refused) == (8, 7, 1)
    assert done.rows_duplicate == 0
    assert wallet(holder)["main"].balance == sum(range(1, 8)) * 100
    assert services.import_run(import_id=job.id).rows_applied == 7


def test_a_refused_line_keeps_its_first_reason(holder, monkeypatch):
    """Rerun after money arrived, a refused withdrawal stays refused."""
    job, _ = upload(holder, "date,amount\n2026-11-02,-5.00\n")
    real = imports._finish
    monkeypatch.setattr(imports, "_finish", lambda *a, **k: None)
    services.import_run(import_id=job.id)
    services.credit_apply(holder_id=holder.pk, amount=1_000, currency="USD")
    monkeypatch.setattr(imports, "_finish", real)

    done = services.import_run(import_id=job.id)

    assert (done.rows_applied, done.rows_refused) == (0, 1)
    assert refusals(holder, done) == [(2, "insufficient_funds")]


def test_any_chunking_of_the_upload_reads_the_same_rows(holder, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_BYTES", 7)
    text = (
        "\ufeffDate;Montant;Libell\u00e9\r\n"
        '2026-11-02;12.50;"caf\u00e9\r\n cr\u00e8me"\r\n'
        "2026-11-03;-2.50;\u20ac\u20ac\u20ac\r\n"
    )
    data = text.encode()
    pieces = [data[i : i + 3] for i in range(0, len(data), 3)]

    job = run(
        holder,
        data,
        pieces=pieces,
        delimiter=";",
        names={"amount": "montant", "description": "LIBELL\u00c9"},
    )

    assert (job.rows_read, job.rows_applied) == (2, 2)
    descriptions = set(
        models.Transaction.objects.filter(holder=holder).values_list(
            "description", flat=True
        )
    )
    assert descriptions == {"caf\u00e9\r\n cr\u00e8me", "\u20ac\u20ac\u20ac"}
    assert status(holder, job).refusals == []


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"", "empty"),
        (b" \n\n", "empty"),
        (b"when,how much\n2026-11-02,1\n", "'date' or 'amount'"),
        (b"date,amount,date\n", "twice"),
        (b"date,amount\n2026-11-02,caf\xe9\n", "not UTF-8"),
        (b"x" * (70 * 1024), "not a header"),
        (b'"date,amount\n', "Line 1"),
    ],
)
def test_a_file_that_is_no_statement_is_refused_whole(holder, data, detail):
    with pytest.raises(errors.ImportInvalidError, match=detail) as raised:
        upload(holder, data)

    assert raised.value.code == "invalid_import"
    assert not models.Import.objects.exists()


def test_a_file_over_the_limit_is_refused_whole(holder, settings):
    settings.IMPORT_MAX_BYTES = 40
    with pytest.raises(errors.ImportTooLargeError) as raised:
        upload(holder, HEADER + "2026-11-02,1.00\n" * 3)

    assert raised.value.code == "payload_too_large"
    assert not models.ImportChunk.objects.exists()


def test_a_file_that_stops_being_csv_fails_after_its_good_rows(holder):
    job = run(holder, 'date,amount\n2026-11-02,1.00\n2026-11-02,"1.00\n')

    assert job.status == "failed"
    assert job.error_code == "invalid_import"
    assert "line 3" in job.error_detail.lower()
    assert job.rows_applied == 1
    assert not models.ImportChunk.objects.filter(import_job=job).exists()


def test_an_import_of_a_deleted_user_fails(holder):
    job, _ = upload(holder, "date,amount\n2026-11-02,1.00\n")
    models.Holder.objects.filter(pk=holder.pk).update(
        closed_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
    )

    done = services.import_run(import_id=job.id)

    assert (done.status, done.error_code) == ("failed", "user_inactive")


def test_only_an_open_holder_uploads(holder):
    unknown = factories.HolderFactory.build()
    with pytest.raises(errors.HolderNotReadyError):
        upload(unknown, "date,amount\n")

    models.Holder.objects.filter(pk=holder.pk).update(
        closed_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
    )
    with pytest.raises(errors.HolderClosedError):
        upload(holder, "date,amount\n")
    assert not models.Import.objects.exists()


def test_a_header_alone_completes_with_no_rows(holder):
    job = run(holder, "date,amount\n")

    assert (job.status, job.rows_read, job.rows_applied) == ("completed", 0, 0)


def test_the_same_key_and_file_answer_the_first_import(holder):
    text = "date,amount\n2026-11-02,1.00\n"
    first, replayed_first = upload(holder, text, idempotency_key="stmt-1")

    again, replayed = upload(holder, text, idempotency_key="stmt-1")

    assert (replayed_first, replayed) == (False, True)
    assert again.pk == first.pk
    assert models.Import.objects.count() == 1
    with pytest.raises(store.KeyReusedError):
        upload(holder, text + "2026-11-03,1.00\n", idempotency_key="stmt-1")
    assert models.Import.objects.count() == 1


def test_a_running_import_shows_its_counts_so_far(holder, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 1)
    job, _ = upload(holder, "date,amount\n2026-11-02,1\n2026-11-02,x\n")
    monkeypatch.setattr(imports, "_finish", lambda *a, **k: None)

    services.import_run(import_id=job.id)
    now = status(holder, job)

    assert now.job.status == "running"
    assert (now.read, now.applied, now.refused, now.duplicate) == (2, 1, 1, 0)


def test_an_unknown_import_runs_nothing(db):
    del db
    assert services.import_run(import_id=uuid.uuid4()) is None


def test_only_silent_unfinished_imports_are_stalled(holder, clock):
    quiet, _ = upload(holder, "date,amount\n")
    done = run(holder, "date,amount\n2026-11-01,1\n")
    clock.advance(seconds=runners.STALL_SECONDS - 1)
    assert services.imports_stalled(now=clock.now) == []

    later = clock.now + dt.timedelta(seconds=2)

    assert services.imports_stalled(now=later) == [quiet.id]
    assert done.id not in services.imports_stalled(now=later)


def test_rows_across_batches_balance_to_the_cent(holder, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 7)
    amounts = [decimal.Decimal(n) / 100 for n in range(1, 51)]
    text = "date,amount\n" + "".join(
        f"2026-11-{1 + n % 28:02d},{a}\n" for n, a in enumerate(amounts)
    )

    job = run(holder, text)

    assert job.rows_applied == 50
    assert wallet(holder)["main"].balance == int(sum(amounts) * 100)
    assert wallet(holder)["main"].last_sequence == 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_file", [True, False])
def test_two_uploads_with_one_key_at_once_make_one_import(same_file):
    """The second waits on the key's index for the first, then replays."""
    holder = factories.HolderFactory()
    files = [b"date,amount\n2026-11-02,1.00\n"] * 2
    if not same_file:
        files[1] += b"2026-11-03,1.00\n"
    barrier = threading.Barrier(2)
    outcomes = []

    def send(data):
        def pieces():
            yield data[:10]
            barrier.wait(timeout=10)  # both stored part of their file
            yield data[10:]

        try:
            job, replayed = services.import_create(
                holder_id=holder.pk,
                pieces=pieces(),
                currency="USD",
                idempotency_key="same",
            )
            outcomes.append((job.pk, replayed))
        except store.KeyReusedError:
            outcomes.append("reused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(f,)) for f in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    (job,) = models.Import.objects.all()
    assert models.ImportChunk.objects.exclude(import_job=job).count() == 0
    if same_file:
        assert sorted(outcomes, key=str) == sorted(
            [(job.pk, False), (job.pk, True)], key=str
        )
    else:
        assert (job.pk, False) in outcomes
        assert "reused" in outcomes


def test_a_header_of_blank_cells_is_no_header(holder):
    with pytest.raises(errors.ImportInvalidError, match="no header row"):
        upload(holder, ",, ,\ndate,amount\n")


def test_a_header_that_is_not_utf8_is_refused(holder):
    with pytest.raises(errors.ImportInvalidError, match="not UTF-8"):
        upload(holder, b"d\xffte,amount\n")


def test_blank_rows_are_skipped_and_not_counted(holder):
    job = run(holder, "date,amount\n\n , \n2026-11-02,1.00\n;\n")

    assert (job.rows_read, job.rows_applied) == (2, 1)
    assert refusals(holder, job) == [(5, "invalid_datetime")]


def test_a_reference_over_its_bound_is_refused(holder):
    job = run(holder, f"date,amount,reference\n2026-11-02,1,{'r' * 201}\n")

    assert refusals(holder, job) == [(2, "validation_error")]


def test_a_broker_out_of_reach_leaves_the_import_for_beat(
    holder, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def refused(*args, **kwargs):
        raise kombu.exceptions.OperationalError("connection refused")

    monkeypatch.setattr(app, "send_task", refused)
    with (
        caplog.at_level(logging.WARNING, logger="accounting.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        job, _ = upload(holder, "date,amount\n2026-11-02,1.00\n")

    assert models.Import.objects.get(pk=job.pk).status == "queued"
    assert (
        f"accounting.import_apply {job.id} not queued; it will be resumed"
        in caplog.text
    )


def test_an_upload_queues_its_import_once_committed(
    holder, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args: sent.append((name, args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = upload(holder, "date,amount\n2026-11-02,1.00\n")

    assert sent == [("accounting.import_apply", [str(job.id)])]


def test_nothing_to_insert_sends_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        sql.insert_many(models.ImportedRecord, ("fingerprint",), [])


def test_imports_and_their_rows_name_themselves(holder):
    job = run(holder, "date,amount\n2026-11-02,1\n2026-11-02,x\n")
    record = models.ImportedRecord.objects.get(import_job=job)
    refusal = models.ImportRefusal.objects.get(import_job=job)
    pending, _ = upload(holder, "date,amount\n2026-11-03,1\n")
    chunk = models.ImportChunk.objects.get(import_job=pending)

    assert str(job) == f"import {job.id} (completed)"
    assert str(record) == record.fingerprint
    assert str(refusal) == "line 3: invalid_amount"
    assert str(chunk) == f"{pending.id} #0"


def test_only_plain_line_ends_end_a_row(holder):
    """A description may hold U+2028 or a form feed: still one row."""
    job = run(
        holder,
        "date,amount,description\r"
        "2026-11-02,-0.00,x\r\n"
        "2026-11-02,2.00,Coffee\u2028Shop\x0c\x85\n",
    )

    assert (job.rows_read, job.rows_applied) == (2, 1)
    credit = models.Transaction.objects.get(holder=holder)
    assert credit.description == "Coffee\u2028Shop\x0c\x85".strip()
    assert refusals(holder, job) == [(2, "invalid_amount")]


def test_a_line_over_its_bound_stops_the_file(holder):
    long_line = "2026-11-02,1.00," + "x" * statements.MAX_LINE_CHARACTERS
    job = run(holder, f"date,amount,description\n2026-11-02,1\n{long_line}\n")

    assert (job.status, job.error_code) == ("failed", "invalid_import")
    assert "Line 3 is over" in job.error_detail
    assert job.rows_applied == 1


def test_a_statement_over_its_rows_is_refused_whole(holder, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    rows = "2026-11-02,1\n" * 4

    with pytest.raises(errors.ImportInvalidError, match="at most 3 rows"):
        upload(holder, "date,amount\n" + rows)
    assert run(holder, "date,amount\r" + "2026-11-02,1\r" * 3).rows_read == 3


def test_another_reading_of_the_same_file_reuses_the_key(holder):
    text = "date;amount\n2026-11-02;1.00\n"
    upload(holder, text, delimiter=";", idempotency_key="k")

    with pytest.raises(store.KeyReusedError):
        upload(holder, text, delimiter=";", currency="EUR", idempotency_key="k")


@pytest.mark.django_db(transaction=True)
def test_a_second_runner_leaves_the_import_to_the_first():
    holder = factories.HolderFactory()
    job, _ = services.import_create(
        holder_id=holder.pk, pieces=[b"date,amount\n2026-11-02,1\n"],
        currency="USD",
    )  # fmt: skip
    lock = fingerprints.lock_id("import", str(job.id))
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
        second = services.import_run(import_id=job.id)
    finally:
        release.set()
        thread.join(timeout=10)

    assert (second.status, second.attempts, second.rows_read) == (
        "queued",
        0,
        0,
    )
    assert services.import_run(import_id=job.id).status == "completed"


def test_an_import_that_keeps_stopping_fails_in_the_end(holder, monkeypatch):
    job, _ = upload(holder, "date,amount\n2026-11-02,1\n2026-11-03,2\n")
    monkeypatch.setattr(imports, "BATCH_ROWS", 1)
    real = imports._batch_apply

    def stops_after_the_first(job, batch, read):
        if read > 1:
            raise OSError("the worker was killed")
        real(job, batch, read)

    monkeypatch.setattr(imports, "_batch_apply", stops_after_the_first)
    for _ in range(runners.MAX_ATTEMPTS):
        with pytest.raises(OSError, match="killed"):
            services.import_run(import_id=job.id)

    done = services.import_run(import_id=job.id)

    assert (done.status, done.error_code) == ("failed", "internal_error")
    assert done.attempts == runners.MAX_ATTEMPTS + 1
    assert done.rows_applied == 1
    assert wallet(holder)["main"].balance == 100
