"""Reads of accounts and their balances, now and as of an instant.

A balance as of an instant is one index probe per account (decision 2):
every entry of a customer account stores the ``balance_after`` it left and
its per-account ``sequence``, so the state at T is the last entry with
``occurred_at <= T``, whatever the length of the history.
"""

import dataclasses
import datetime as dt
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounting import models


def accounts_list(*, holder: models.Holder) -> QuerySet[models.Account]:
    """Returns a holder's accounts, by currency then kind."""
    return models.Account.objects.filter(holder=holder).order_by(
        "currency", "kind"
    )


def account_balance(*, account: models.Account) -> int:
    """Returns an account's balance now, in minor units.

    Customer accounts and group pots keep it as a projection; a system
    account's is the sum of its entries (decision 4: no running balance,
    no hot row), so this is a scan of that account's entries: for staff
    pages, not for the money path. A system account's balance is the
    platform's position: ``world`` is minus what customers hold net of
    what they took out, ``fx`` what customers sold minus what they bought,
    ``clearing`` zero.

    Args:
        account: Any account.

    Returns:
        The balance (negative for system accounts that paid out).
    """
    if account.holder_id is not None or account.kind == models.Account.Kind.POT:
        return account.balance
    total = models.Entry.objects.filter(account=account).aggregate(
        total=Coalesce(Sum("amount"), 0)
    )["total"]
    return int(total)


def wallet_balances(*, holder_id: Any, currency: str = "") -> dict[str, int]:
    """Returns what a holder's wallets hold now: main plus savings.

    Args:
        holder_id: The holder.
        currency: One wallet's currency; blank for every wallet.

    Returns:
        Each wallet's balance by currency, in minor units.
    """
    accounts = models.Account.objects.filter(
        holder_id=holder_id, kind__in=models.Account.CUSTOMER_KINDS
    )
    if currency:
        accounts = accounts.filter(currency=currency)
    rows = accounts.values("currency").annotate(total=Sum("balance"))
    return {row["currency"]: int(row["total"]) for row in rows}


def account_entries_recent(
    *, account: models.Account, limit: int
) -> list[models.Entry]:
    """Returns an account's newest entries, newest first (a statement).

    A backward walk of the index ``(account, occurred_at, sequence)``: the
    same cost for an account of ten entries or of millions. Each entry
    comes with its transaction (kind, description) in the same query.

    Args:
        account: Any account, customer or system.
        limit: How many entries at most.

    Returns:
        The entries, newest first.
    """
    return list(
        models.Entry.objects.filter(account=account)
        .select_related("transaction")
        .order_by("-occurred_at", "-sequence", "-id")[:limit]
    )


@dataclasses.dataclass(frozen=True)
class Balance:
    """A holder's balances in one currency at one instant (minor units)."""

    main: int
    savings: int

    @property
    def total(self) -> int:
        """Main plus savings."""
        return self.main + self.savings


def balance_query(
    *, holder: models.Holder, currency: str, at: dt.datetime
) -> QuerySet:
    """Returns the query behind :func:`balance_at`: ``(kind, balance)``.

    Per account, the ``balance_after`` of its last entry with
    ``occurred_at <= at``: one backward probe of the index on
    ``(account, occurred_at, sequence)``, zero before the first entry.
    """
    last = (
        models.Entry.objects.filter(account=OuterRef("pk"), occurred_at__lte=at)
        .order_by("-occurred_at", "-sequence")
        .values("balance_after")[:1]
    )
    return (
        models.Account.objects.filter(
            holder=holder,
            currency=currency,
            kind__in=models.Account.CUSTOMER_KINDS,
        )
        .annotate(at_balance=Coalesce(Subquery(last), 0))
        .values_list("kind", "at_balance")
    )


def balance_at(
    *, holder: models.Holder, currency: str, at: dt.datetime
) -> Balance:
    """Returns the balances as they stood at an instant.

    One query whose cost does not grow with the length of the history
    (see :func:`balance_query`): the state after every transaction with
    ``occurred_at <= at`` and none after; zeros before the first.

    Args:
        holder: The holder.
        currency: The currency.
        at: The instant.

    Returns:
        The main and savings balances.
    """
    rows = dict(balance_query(holder=holder, currency=currency, at=at))
    return Balance(
        main=rows.get(models.Account.Kind.MAIN, 0),
        savings=rows.get(models.Account.Kind.SAVINGS, 0),
    )
