"""Statement imports: a CSV stored as it arrives, applied by a worker.

:func:`import_create` stores the file in chunks as it streams in (never
whole in memory), after reading its header, and queues the import.
:func:`import_run` (the Celery task's work) reads it back as a stream of
rows and applies them :data:`BATCH_ROWS` at a time, each batch one
database transaction that locks the holder's wallets once, books every
row as a dated credit or withdrawal by the rules of a single one
(``movements.credit_entry``, ``withdrawal_entry``), and records, with the
money, each row's fingerprint (:class:`models.ImportedRecord`) and each
refusal. So an import can stop anywhere (a killed worker, a lost
database) and run again from its first row: a row whose fingerprint is
recorded is never applied again, by this import or a later one of the
same rows; a refused line keeps its first reason.
"""

import codecs
import dataclasses
import datetime as dt
import hashlib
import itertools
import uuid
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounting import errors, models, statements, wire
from accounting.selectors.imports import import_get
from accounting.services.guards import check_holder_open
from accounting.services.journal import Locked, accounts_lock, journal_write
from accounting.services.movements import (
    Entry,
    credit_entry,
    withdrawal_entry,
)
from accounting.services.runners import (
    attempt_start,
    job_queue,
    jobs_stalled,
    sole_runner,
)
from accounting.services.webhooks import Event, events_record
from config import contracts, sql, webhook_events
from config.idempotency import store

# What one stored chunk holds at most.
CHUNK_BYTES = 1024 * 1024
# Rows applied per database transaction.
BATCH_ROWS = 1000
# The rows of one statement: what a worker keeps per row (its rank among
# identical rows) stays a few tens of MB.
MAX_ROWS = 250_000

_RECORD_COLUMNS = (
    "holder_id",
    "fingerprint",
    "import_job_id",
    "transaction_id",
)

# A data row: its line, what it reads as (or why not), its fingerprint.
_Row = tuple[int, statements.Record | statements.RowRefused, str]
_Batch = list[_Row]


