"""FX rates: the one valid at an instant, and publishing a new one."""

import datetime as dt
import decimal

from django.db import transaction

from accounting import errors, models
from accounting.services.guards import check_distinct_currencies


def rate_at(*, base: str, quote: str, at: dt.datetime) -> models.Rate:
    """Returns the pair's rate valid at an instant (newest ``valid_from``).

    Raises:
        RateUnavailableError: No rate for the pair starts at or before it.
    """
    rate = (
        models.Rate.objects.filter(base=base, quote=quote, valid_from__lte=at)
        .order_by("-valid_from")
        .first()
    )
    if rate is None:
        raise errors.RateUnavailableError(
            f"No {base}/{quote} rate is available."
        )
    return rate


@transaction.atomic
def rate_create(
    *,
    base: str,
    quote: str,
    rate: decimal.Decimal,
    valid_from: dt.datetime,
    created_by: str = "",
) -> models.Rate:
    """Publishes a rate for a pair from an instant on.

    Rates are never edited: a correction is a newer rate, so conversions
    keep pointing at the rate they used.

    Args:
        base: The currency sold.
        quote: The currency bought.
        rate: Units of ``quote`` per unit of ``base``, > 0.
        valid_from: From when conversions use it.
        created_by: Who published it (staff email).

    Returns:
        The rate, saved.

    Raises:
        SameCurrencyError: ``base`` equals ``quote``.
    """
    check_distinct_currencies(from_currency=base, to_currency=quote)
    return models.Rate.objects.create(
        base=base,
        quote=quote,
        rate=rate,
        valid_from=valid_from,
        created_by=created_by,
    )
