"""What an answer is a function of: its entity tag, read cheaply.

The gateway keeps some answers and revalidates them on every request
(decision 15): it sends the tag it holds, and a current tag makes the
answer ``304`` without computing it. A tag must therefore change with
every change of what the answer shows, whoever made it.

A report is a function of its query and of the holder's entries on main
and savings in its currency, joined to their transactions. The journal is
append-only (rows are never updated nor deleted), and every entry on a
customer account moves that account's ``last_sequence``: so the pair of
sequences and the query determine the report. A new movement of the
holder in the currency, back-dated or not, changes the tag; one in
another currency or of another holder does not. The catalog (plans,
rates, categories) is tagged by its own cached value in the API.
"""

import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from accounting import models
from config import conditional

# The report's shape, in its tag: a release that changes the shape makes
# every earlier tag stale.
REPORT_FORMAT = "report1"


def ledger_sequences(*, holder_id: uuid.UUID, currency: str) -> str:
    """Returns the holder's main and savings sequences in a currency.

    One probe of the unique index on ``(holder, kind, currency)``.

    Args:
        holder_id: The holder.
        currency: The currency.

    Returns:
        Such as ``"main=12,savings=7"``; ``""`` without a wallet there.
    """
    rows = (
        models.Account.objects.filter(
            holder_id=holder_id,
            currency=currency,
            kind__in=models.Account.CUSTOMER_KINDS,
        )
        .order_by("kind")
        .values_list("kind", "last_sequence")
    )
    return ",".join(f"{kind}={sequence}" for kind, sequence in rows)


def report_etag(
    *, holder_id: uuid.UUID, query: Mapping[str, Any]
) -> str | None:
    """Returns the tag of a holder's report for a validated query.

    Args:
        holder_id: The holder (open).
        query: The report's validated query (``group_by``, ``from``,
            ``to``, ``currency``).

    Returns:
        The tag; None without ``to``, whose report ends now and so is
        never the same twice.
    """
    if query.get("to") is None:
        return None
    currency = query.get("currency", settings.DEFAULT_CURRENCY)
    return conditional.value_etag(
        [
            REPORT_FORMAT,
            str(holder_id),
            sorted((name, str(value)) for name, value in query.items()),
            ledger_sequences(holder_id=holder_id, currency=currency),
        ]
    )
