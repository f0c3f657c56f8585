"""A holder's statement for a period: opening, every entry, closing.

Per wallet account (main and savings, in each currency the holder has),
the balance before the period, the entries of the period in the order the
ledger booked them, and the balance at its end. The period is half-open,
``[start, end)`` on ``occurred_at``, the ledger's clock (decision 14): an
entry booked exactly at ``start`` is in it, one booked exactly at ``end``
is in the next, so back-to-back statements (November, then December)
share no entry and miss none, and the closing of one is the opening of
the next.

The two figures are the as-of balances of decision 2
(:func:`accounting.selectors.balance_at`), read just before each bound:
the database keeps microseconds, so "at or before ``end`` minus one
microsecond" is "before ``end``". Because a movement takes its
``occurred_at`` after it has locked its accounts, each account's entries
are in the same order by time as by ``sequence``, and
``opening + sum(entries) == closing`` holds for every account.

The public history (``GET /transactions``) lists transactions by
``effective_at``, the holder's clock, which a dated record may put in an
earlier period than its booking; a statement must add up to the balances
staff and the API show as of an instant, so it follows the booking.
"""

import dataclasses
import datetime as dt

from django.db.models import QuerySet

from accounting import errors, models
from accounting.selectors.accounts import balance_at
from config import ranges

# The finest step of a stored instant.
_RESOLUTION = dt.timedelta(microseconds=1)


@dataclasses.dataclass(frozen=True)
class WalletStatement:
    """One wallet account over the period (amounts in minor units).

    Attributes:
        account: The account (main or savings).
        opening: Its balance before the period.
        closing: Its balance at the end of the period.
        entries: Its entries in the period, booking order, with their
            transaction (a query: read it once, or by ``iterator``).
    """

    account: models.Account
    opening: int
    closing: int
    entries: QuerySet[models.Entry]


@dataclasses.dataclass(frozen=True)
class Statement:
    """A holder's statement: the period and one part per wallet account."""

    holder: models.Holder
    start: dt.datetime
    end: dt.datetime
    wallets: list[WalletStatement]


def statement_get(
    *, holder: models.Holder, start: dt.datetime, end: dt.datetime
) -> Statement:
    """Returns a holder's statement for ``[start, end)``.

    Args:
        holder: The holder.
        start: The first instant of the period (included).
        end: The instant the period ends (excluded).

    Returns:
        The statement; a wallet with no entry in the period is there too,
        its opening equal to its closing.

    Raises:
        InvalidRangeError: ``start`` is after ``end``.
    """
    if not ranges.ordered(start, end):
        raise errors.InvalidRangeError()
    accounts = models.Account.objects.filter(
        holder=holder, kind__in=models.Account.CUSTOMER_KINDS
    ).order_by("currency", "kind")
    wallets, balances = [], {}
    for account in accounts:
        currency = account.currency
        if currency not in balances:
            balances[currency] = (
                balance_at(
                    holder=holder, currency=currency, at=start - _RESOLUTION
                ),
                balance_at(
                    holder=holder, currency=currency, at=end - _RESOLUTION
                ),
            )
        opening, closing = balances[currency]
        entries = (
            models.Entry.objects.filter(
                account=account, occurred_at__gte=start, occurred_at__lt=end
            )
            .select_related("transaction")
            .order_by("occurred_at", "sequence")
        )
        wallets.append(
            WalletStatement(
                account=account,
                opening=getattr(opening, account.kind),
                closing=getattr(closing, account.kind),
                entries=entries,
            )
        )
    return Statement(holder=holder, start=start, end=end, wallets=wallets)
