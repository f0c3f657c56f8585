"""FX rates: the one valid at an instant, and publishing a new one.

A conversion at instant T applies the pair's rate with the newest
``valid_from <= T`` (:func:`rate_use`) and keeps it (``rate_id``,
``fx_rate``). Rates are history: a correction is a newer rate, and a new
rate may not start at or before the pair's latest conversion, since that
conversion would then no longer show the rate valid at its instant
(:func:`rate_create` refuses it, whoever calls).

Why a lock per pair. A conversion takes its instant, reads the pair's
rates and commits some time later; a rate is published by another
transaction. Under READ COMMITTED neither sees the other's uncommitted
row: a conversion could read the rates just before a rate starting before
its instant commits, and the rate's check could run just before that
conversion commits. Both would pass and history would be wrong, even for a
rate valid "now" (its instant is taken before the conversion's). So on
PostgreSQL a conversion holds the pair's advisory lock shared from before
it reads the rates until it commits, and publishing a rate holds it
exclusively from before its check until it commits:

- a conversion that held the pair first has committed when the check
  reads the journal, and is seen;
- a conversion that comes second reads the rates after the new one
  committed, and applies it if it started at or before its instant.

Conversions of a pair never wait for each other (the lock is shared), nor
for anything but a rate being published for that pair. On SQLite (the
embedded default) writers run one at a time, which serialises them anyway.
"""

import datetime as dt
import decimal
import hashlib

from django.db import connection, transaction
from django.utils import timezone

from accounting import errors, models
from accounting.services.guards import check_distinct_currencies
from config import money
from config.problems import Code

# The advisory-lock class of rate pairs: pairs are locked with the two-key
# form of the lock functions, a key space apart from the single 64-bit
# keys of idempotency (config/idempotency/fingerprints.py).
_PAIR_LOCK_CLASS = int.from_bytes(b"RATE", "big")
# What ``Rate.rate`` (numeric(24, 10)) stores without rounding.
_RATE_PLACES = 10
_RATE_LIMIT = decimal.Decimal(10) ** (24 - _RATE_PLACES)


def _pair_lock(*, base: str, quote: str, shared: bool) -> None:
    """Holds a pair's advisory lock until the transaction ends.

    Shared for a conversion that applies the pair's rate, exclusive to
    publish a rate. Nothing is read back: in a movement's pipeline the
    statement leaves at once, and the next read waits for the lock.
    """
    # SQLite (the embedded default) has no advisory locks: it serialises
    # writers instead. `make smoke` converts on SQLite; coverage counts the
    # unit runs, which are on PostgreSQL.
    if connection.vendor != "postgresql":  # pragma: no cover (see above)
        return
    digest = hashlib.blake2b(f"{base}/{quote}".encode(), digest_size=4)
    key = int.from_bytes(digest.digest(), "big", signed=True)
    function = "pg_advisory_xact_lock" + ("_shared" if shared else "")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [_PAIR_LOCK_CLASS, key])


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


def rate_use(*, base: str, quote: str, at: dt.datetime) -> models.Rate:
    """Returns the rate a conversion at ``at`` applies, holding the pair.

    Called in the conversion's transaction: until it ends, no rate of the
    pair can be published (see the module's docstring).

    Raises:
        RateUnavailableError: No rate for the pair starts at or before it.
    """
    _pair_lock(base=base, quote=quote, shared=True)
    return rate_at(base=base, quote=quote, at=at)


def _last_conversion_at(
    *, base: str, quote: str, since: dt.datetime
) -> dt.datetime | None:
    """Returns the instant of the pair's latest conversion at or after."""
    return (
        models.Transaction.objects.filter(
            rate__base=base, rate__quote=quote, occurred_at__gte=since
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def rate_validate(
    *,
    base: str,
    quote: str,
    rate: decimal.Decimal,
    valid_from: dt.datetime | None,
) -> None:
    """Checks a new rate against its rules and the pair's conversions.

    Writes nothing: :func:`rate_create` calls it, and a form calls it to
    show an error on its field before publishing. It holds the pair
    exclusively until the caller's transaction ends, so a
    :func:`rate_create` later in that transaction (the admin's form and
    save run in one) finds the journal as checked here.

    Args:
        base: The currency sold.
        quote: Another currency, bought.
        rate: Units of ``quote`` per unit of ``base``: above zero, at
            most 10 decimal places, below 10**14.
        valid_from: From when conversions use it; None for the moment of
            publishing, which no conversion can precede.

    Raises:
        SameCurrencyError: ``base`` equals ``quote``.
        RateInvalidError: An unsupported currency
            (``unsupported_currency``), a rate out of range, or a rate of
            the pair from the same instant.
        RateBackdatedError: A conversion of the pair happened at or after
            ``valid_from``.
    """
    check_distinct_currencies(
        from_currency=base,
        to_currency=quote,
        detail="A rate's quote currency must differ from its base.",
    )
    for field, currency in (("base", base), ("quote", quote)):
        if currency not in money.supported_currencies():
            raise errors.RateInvalidError(
                field,
                f"Unsupported currency {currency!r}.",
                code=Code.UNSUPPORTED_CURRENCY,
            )
    if (
        not rate.is_finite()
        or not 0 < rate < _RATE_LIMIT
        or -rate.normalize().as_tuple().exponent > _RATE_PLACES
    ):
        raise errors.RateInvalidError(
            "rate",
            f"A rate is above zero, below {_RATE_LIMIT:,}, with at most "
            f"{_RATE_PLACES} decimal places.",
        )
    _pair_lock(base=base, quote=quote, shared=False)
    if valid_from is None:
        return
    pair = models.Rate.objects.filter(base=base, quote=quote)
    if pair.filter(valid_from=valid_from).exists():
        raise errors.RateInvalidError(
            "valid_from",
            f"A {base}/{quote} rate from this instant already exists.",
        )
    last = _last_conversion_at(base=base, quote=quote, since=valid_from)
    if last is not None:
        raise errors.RateBackdatedError(
            f"A {base}/{quote} conversion at {last:%Y-%m-%d %H:%M:%S.%f} "
            "UTC used the rate valid then; a new rate must start after it."
        )


@transaction.atomic
def rate_create(
    *,
    base: str,
    quote: str,
    rate: decimal.Decimal,
    valid_from: dt.datetime | None = None,
    created_by: str = "",
) -> models.Rate:
    """Publishes a rate for a pair from an instant on.

    Rates are never edited: a correction is a newer rate, so conversions
    keep pointing at the rate they used.

    Args:
        base: The currency sold.
        quote: The currency bought.
        rate: Units of ``quote`` per unit of ``base``, > 0.
        valid_from: From when conversions use it; None (the default) for
            now, taken once the pair is held.
        created_by: Who published it (staff email).

    Returns:
        The rate, saved.

    Raises:
        SameCurrencyError, RateInvalidError, RateBackdatedError: See
            :func:`rate_validate` (nothing is written).
    """
    rate_validate(base=base, quote=quote, rate=rate, valid_from=valid_from)
    return models.Rate.objects.create(
        base=base,
        quote=quote,
        rate=rate,
        valid_from=valid_from or timezone.now(),
        created_by=created_by,
    )
