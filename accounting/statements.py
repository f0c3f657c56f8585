"""Bank statements as CSV: which columns an import reads, and its rows.

A statement is UTF-8 text (a byte-order mark is ignored) with a header
row. Each row is an income (a positive ``amount``: a credit) or an
expense (a negative one: a withdrawal) on its ``date``. The header names
the columns; a client whose bank names them otherwise maps them
(``date_column=Booking date``); other columns are ignored.

The file is read as a stream of byte chunks and never held whole: rows
come out one by one with their line numbers (:func:`rows`).

A row is known again, in this file or a later one, by its fingerprint:
its bank ``reference`` when it has one, otherwise its content (date,
amount, currency, description, label) and its rank among identical rows
of its file, so that two coffees of one price on one day stay two.
"""

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Iterator

from config import bounds, labels, money, timeparse
from config.errors import Code
from config.statements import (
    AMOUNT,
    CATEGORY,
    CURRENCY,
    DATE,
    DESCRIPTION,
    FIELDS,
    REFERENCE,
    REQUIRED,
    SOURCE,
)

# A header longer than this is not a statement's.
MAX_HEADER_BYTES = 64 * 1024
# A longer line is no statement's row either (the file stops there).
MAX_LINE_CHARACTERS = 64 * 1024
REFERENCE_MAX_LENGTH = 200

CREDIT = "credit"
WITHDRAWAL = "withdrawal"


class StatementError(ValueError):
    """The file cannot be read as a statement at all (its header, a line)."""


class RowRefused(ValueError):  # noqa: N818 - a refusal, not a failure
    """A row that cannot be applied: the code and detail say why.

    Attributes:
        code: A stable problem code (``invalid_amount``, ...).
        detail: What is wrong, for a person.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def columns_read(
    header: list[str], *, names: dict[str, str] | None = None
) -> dict[str, int]:
    """Returns the index of each field's column in a header row.

    Args:
        header: The header row's cells.
        names: A field's column name when it is not the field's own
            (``{"date": "Booking date"}``); matched like the defaults,
            trimmed and case-insensitively.

    Returns:
        ``{field: index}`` for the fields found.

    Raises:
        StatementError: A required column is missing, or a name is in
            the header twice.
    """
    names = names or {}
    wanted = {
        field: " ".join(names.get(field, field).split()).casefold()
        for field in FIELDS
    }
    cells = [" ".join(cell.split()).casefold() for cell in header]
    found = {}
    for field, name in wanted.items():
        indexes = [i for i, cell in enumerate(cells) if cell == name]
        if len(indexes) > 1:
            raise StatementError(f"The header has the column {name!r} twice.")
        if indexes:
            found[field] = indexes[0]
    missing = [wanted[field] for field in REQUIRED if field not in found]
    if missing:
        raise StatementError(
            f"The header has no {' or '.join(repr(m) for m in missing)} "
            "column (set date_column or amount_column if your bank names "
            "them otherwise)."
        )
    return found


class _Chunks(io.RawIOBase):
    """A stream of byte chunks read as a binary file, one chunk at a time."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        """A stream to read."""
        return True

    def readinto(self, buffer: memoryview) -> int:
        """Fills the buffer from the current chunk (0 at the end)."""
        while not self._pending:
            self._pending = next(self._chunks, None)
            if self._pending is None:
                self._pending = b""
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    r"""Decodes chunks of UTF-8 and yields lines with their endings.

    Lines end at ``\n``, ``\r\n`` or ``\r`` only (``newline=""``, what
    ``csv`` expects), never at the other Unicode line breaks that may sit
    in a description.

    Raises:
        StatementError: A line over :data:`MAX_LINE_CHARACTERS`.
    """
    text = io.TextIOWrapper(
        io.BufferedReader(_Chunks(chunks)), encoding="utf-8-sig", newline=""
    )
    for number, line in enumerate(text, start=1):
        if len(line) > MAX_LINE_CHARACTERS:
            raise StatementError(
                f"Line {number} is over {MAX_LINE_CHARACTERS:,} characters."
            )
        yield line


def rows(
    chunks: Iterable[bytes], *, delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """Yields each non-blank row of a CSV stream with its line number.

    The line is that of the row's end (a quoted field may span lines);
    the header is the first row yielded.

    Raises:
        StatementError: The text is not UTF-8 or not CSV (an unclosed
            quote at the end, a line or a field over its limit).
    """
    reader = csv.reader(_lines(chunks), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield reader.line_num, row
    except csv.Error as error:
        raise StatementError(f"Line {reader.line_num}: {error}.") from error
    except UnicodeDecodeError as error:
        raise StatementError("The file is not UTF-8 text.") from error


@dataclasses.dataclass(frozen=True)
class Record:
    """A row read: a dated credit or withdrawal, not yet applied.

    Attributes:
        line: Its line in the file.
        kind: ``credit`` (income) or ``withdrawal`` (expense).
        amount: Minor units, > 0.
        currency: Its currency.
        effective_at: When it happened (not after the file was read).
        description: Its note.
        label: The source of a credit or the category of a withdrawal,
            normalised; ``""`` for none.
        reference: The bank's id of the row, ``""`` for none.
    """

    line: int
    kind: str
    amount: int
    currency: str
    effective_at: dt.datetime
    description: str
    label: str
    reference: str

    def _digest(self, *parts: str) -> str:
        """Returns a digest of the row's money and of ``parts``.

        JSON, so that no separator inside a description can forge another
        row's digest.
        """
        text = json.dumps(
            [
                timeparse.format_instant(self.effective_at),
                self.kind,
                self.amount,
                self.currency,
                *parts,
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def content_key(self) -> str:
        """Returns a digest of what the row says (not where it is)."""
        return self._digest(self.description, self.label)

    def fingerprint(self, rank: int) -> str:
        """Returns the name of this row for every import of the holder.

        A row with a bank reference is that reference on that day, for
        that amount (a bank that numbers rows per statement reuses its
        references); one without is its content and its rank.

        Args:
            rank: 1 for the first row of its file with this content, 2 for
                the next one, ...
        """
        if self.reference:
            return f"ref:{self._digest(self.reference)}"
        return f"row:{self.content_key()}:{rank}"


def _cell(row: list[str], columns: dict[str, int], field: str) -> str:
    """Returns a field's cell, trimmed; ``""`` without the column."""
    index = columns.get(field)
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _amount(text: str, currency: str) -> tuple[str, int]:
    """Returns ``(kind, minor units)`` of a signed amount.

    The sign says the kind; what follows it is an amount by the rule of
    every amount (``config.money``).
    """
    kind, unsigned = CREDIT, text.removeprefix("+")
    if text.startswith("-"):
        kind, unsigned = WITHDRAWAL, text[1:]
    try:
        amount = money.parse_decimal(unsigned)
    except money.MoneyError as error:
        raise RowRefused(
            error.code,
            f"The amount {text[:40]!r} is not a decimal such as 100.00 or "
            "-12.50 (nor zero).",
        ) from error
    try:
        return kind, money.to_minor(amount, currency)
    except money.MoneyError as error:
        raise RowRefused(error.code, str(error)) from error


