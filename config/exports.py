"""CSV exports of admin lists: what the filters show, streamed.

Any model admin of either back office becomes exportable with
:class:`CsvExportMixin` and a list of :class:`Column`: its list page gets
an "Export CSV" link that carries the page's query string to
``<list>/export.csv``. The export reads the rows of the list's own
``ChangeList`` (filters, search, date drill-down and ordering are the
page's, never written twice) through a server-side cursor, in chunks of
:data:`CHUNK_SIZE`, and streams them: a million rows cost the memory of a
chunk, not of the table.

Cells are written for spreadsheets: money in major units beside its
currency (``25.00``, ``25`` in JPY), instants in ISO 8601 with seconds
and offset, and any text that a spreadsheet would run as a formula (it
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
neutralised with a leading ``'`` (OWASP's advice for CSV injection).
Plain numbers, negative ones included, are left as numbers.
"""

import csv
import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import path, reverse
from django.utils import timezone

from config import money

# Rows read per round trip of the server-side cursor, and written per
# chunk of the response.
CHUNK_SIZE = 2000

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

# What a spreadsheet reads as the start of a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"\A-?[0-9]+(\.[0-9]+)?\Z")


def instant(value: dt.datetime) -> str:
    """Formats an instant as ISO 8601 with seconds and offset, in UTC."""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def cell(value: Any) -> str:
    """Returns a value as a CSV cell a spreadsheet will not run.

    Args:
        value: Anything a column returns; ``None`` is an empty cell.

    Returns:
        The text of the cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return instant(value)
    text = str(value)
    if text.startswith(_FORMULA_STARTS) and not _NUMBER.match(text):
        return "'" + text
    return text


@dataclasses.dataclass(frozen=True)
class Column:
    """A column of an export.

    Attributes:
        header: Its heading.
        value: Its value from a row.
        fields: What ``value`` reads, for a list's export: the model's
            fields or related fields (``holder__email``), which the rows
            are dicts of (``QuerySet.values``: no model instance is built
            for a row, and only these columns are fetched).
    """

    header: str
    value: Callable[[Any], Any]
    fields: tuple[str, ...] = ()


def field(lookup: str, header: str = "") -> Column:
    """A column of a field or a related field (``holder__email``).

    Args:
        lookup: The field's name or lookup path from the model.
        header: The heading; the lookup by default.
    """
    return Column(header or lookup, itemgetter(lookup), (lookup,))


def money_field(
    lookup: str, currency: str = "currency", header: str = ""
) -> Column:
    """A column of minor units written in major units (``25.00``).

    Args:
        lookup: The field of the minor units.
        currency: The field of the amount's currency, which the export
            should also show as a column of its own.
        header: The heading; the lookup by default.
    """

    def value(row: dict) -> str | None:
        minor = row[lookup]
        return (
            None if minor is None else money.format_amount(minor, row[currency])
        )

    return Column(header or lookup, value, (lookup, currency))


def csv_lines(columns: list[Column], rows: Iterable[Any]) -> Iterator[str]:
    """Yields a CSV document: its heading, then rows by :data:`CHUNK_SIZE`.

    Args:
        columns: The columns, in order.
        rows: The rows, read as they are yielded.

    Yields:
        Pieces of the document (RFC 4180: CRLF line ends).
    """
    lines = _Lines()
    writer = csv.writer(lines)
    writer.writerow([column.header for column in columns])
    # At once: the download starts before the query has answered.
    yield lines.take()
    for row in rows:
        writer.writerow([cell(column.value(row)) for column in columns])
        if len(lines.pending) >= CHUNK_SIZE:
            yield lines.take()
    yield lines.take()


class _Lines:
    """A file for ``csv.writer`` that keeps what it is given."""

    def __init__(self) -> None:
        self.pending: list[str] = []

    def write(self, text: str) -> None:
        """Keeps one written line."""
        self.pending.append(text)

    def take(self) -> str:
        """Returns the lines kept so far and forgets them."""
        text, self.pending = "".join(self.pending), []
        return text


def filename(stem: str, extension: str) -> str:
    """A download's name: its subject and the instant it was made."""
    return f"{stem}-{timezone.now():%Y%m%dT%H%M%SZ}.{extension}"


def csv_response(
    columns: list[Column], rows: Iterable[Any], name: str
) -> StreamingHttpResponse:
    """Streams rows as a CSV attachment named ``name``."""
    response = StreamingHttpResponse(
        csv_lines(columns, rows), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class CsvExportMixin:
    """Adds "Export CSV" to a model admin's list: the rows it shows.

    Set ``export_columns`` (a list of :class:`Column` whose ``fields``
    name what they read: the rows are dicts). The export needs
    the model's view permission, and follows the list's query string:
    what the filters, the search, the date drill-down and the ordering
    select, every page of it.
    """

    export_columns: list[Column] = []
    change_list_template = "admin/tools/change_list.html"

    def _export_url_name(self) -> str:
        meta = self.model._meta
        return f"{meta.app_label}_{meta.model_name}_export"

    def get_urls(self) -> list:
        """The list's URLs, and ``export.csv`` beside the list."""
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_view),
            name=self._export_url_name(),
        )
        return [export, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        """The list, with an export link that keeps its query string."""
        url = reverse(f"admin:{self._export_url_name()}")
        query = request.GET.urlencode()
        tools = [("Export CSV", f"{url}?{query}" if query else url)]
        context = {"extra_object_tools": tools, **(extra_context or {})}
        return super().changelist_view(request, context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """Streams the rows the list shows for this query string.

        Raises:
            PermissionDenied: The user may not view the model.
        """
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # What the list itself does with a filter it cannot apply.
            url = reverse(
                f"admin:{self.model._meta.app_label}_"
                f"{self.model._meta.model_name}_changelist"
            )
            return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")
        # Each field once, in order: what the columns read, and no more.
        fields = dict.fromkeys(
            name for column in self.export_columns for name in column.fields
        )
        rows = changelist.queryset.values(*fields).iterator(
            chunk_size=CHUNK_SIZE
        )
        meta = self.model._meta
        return csv_response(
            self.export_columns,
            rows,
            filename(f"{meta.app_label}-{meta.model_name}", "csv"),
        )
