"""Money on the wire: exact decimal strings in, integer minor units inside.

Amounts are stored as integers in the currency's minor unit (cents for USD,
yen for JPY) and travel as decimal strings in the currency's precision
(``"100.50"``, ``"100"``). Parsing never goes through a float: a JSON number
arrives here as a :class:`~decimal.Decimal` (see ``config.parsers``).
"""

import decimal
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# ISO 4217 minor-unit exponents of the currencies a deployment may enable.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "CZK": 2, "DKK": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "INR": 2,
    "ISK": 0, "JPY": 0, "KES": 2, "KRW": 0, "KWD": 3, "MXN": 2, "NGN": 2,
    "NOK": 2, "NZD": 2, "PLN": 2, "SEK": 2, "SGD": 2, "TRY": 2, "USD": 2,
    "ZAR": 2,
}  # fmt: skip

MAX_MAJOR_UNITS = 1_000_000_000
_DECIMAL_STRING = re.compile(r"\A[0-9]{1,20}(\.[0-9]{1,20})?\Z")


class ScientificNumber(decimal.Decimal):
    """A JSON number written with an exponent (``1e3``, ``1.5E1``).

    ``config.parsers`` keeps the notation visible so that amounts refuse it
    whatever its value, as they refuse the string ``"1e3"``.
    """


