"""CSV cells a spreadsheet will not run, and documents written in chunks."""

import datetime as dt
import decimal
import zoneinfo

import pytest

from config import exports


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (0, "0"),
        (-2500, "-2500"),
        ("-25.00", "-25.00"),
        (decimal.Decimal("0.92"), "0.92"),
        ("plain text", "plain text"),
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-1+2", "'-1+2"),
        ("-", "'-"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("a=b", "a=b"),
    ],
)
def test_cells(value, text):
    assert exports.cell(value) == text


def test_instants_are_utc_with_seconds_and_offset():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    moment = dt.datetime(2026, 11, 2, 10, 30, 15, 999_999, tzinfo=paris)

    assert exports.cell(moment) == "2026-11-02T09:30:15+00:00"


def test_a_field_reads_its_lookup_from_a_row():
    email = exports.field("holder__email")

    assert email.header == "holder__email"
    assert email.fields == ("holder__email",)
    assert email.value({"holder__email": "a@b.c"}) == "a@b.c"
    assert exports.field("id", "key").header == "key"


def test_money_is_written_in_the_currencys_major_units():
    amount = exports.money_field("to_amount", currency="to_currency")

    assert amount.fields == ("to_amount", "to_currency")
    assert amount.value({"to_amount": -2500, "to_currency": "USD"}) == "-25.00"
    assert amount.value({"to_amount": 2500, "to_currency": "JPY"}) == "2500"
    assert amount.value({"to_amount": None, "to_currency": ""}) is None


def test_a_document_is_its_heading_then_chunks_of_rows(monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    columns = [
        exports.Column("n", lambda row: row),
        exports.Column("text", lambda row: f'={row}, "{row}"'),
    ]

    pieces = list(exports.csv_lines(columns, range(5)))

    assert pieces == [
        "n,text\r\n",
        '0,"\'=0, ""0"""\r\n1,"\'=1, ""1"""\r\n',
        '2,"\'=2, ""2"""\r\n3,"\'=3, ""3"""\r\n',
        '4,"\'=4, ""4"""\r\n',
    ]


def test_a_download_is_named_after_its_subject_and_instant():
    name = exports.filename("accounting-entry", "csv")

    assert name.startswith("accounting-entry-")
    assert name.endswith("Z.csv")
    assert len(name) == len("accounting-entry-20261102T093015Z.csv")
