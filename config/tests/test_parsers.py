import decimal
import io

import pytest
from rest_framework.exceptions import ParseError

from config import money
from config.parsers import MAX_DEPTH, DecimalJSONParser
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


def test_the_same_key_twice_is_malformed():
    with pytest.raises(ParseError, match="'amount' appears twice"):
        parse(b'{"amount": "1.00", "note": "a", "amount": "2.00"}')
    with pytest.raises(ParseError, match="'b' appears twice"):
        parse(b'[{"a": {"b": 1, "b": 1}}]')


def test_nesting_up_to_the_limit_is_accepted_beyond_it_malformed():
    def nested(depth: int) -> bytes:
        return b'{"a": ' * (depth - 1) + b"[]" + b"}" * (depth - 1)

    assert parse(nested(MAX_DEPTH))
    with pytest.raises(ParseError, match=f"deeper than {MAX_DEPTH}"):
        parse(nested(MAX_DEPTH + 1))
    with pytest.raises(ParseError, match=f"deeper than {MAX_DEPTH}"):
        parse(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


def test_nesting_that_exhausts_the_decoder_is_malformed_not_a_crash():
    with pytest.raises(ParseError, match=f"deeper than {MAX_DEPTH}"):
        parse(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"kind": "\\ud800"}',
        b'{"\\udfff": 1}',
        b'["ok", ["\\udc00x"]]',
        b'"\\ud83d"',
    ],
)
def test_lone_surrogates_are_malformed(raw):
    with pytest.raises(ParseError, match="lone surrogate"):
        parse(raw)


def test_surrogate_pairs_are_characters_and_accepted():
    assert parse(b'{"note": "\\ud83d\\ude00"}') == {"note": "\U0001f600"}
