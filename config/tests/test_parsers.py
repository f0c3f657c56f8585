import decimal
import io

import pytest
from rest_framework.exceptions import ParseError

from config import money
from config.parsers import DecimalJSONParser
from config.problems import PayloadTooLargeError


def parse(raw: bytes, context=None):
    return DecimalJSONParser().parse(io.BytesIO(raw), None, context)


def test_numbers_are_exact_decimals_never_floats():
    data = parse(b'{"amount": 0.1, "count": 3, "big": 1e3, "small": 1.5E-1}')
    assert data["amount"] == decimal.Decimal("0.1")
    assert type(data["amount"]) is decimal.Decimal
    assert data["count"] == 3
    assert data["big"] == decimal.Decimal("1E+3")
    assert isinstance(data["big"], money.ScientificNumber)
    assert isinstance(data["small"], money.ScientificNumber)


@pytest.mark.parametrize(
    "raw", [b'{"amount": NaN}', b'{"amount": Infinity}', b"[-Infinity]"]
)
def test_non_standard_constants_are_malformed(raw):
    with pytest.raises(ParseError, match="not a valid JSON value"):
        parse(raw)


@pytest.mark.parametrize("raw", [b"{", b"", b"\xff\xfe", b"{'a': 1}"])
def test_malformed_bodies_are_refused(raw):
    with pytest.raises(ParseError, match="Malformed JSON"):
        parse(raw)


def test_the_declared_encoding_is_used():
    assert parse('{"name": "Zoë"}'.encode("latin-1"), {"encoding": "latin-1"})


def test_bodies_over_the_limit_are_refused(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    assert parse(b'{"a":1234}') == {"a": 1234}  # exactly 10 bytes
    with pytest.raises(PayloadTooLargeError):
        parse(b'{"a":12345}')