class MoneyError(ValueError):
    """An amount or currency that cannot be accepted.

    Attributes:
        code: ``invalid_amount`` or ``unsupported_currency``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def supported_currencies() -> list[str]:
    """Returns the currencies this deployment accepts, in settings order."""
    return list(settings.SUPPORTED_CURRENCIES)


def exponent(currency: str) -> int:
    """Returns the number of minor-unit digits of a currency."""
    return CURRENCY_EXPONENTS[currency]


def parse_currency(value: Any) -> str:
    """Validates a currency code against the supported list.

    Args:
        value: The code as sent; case is ignored.

    Returns:
        The upper-case ISO 4217 code.

    Raises:
        MoneyError: The code is not a supported currency.
    """
    code = value.upper() if isinstance(value, str) else None
    if code not in settings.SUPPORTED_CURRENCIES:
        raise MoneyError(
            "unsupported_currency",
            f"Unsupported currency {value!r}; supported: "
            f"{', '.join(settings.SUPPORTED_CURRENCIES)}.",
        )
    return code


def _repeat(atom: str, least: int, most: int) -> str:
    """Returns ``atom`` repeated ``least`` to ``most`` times, as a regex."""
    if most == 0:
        return ""
    if least == most:
        return atom if most == 1 else f"{atom}{{{most}}}"
    return f"{atom}{{{least},{most}}}"


def amount_pattern(places: int) -> str:
    """Returns the regex of the amount strings a currency accepts.

    What :func:`parse_decimal` then :func:`to_minor` accept from a string,
    written as a regular expression for OpenAPI schemas: up to 20 digits
    (leading zeros included) and ``places`` decimals (trailing zeros
    included), above zero and at most :data:`MAX_MAJOR_UNITS`. A client
    generating strings from the schema then only sends amounts that are
    accepted, and every other string is refused.

    Args:
        places: The currency's decimal places (:func:`exponent`).

    Returns:
        An anchored regex without look-arounds (JSON Schema's dialect).
    """
    top = str(MAX_MAJOR_UNITS)
    fraction = f"(\\.{_repeat('[0-9]', 1, places)})?" if places else ""
    # From 1 up to the maximum (excluded), by number of significant digits,
    # after as many leading zeros as keep the whole part at 20 digits.
    alternatives = [
        _repeat("0", 0, 20 - digits)
        + "[1-9]"
        + _repeat("[0-9]", digits - 1, digits - 1)
        + fraction
        for digits in range(1, len(top))
    ]
    alternatives.append(
        _repeat("0", 0, 20 - len(top))
        + top
        + (f"(\\.{_repeat('0', 1, places)})?" if places else "")
    )
    # Below 1: a fraction with a non-zero digit after its leading zeros.
    alternatives += [
        "0{1,20}\\."
        + _repeat("0", zeros, zeros)
        + "[1-9]"
        + _repeat("[0-9]", 0, places - zeros - 1)
        for zeros in range(places)
    ]
    return f"^({'|'.join(alternatives)})$"


def parse_decimal(value: Any) -> decimal.Decimal:
    """Parses a positive amount sent as a decimal string or a JSON number.

    Args:
        value: A string such as ``"100.50"`` or a Decimal or int from JSON.

    Returns:
        The exact decimal value.

    Raises:
        MoneyError: The value is not a plain positive decimal (exponents,
            signs, NaN, infinities and booleans are refused).
    """
    if isinstance(value, str):
        if not _DECIMAL_STRING.match(value):
            raise MoneyError(
                "invalid_amount",
                'An amount is a plain decimal such as "100.50".',
            )
        amount = decimal.Decimal(value)
    elif isinstance(value, int | decimal.Decimal) and not isinstance(
        value, bool
    ):
        amount = decimal.Decimal(value)
        if (
            isinstance(value, ScientificNumber)
            or not amount.is_finite()
            or amount.as_tuple().exponent > 0
        ):
            raise MoneyError(
                "invalid_amount",
                'An amount is a plain decimal such as "100.50".',
            )
    else:
        raise MoneyError(
            "invalid_amount", "An amount is a decimal string or a number."
        )
    if amount <= 0:
        raise MoneyError("invalid_amount", "An amount must be above zero.")
    return amount


def check_maximum(amount: decimal.Decimal, currency: str = "") -> None:
    """Refuses an amount above the per-operation maximum.

    Args:
        amount: A positive decimal.
        currency: Its currency, named in the message; empty when only
            another service knows it (a goal's, a group's).

    Raises:
        MoneyError: ``invalid_amount``: above :data:`MAX_MAJOR_UNITS`.
    """
    if amount > MAX_MAJOR_UNITS:
        unit = f" {currency}" if currency else ""
        raise MoneyError(
            "invalid_amount", f"An amount is at most {MAX_MAJOR_UNITS:,}{unit}."
        )


def to_minor(amount: decimal.Decimal, currency: str) -> int:
    """Converts an exact amount to integer minor units of a currency.

    Args:
        amount: A positive decimal, as returned by :func:`parse_decimal`.
        currency: A supported currency code.

    Returns:
        The amount in minor units.

    Raises:
        MoneyError: Too many decimal places for the currency, or more than
            the per-operation maximum.
    """
    places = exponent(currency)
    if -amount.as_tuple().exponent > places:
        raise MoneyError(
            "invalid_amount",
            f"{currency} amounts have at most {places} decimal places.",
        )
    check_maximum(amount, currency)
    return int(amount.scaleb(places))


def format_amount(minor: int, currency: str) -> str:
    """Formats minor units as a decimal string in the currency's precision.

    Args:
        minor: An amount in minor units; may be negative.
        currency: A currency code.

    Returns:
        The amount such as ``"100.50"`` (USD) or ``"100"`` (JPY).
    """
    places = exponent(currency)
    return f"{decimal.Decimal(minor).scaleb(-places):.{places}f}"


def parse_limits(
    raw: Mapping[str, str], currencies: list[str]
) -> dict[str, decimal.Decimal]:
    """Parses per-currency limits of the configuration (major units).

    Read while settings load, so it reads no setting itself.

    Args:
        raw: ``{"USD": "1000", "JPY": "150000"}``, as the environment says.
        currencies: The supported currencies.

    Returns:
        Each currency's limit, exactly.

    Raises:
        ImproperlyConfigured: An unknown currency, or not a plain amount.
    """
    limits = {}
    for currency, value in raw.items():
        amount = (
            decimal.Decimal(value) if _DECIMAL_STRING.match(value) else None
        )
        if (
            currency not in currencies
            or amount is None
            or amount > MAX_MAJOR_UNITS
            or -amount.as_tuple().exponent > CURRENCY_EXPONENTS[currency]
        ):
            raise ImproperlyConfigured(
                f"{currency}={value!r}: a supported currency and an amount "
                "in its units, such as 1000 or 1000.50, are expected."
            )
        limits[currency] = amount
    return limits


def format_money(minor: int, currency: str) -> str:
    """Formats minor units for people: the amount and its currency.

    What staff read in both admins (``25.00 USD``, ``-3.10 EUR``,
    ``1500 JPY``), never the ``2500`` the ledger stores.

    Args:
        minor: An amount in minor units; may be negative.
        currency: A currency code.

    Returns:
        The amount in the currency's precision, a space, the code.
    """
    return f"{format_amount(minor, currency)} {currency}"