def record_read(
    line: int,
    row: list[str],
    *,
    columns: dict[str, int],
    currency: str,
    now: dt.datetime,
) -> Record:
    """Reads one data row into a record, or says why it cannot be applied.

    Args:
        line: The row's line.
        row: Its cells.
        columns: The header's mapping (:func:`columns_read`).
        currency: The import's currency, for a row without one.
        now: Dates after this are in the future.

    Returns:
        The record.

    Raises:
        RowRefused: The first thing wrong with the row.
    """
    given = _cell(row, columns, CURRENCY)
    if given:
        try:
            currency = money.parse_currency(given)
        except money.MoneyError as error:
            raise RowRefused(error.code, str(error)) from error
    try:
        effective_at = timeparse.parse_instant(_cell(row, columns, DATE))
    except timeparse.InstantError as error:
        raise RowRefused(Code.INVALID_DATETIME, str(error)) from error
    if effective_at > now:
        raise RowRefused(Code.VALIDATION_ERROR, "The date is in the future.")
    kind, amount = _amount(_cell(row, columns, AMOUNT), currency)
    description = _cell(row, columns, DESCRIPTION)
    if len(description) > bounds.DESCRIPTION_MAX_LENGTH:
        raise RowRefused(
            Code.VALIDATION_ERROR,
            f"The description is over {bounds.DESCRIPTION_MAX_LENGTH} "
            "characters.",
        )
    try:
        label = labels.parse(
            _cell(row, columns, SOURCE if kind == CREDIT else CATEGORY)
        )
    except labels.LabelError as error:
        raise RowRefused(Code.VALIDATION_ERROR, str(error)) from error
    reference = _cell(row, columns, REFERENCE)
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise RowRefused(
            Code.VALIDATION_ERROR,
            f"The reference is over {REFERENCE_MAX_LENGTH} characters.",
        )
    return Record(
        line=line,
        kind=kind,
        amount=amount,
        currency=currency,
        effective_at=effective_at,
        description=description,
        label=label,
        reference=reference,
    )
