"""A holder's statement as documents: CSV (streamed) and PDF (fpdf2).

The figures are :func:`accounting.selectors.statement_get`'s; this module
only lays them out. Money is in major units with its currency, instants in
ISO 8601 (UTC, seconds, offset), in both formats alike.

The PDF is real text (a reader can search and copy it) in the PDF core
font Helvetica, which every reader has, so no font file ships with the
project. That font covers Latin-1 (Western European text): any other
character of a name or a description is shown as ``?`` in the PDF, and
kept in the CSV.
"""

from collections.abc import Iterator
from operator import itemgetter

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from accounting import selectors
from config import exports, money

# The statement's CSV: one row per opening, entry and closing.
CSV_HEADERS = [
    "currency",
    "account",
    "row",
    "occurred_at",
    "effective_at",
    "transaction",
    "kind",
    "description",
    "amount",
    "balance",
]
CSV_COLUMNS = [
    exports.Column(header, itemgetter(index))
    for index, header in enumerate(CSV_HEADERS)
]


def statement_rows(statement: selectors.Statement) -> Iterator[tuple]:
    """Yields the rows of the statement's CSV (:data:`CSV_COLUMNS`).

    Entries are read by server-side cursor, a chunk at a time.
    """
    for wallet in statement.wallets:
        currency, kind = wallet.account.currency, wallet.account.kind
        blank = [None] * 5
        yield (
            currency,
            kind,
            "opening",
            statement.start,
            *blank,
            money.format_amount(wallet.opening, currency),
        )
        for entry in wallet.entries.iterator(chunk_size=exports.CHUNK_SIZE):
            transaction = entry.transaction
            yield (
                currency,
                kind,
                "entry",
                entry.occurred_at,
                transaction.effective_at,
                transaction.id,
                transaction.kind,
                transaction.description,
                money.format_amount(entry.amount, currency),
                money.format_amount(entry.balance_after, currency),
            )
        yield (
            currency,
            kind,
            "closing",
            statement.end,
            *blank,
            money.format_amount(wallet.closing, currency),
        )


def _latin1(text: str) -> str:
    """What the core font can draw: other characters become ``?``."""
    return text.encode("latin-1", "replace").decode("latin-1")


class _Document(FPDF):
    """An A4 page with the statement's columns, numbered at the foot."""

    # Booked, kind, description, amount, balance: 180 mm between margins.
    WIDTHS = (44, 28, 52, 28, 28)
    LINE = 5

    def footer(self) -> None:
        """The page number, on every page."""
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, self.LINE, f"Page {self.page_no()}", align="C")

    def line_of(self, cells: list[str], bold: bool = False) -> None:
        """Writes one row of the table; amounts aligned right."""
        self.set_font("Helvetica", style="B" if bold else "", size=8)
        for index, (width, text) in enumerate(
            zip(self.WIDTHS, cells, strict=True)
        ):
            align = "R" if index >= 3 else "L"
            shown = self.fitted(_latin1(text), width - 1)
            self.cell(width, self.LINE, shown, align=align)
        self.ln(self.LINE)

    def fitted(self, text: str, width: float) -> str:
        """Cuts a text to a width, ending a cut one with ``...``."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "...") > width:
            text = text[:-1]
        return text + "..."

    def text_line(self, text: str, size: int = 9, bold: bool = False) -> None:
        """Writes a line of text across the page."""
        self.set_font("Helvetica", style="B" if bold else "", size=size)
        self.cell(
            0, self.LINE + 1, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )


def statement_pdf(statement: selectors.Statement) -> bytes:
    """Returns the statement as a PDF document.

    Args:
        statement: The statement, whose entries are read here.

    Returns:
        The PDF's bytes.
    """
    holder = statement.holder
    document = _Document(format="A4")
    document.set_margins(15, 15, 15)
    document.set_auto_page_break(auto=True, margin=18)
    document.set_title("Statement")
    document.set_author("Savings platform")
    document.add_page()
    document.text_line("Statement", size=16, bold=True)
    name = f"{holder.first_name} {holder.last_name}".strip()
    document.text_line(f"{name} <{holder.email}>" if name else holder.email)
    document.text_line(f"Holder {holder.user_id}")
    document.text_line(
        f"From {exports.instant(statement.start)} (included) to "
        f"{exports.instant(statement.end)} (excluded), by booking time"
    )
    document.text_line(f"Made {exports.instant(timezone.now())}", size=8)
    for wallet in statement.wallets:
        account = wallet.account
        currency = account.currency

        def amount(minor: int, currency: str = currency) -> str:
            """``25.00 USD``: the PDF has no currency column."""
            return f"{money.format_amount(minor, currency)} {currency}"

        document.ln(4)
        document.text_line(
            f"{currency} {account.kind} account ({account.id})", bold=True
        )
        document.line_of(
            ["Booked", "Kind", "Description", "Amount", "Balance"], bold=True
        )
        document.line_of(
            [
                exports.instant(statement.start),
                "opening",
                "",
                "",
                amount(wallet.opening),
            ]
        )
        for entry in wallet.entries.iterator(chunk_size=exports.CHUNK_SIZE):
            transaction = entry.transaction
            document.line_of(
                [
                    exports.instant(entry.occurred_at),
                    transaction.kind,
                    transaction.description,
                    amount(entry.amount),
                    amount(entry.balance_after),
                ]
            )
        document.line_of(
            [
                exports.instant(statement.end),
                "closing",
                "",
                "",
                amount(wallet.closing),
            ],
            bold=True,
        )
    return bytes(document.output())