def _rechunked(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Yields the bytes of ``pieces`` again, in chunks of ``size`` at most."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


@dataclasses.dataclass
class _Upload:
    """What is learnt of a file while it is stored."""

    size: int = 0
    lines: int = 0
    digest: "hashlib._Hash" = dataclasses.field(default_factory=hashlib.sha256)
    decoder: codecs.IncrementalDecoder = dataclasses.field(
        default_factory=codecs.getincrementaldecoder("utf-8-sig")
    )

    def take(self, chunk: bytes, *, final: bool = False) -> None:
        """Counts, hashes and checks one chunk of UTF-8.

        Raises:
            ImportTooLargeError: Over ``IMPORT_MAX_BYTES``.
            ImportInvalidError: Not UTF-8, or over :data:`MAX_ROWS` rows.
        """
        self.size += len(chunk)
        if self.size > settings.IMPORT_MAX_BYTES:
            raise errors.ImportTooLargeError(
                f"A statement is at most {settings.IMPORT_MAX_BYTES:,} bytes."
            )
        self.digest.update(chunk)
        # Line ends, as CSV counts them (\r\n is one): an upper bound of
        # the rows, known before the worker reads a single one.
        self.lines += max(chunk.count(b"\n"), chunk.count(b"\r"))
        if self.lines > MAX_ROWS + 1:
            raise errors.ImportInvalidError(
                f"A statement has at most {MAX_ROWS:,} rows."
            )
        try:
            self.decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            at = self.size - len(chunk) + error.start
            raise errors.ImportInvalidError(
                f"The file is not UTF-8 text (byte {at})."
            ) from error


def _head(chunks: Iterator[bytes]) -> list[bytes]:
    """Takes the first chunks: enough to hold the header line, if any.

    Returns:
        Those chunks (``[b""]`` for an empty file).
    """
    head, size = [], 0
    for chunk in chunks:
        head.append(chunk)
        size += len(chunk)
        if size > statements.MAX_HEADER_BYTES:
            break
    return head or [b""]


def _header(start: bytes, delimiter: str) -> list[str]:
    """Returns the header: the first line of a file, ended as the rows are.

    Raises:
        ImportInvalidError: No line end within a header's length, or a
            first line that is not a CSV header.
    """
    ends = [at for at in (start.find(b"\n"), start.find(b"\r")) if at >= 0]
    end = min(ends, default=len(start))
    if end > statements.MAX_HEADER_BYTES:
        raise errors.ImportInvalidError("The first line is not a header.")
    try:
        found = next(statements.rows([start[:end]], delimiter=delimiter), None)
    except statements.StatementError as error:
        raise errors.ImportInvalidError(str(error)) from error
    if found is None:
        raise errors.ImportInvalidError("The file has no header row.")
    return found[1]


class _Replayed(Exception):  # noqa: N818 - control flow, not a failure
    """Rolls back a stored upload whose key was used already."""

    def __init__(self, existing: models.Import) -> None:
        super().__init__()
        self.existing = existing


def _holder(holder_id: uuid.UUID) -> models.Holder:
    """Returns an open holder.

    Raises:
        HolderNotReadyError, HolderClosedError: See the errors.
    """
    holder = models.Holder.objects.filter(pk=holder_id).first()
    if holder is None:
        raise errors.HolderNotReadyError()
    check_holder_open(holder)
    return holder


def _store(
    *,
    holder: models.Holder,
    chunks: Iterator[bytes],
    first: bytes,
    currency: str,
    delimiter: str,
    columns: dict[str, int],
    key: str | None,
) -> models.Import:
    """Stores a file chunk by chunk under a new import, in a transaction.

    Raises:
        _Replayed: ``key`` names an earlier upload of the same file.
        KeyReusedError: ``key`` names an upload of another file.
    """
    upload = _Upload()
    job = models.Import.objects.create(
        holder=holder,
        currency=currency,
        delimiter=delimiter,
        columns=columns,
        size_bytes=0,
        sha256="",
    )
    index = 0
    chunk: bytes | None = first
    while chunk is not None:
        following = next(chunks, None)
        upload.take(chunk, final=following is None)
        models.ImportChunk.objects.create(
            import_job=job, index=index, data=chunk
        )
        index += 1
        chunk = following
    job.size_bytes, job.sha256 = upload.size, upload.digest.hexdigest()
    job.idempotency_key = key
    try:
        # A concurrent upload with the key waits here for the first to
        # commit, then finds its key taken.
        with transaction.atomic():
            job.save(
                update_fields=[
                    "size_bytes",
                    "sha256",
                    "idempotency_key",
                    "updated_at",
                ]
            )
    except IntegrityError:
        earlier = models.Import.objects.get(holder=holder, idempotency_key=key)
        if _request(earlier) != _request(job):
            raise store.KeyReusedError() from None
        raise _Replayed(earlier) from None
    return job


def _request(job: models.Import) -> tuple:
    """What an upload asked for: its file and how to read it."""
    return (job.sha256, job.currency, job.delimiter, job.columns)


def import_create(
    *,
    holder_id: uuid.UUID,
    pieces: Iterable[bytes],
    currency: str,
    delimiter: str = ",",
    names: dict[str, str] | None = None,
    idempotency_key: str | None = None,
) -> tuple[models.Import, bool]:
    """Stores a statement and queues its import.

    Args:
        holder_id: The holder.
        pieces: The file's bytes as they arrive.
        currency: The currency of rows without one (already validated).
        delimiter: One of :data:`statements.DELIMITERS`.
        names: Column names that are not the fields' own.
        idempotency_key: The caller's key: the same key and file answer
            the first import instead of storing another.

    Returns:
        The import, and whether it is an earlier one (a replay).

    Raises:
        HolderNotReadyError, HolderClosedError: The holder's state.
        ImportInvalidError: Not UTF-8, no header, a required column
            missing.
        ImportTooLargeError: Over ``IMPORT_MAX_BYTES``.
        KeyReusedError: The key was used for another file.
    """
    holder = _holder(holder_id)
    chunks = _rechunked(pieces, CHUNK_BYTES)
    head = _head(chunks)
    start = b"".join(head)
    if not start.strip():
        raise errors.ImportInvalidError("The file is empty.")
    try:
        columns = statements.columns_read(
            _header(start, delimiter), names=names
        )
    except statements.StatementError as error:
        raise errors.ImportInvalidError(str(error)) from error
    try:
        with transaction.atomic():
            job = _store(
                holder=holder,
                chunks=itertools.chain(head[1:], chunks),
                first=head[0],
                currency=currency,
                delimiter=delimiter,
                columns=columns,
                key=idempotency_key,
            )
            transaction.on_commit(
                lambda: job_queue(contracts.IMPORT_APPLY_TASK, job.id)
            )
    except _Replayed as replay:
        return replay.existing, True
    return job, False


# --- Applying ---------------------------------------------------------------


def _chunks_of(job: models.Import) -> Iterator[bytes]:
    """Yields an import's stored chunks in order, one query each."""
    index = 0
    while True:
        data = (
            models.ImportChunk.objects.filter(import_job=job, index=index)
            .values_list("data", flat=True)
            .first()
        )
        if data is None:
            return
        yield bytes(data)
        index += 1


def _records(job: models.Import) -> Iterator[_Row]:
    """Yields ``(line, record or refusal, fingerprint)`` of every data row.

    A row's rank among identical rows of its file is counted here, over
    the whole file, so the fingerprints are the same on every run.

    Raises:
        StatementError: The file stops being CSV somewhere.
    """
    ranks: dict[str, int] = {}
    found = statements.rows(_chunks_of(job), delimiter=job.delimiter)
    next(found, None)  # the header
    for line, row in found:
        try:
            # "In the future" is judged against the upload, the same instant
            # on every run: a row refused once is refused again.
            record = statements.record_read(
                line,
                row,
                columns=job.columns,
                currency=job.currency,
                now=job.created_at,
            )
        except statements.RowRefused as refusal:
            yield line, refusal, ""
            continue
        content = record.content_key()
        ranks[content] = ranks.get(content, 0) + 1
        yield line, record, record.fingerprint(ranks[content])


def _open_currencies(
    holder_id: uuid.UUID, currencies: set[str]
) -> dict[str, str]:
    """Returns, per currency, "" if its wallet is open, else the code why.

    The wallets are locked (in id order, as every movement locks them), so
    that none closes between this answer and the batch's own lock.
    """
    kinds = models.Account.CUSTOMER_KINDS
    state: dict[str, list] = {currency: [] for currency in currencies}
    for currency, closed_at in (
        models.Account.objects.select_for_update()
        .filter(holder_id=holder_id, currency__in=currencies, kind__in=kinds)
        .order_by("id")
        .values_list("currency", "closed_at")
    ):
        state[currency].append(closed_at)
    why = {}
    for currency, closed in state.items():
        if len(closed) < len(kinds):
            why[currency] = errors.ErrorCode.ACCOUNT_NOT_OPEN
        elif any(closed):
            why[currency] = errors.ErrorCode.ACCOUNT_CLOSED
        else:
            why[currency] = ""
    return why


def _book(locked: Locked, record: statements.Record) -> Entry:
    """Books one record on the locked wallets (a credit or a withdrawal)."""
    if record.kind == statements.CREDIT:
        return credit_entry(
            locked,
            amount=record.amount,
            currency=record.currency,
            source=record.label,
            description=record.description,
            effective_at=record.effective_at,
        )
    return withdrawal_entry(
        locked,
        amount=record.amount,
        currency=record.currency,
        category=record.label,
        description=record.description,
        effective_at=record.effective_at,
    )


def _batch_apply(job: models.Import, batch: _Batch, read: int) -> None:
    """Applies a batch of rows in one transaction, with their outcomes.

    Raises:
        HolderClosedError: The user was deleted meanwhile.
    """
    if not batch:
        models.Import.objects.filter(pk=job.pk).update(
            rows_read=read, updated_at=timezone.now()
        )
        return
    with transaction.atomic():
        records = [
            (line, found, fingerprint)
            for line, found, fingerprint in batch
            if fingerprint
        ]
        why = _open_currencies(
            job.holder_id, {found.currency for _, found, _ in records}
        )
        open_ones = tuple(sorted(c for c, reason in why.items() if not reason))
        # Every wallet locked once, in id order, before anything is read:
        # a batch and a single movement of the holder queue, never mix.
        locked = (
            accounts_lock(holder_id=job.holder_id, currencies=open_ones)
            if open_ones
            else None
        )
        known = set(
            models.ImportedRecord.objects.filter(
                holder_id=job.holder_id,
                fingerprint__in=[fingerprint for *_, fingerprint in records],
            ).values_list("fingerprint", flat=True)
        )
        refused_before = set(
            models.ImportRefusal.objects.filter(
                import_job=job, line__in=[line for line, *_ in batch]
            ).values_list("line", flat=True)
        )
        journal, moved, imported, refusals = [], {}, [], []
        for line, found, fingerprint in batch:
            if line in refused_before or fingerprint in known:
                continue
            if not fingerprint:
                refusals.append((line, found.code, found.detail))
                continue
            if why[found.currency]:
                refusals.append(
                    (
                        line,
                        why[found.currency],
                        f"No open {found.currency} account.",
                    )
                )
                continue
            try:
                header, postings, accounts = _book(locked, found)
            except errors.AccountingError as refusal:
                refusals.append((line, refusal.code, refusal.detail))
                continue
            known.add(fingerprint)
            journal.append((header, postings))
            moved.update((account.id, account) for account in accounts)
            imported.append((job.holder_id, fingerprint, job.id, header.id))
        if journal:
            journal_write(
                journal,
                list(moved.values()),
                many=True,
                notified=locked.notified,
            )
            sql.insert_many(models.ImportedRecord, _RECORD_COLUMNS, imported)
        models.ImportRefusal.objects.bulk_create(
            [
                models.ImportRefusal(
                    import_job=job, line=line, code=code, detail=detail[:500]
                )
                for line, code, detail in refusals
            ],
            ignore_conflicts=True,
        )
        models.Import.objects.filter(pk=job.pk).update(
            rows_read=read, updated_at=timezone.now()
        )


def _finish(
    job: models.Import, *, read: int, code: str = "", detail: str = ""
) -> None:
    """Marks an import completed (or failed), with its final counts.

    Its chunks are deleted: the file is not needed any more, and what it
    brought is in the journal, the records and the refusals. The holder's
    webhooks are told (``import.completed``, whatever its status).
    """
    with transaction.atomic():
        applied = models.ImportedRecord.objects.filter(import_job=job).count()
        refused = models.ImportRefusal.objects.filter(import_job=job).count()
        status = models.Import.Status
        models.Import.objects.filter(pk=job.pk).update(
            status=status.FAILED if code else status.COMPLETED,
            rows_read=read,
            rows_applied=applied,
            rows_refused=refused,
            rows_duplicate=max(0, read - applied - refused),
            error_code=code,
            error_detail=detail[:500],
            completed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        models.ImportChunk.objects.filter(import_job=job).delete()
        events_record(
            [
                Event(
                    type=webhook_events.IMPORT_COMPLETED,
                    holder_id=job.holder_id,
                    data={
                        "import": wire.import_data(
                            import_get(holder=job.holder, import_id=str(job.id))
                        )
                    },
                )
            ]
        )


def import_run(*, import_id: uuid.UUID) -> models.Import | None:
    """Applies an import from its first row; safe to run again, any time.

    One runner at a time (:func:`.runners.sole_runner`); another returns
    at once. Each run counts as an attempt (:func:`.runners.attempt_start`):
    past ten, the import fails, keeping what it applied.

    Args:
        import_id: The import.

    Returns:
        The import as it stands, or None if there is no such import.
    """
    with sole_runner("import", import_id) as held:
        job = models.Import.objects.filter(pk=import_id).first()
        if job is None or job.is_finished or not held:
            return job
        failure = attempt_start(job)
        if failure:
            code, detail = failure
            _finish(job, read=job.rows_read, code=code, detail=detail)
        else:
            _apply(job)
    job.refresh_from_db()
    return job


def _apply(job: models.Import) -> None:
    """Applies every row of an import, batch by batch, then finishes it."""
    read, batch, failure = 0, [], ("", "")
    try:
        try:
            for item in _records(job):
                read += 1
                batch.append(item)
                if len(batch) == BATCH_ROWS:
                    _batch_apply(job, batch, read)
                    batch = []
        except statements.StatementError as error:
            # The rows before the unreadable line still count.
            failure = (errors.ErrorCode.INVALID_IMPORT, str(error))
        _batch_apply(job, batch, read)
    except errors.HolderClosedError as error:
        failure = (error.code, error.detail)
        read -= len(batch)  # the batch that met it rolled back
    code, detail = failure
    _finish(job, read=read, code=code, detail=detail)


def imports_stalled(*, now: dt.datetime | None = None) -> list[uuid.UUID]:
    """Returns the imports to wake, marked woken now (see the runners)."""
    return jobs_stalled(models.Import, now=now)
