import decimal
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given, settings
from hypothesis import strategies as st

from config import money

D = decimal.Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100.50", D("100.50")),
        ("0.01", D("0.01")),
        ("7", D("7")),
        (D("100.5"), D("100.5")),
        (12, D("12")),
    ],
)
def test_parse_decimal_accepts_plain_positive_decimals(value, expected):
    assert money.parse_decimal(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "1e3",
        "NaN",
        "Infinity",
        "-5",
        "+5",
        " 5",
        "5.",
        ".5",
        "abc",
        "",
        "1,000",
        D("NaN"),
        D("Infinity"),
        D("1E+3"),
        money.ScientificNumber("1.5e1"),
        money.ScientificNumber("1e-2"),
        money.ScientificNumber("1000e0"),
        True,
        None,
        [],
        1.5,
    ],
)
def test_parse_decimal_refuses_anything_else(value):
    with pytest.raises(money.MoneyError) as error:
        money.parse_decimal(value)
    assert error.value.code == "invalid_amount"


@pytest.mark.parametrize("value", ["0", "0.00", 0, D("-1"), D("0")])
def test_parse_decimal_refuses_zero_and_negative(value):
    with pytest.raises(money.MoneyError, match="above zero"):
        money.parse_decimal(value)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("100.50", "USD", 10050),
        ("100.5", "USD", 10050),
        ("100", "JPY", 100),
        ("1000000000", "USD", 100_000_000_000),
        ("0.01", "EUR", 1),
    ],
)
def test_to_minor_converts_exactly(amount, currency, minor):
    assert money.to_minor(D(amount), currency) == minor
    assert money.to_minor(money.parse_decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("1.005", "USD", "at most 2 decimal places"),
        ("1.5", "JPY", "at most 0 decimal places"),
        ("1000000000.01", "USD", "at most 1,000,000,000"),
    ],
)
def test_to_minor_refuses_precision_and_maximum(amount, currency, message):
    with pytest.raises(money.MoneyError, match=message) as error:
        money.to_minor(D(amount), currency)
    assert error.value.code == "invalid_amount"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (10050, "USD", "100.50"),
        (5, "USD", "0.05"),
        (-250, "EUR", "-2.50"),
        (100, "JPY", "100"),
        (0, "USD", "0.00"),
        (1, "KWD", "0.001"),
    ],
)
def test_format_amount_uses_the_currency_precision(minor, currency, text):
    assert money.format_amount(minor, currency) == text


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (2500, "USD", "25.00 USD"),
        (-310, "EUR", "-3.10 EUR"),
        (1500, "JPY", "1500 JPY"),
    ],
)
def test_format_money_names_the_currency(minor, currency, text):
    assert money.format_money(minor, currency) == text


def test_parse_currency_normalises_case(settings):
    settings.SUPPORTED_CURRENCIES = ["USD", "JPY"]
    assert money.parse_currency("usd") == "USD"
    assert money.supported_currencies() == ["USD", "JPY"]
    assert money.exponent("JPY") == 0


@pytest.mark.parametrize("value", ["XXX", "EUR", "", None, 840])
def test_parse_currency_refuses_unsupported(settings, value):
    settings.SUPPORTED_CURRENCIES = ["USD", "JPY"]
    with pytest.raises(money.MoneyError, match="supported: USD, JPY") as error:
        money.parse_currency(value)
    assert error.value.code == "unsupported_currency"


def test_every_default_currency_has_a_known_exponent(settings):
    for code in settings.SUPPORTED_CURRENCIES:
        assert code in money.CURRENCY_EXPONENTS


def accepts(text: str, currency: str) -> bool:
    """Whether an amount string is one the currency accepts."""
    try:
        money.to_minor(money.parse_decimal(text), currency)
    except money.MoneyError:
        return False
    return True


AMOUNT_TEXT = st.one_of(
    st.text(alphabet="0123456789.", max_size=25),
    st.from_regex(r"\A0{0,22}[0-9]{1,11}(\.[0-9]{0,4}0{0,3})?\Z"),
    st.builds(
        lambda number: f"{number:f}",
        st.decimals(
            min_value=0, max_value=2_000_000_000, places=3, allow_nan=False
        ),
    ),
)


@pytest.mark.parametrize("currency", ["JPY", "USD", "KWD"])
@settings(max_examples=400, database=None)
@given(text=AMOUNT_TEXT)
def test_amount_pattern_matches_exactly_the_accepted_strings(currency, text):
    """The schema's regex and the parser agree on every string.

    Zero, more than the maximum, more decimals than the currency has and
    more than 20 digits are refused by both; the rest accepted by both.
    """
    pattern = money.amount_pattern(money.exponent(currency))

    assert bool(re.fullmatch(pattern, text)) == accepts(text, currency)


@pytest.mark.parametrize(
    ("currency", "text", "accepted"),
    [
        ("USD", "1000000000.00", True),
        ("USD", "1000000000.01", False),
        ("USD", "0.01", True),
        ("USD", "0.00", False),
        ("USD", "00000000000000000001", True),
        ("USD", "000000000000000000001", False),
        ("JPY", "999999999", True),
        ("JPY", "1.0", False),
        ("KWD", "0.001", True),
        ("KWD", "0.0001", False),
    ],
)
def test_amount_pattern_edges(currency, text, accepted):
    pattern = money.amount_pattern(money.exponent(currency))

    assert (
        bool(re.fullmatch(pattern, text)) is accepted is accepts(text, currency)
    )


def test_the_maximum_names_the_currency_when_it_is_known():
    money.check_maximum(D(money.MAX_MAJOR_UNITS))

    with pytest.raises(money.MoneyError) as unnamed:
        money.check_maximum(D("1000000000.01"))
    with pytest.raises(money.MoneyError) as named:
        money.check_maximum(D("1000000000.01"), "USD")

    assert str(unnamed.value) == "An amount is at most 1,000,000,000."
    assert str(named.value) == "An amount is at most 1,000,000,000 USD."
    assert unnamed.value.code == named.value.code == "invalid_amount"


def test_parse_limits_reads_each_currency_exactly():
    assert money.parse_limits(
        {"USD": "1000.50", "JPY": "150000"}, ["USD", "JPY"]
    ) == {"USD": D("1000.50"), "JPY": D("150000")}


@pytest.mark.parametrize(
    "raw",
    [
        {"XXX": "10"},  # not supported
        {"USD": "ten"},
        {"USD": "-5"},
        {"USD": "1e3"},
        {"JPY": "10.5"},  # yen have no minor unit
        {"USD": "10.505"},
        {"USD": "1000000001"},  # above any single operation
    ],
)
def test_parse_limits_refuses_what_is_not_an_amount_of_its_currency(raw):
    with pytest.raises(ImproperlyConfigured, match="expected"):
        money.parse_limits(raw, ["USD", "JPY"])
