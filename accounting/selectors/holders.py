"""Reads of holders: the accounting side of a user, and whether it is open.

A holder is created by the user's creation event, which travels from the
users service through the outbox and RabbitMQ; until it arrives, the user
is unknown here and asked to retry (``account_not_ready``).
"""

import dataclasses
import uuid

from accounting import errors, models
from accounting.selectors.accounts import accounts_list
from accounting.selectors.transactions import transactions_page

# How many recent transactions a summary shows unless asked for another
# number, and the most it shows.
SUMMARY_TRANSACTIONS = 10
SUMMARY_TRANSACTIONS_MAX = 50


def holder_get(*, user_id: uuid.UUID) -> models.Holder:
    """Returns an open holder (with its plan).

    Args:
        user_id: The user's id.

    Returns:
        The holder.

    Raises:
        HolderNotReadyError: Unknown: its creation event is on its way.
        HolderClosedError: The user was deleted.
    """
    holder = (
        models.Holder.objects.select_related("plan").filter(pk=user_id).first()
    )
    if holder is None:
        raise errors.HolderNotReadyError()
    if holder.is_closed:
        raise errors.HolderClosedError()
    return holder


def holder_check_open(*, user_id: uuid.UUID) -> None:
    """Refuses a closed holder (deleted or suspended); unknown ones pass.

    Args:
        user_id: The user's id.

    Raises:
        HolderClosedError: The holder is closed.
    """
    if models.Holder.objects.filter(
        pk=user_id, closed_at__isnull=False
    ).exists():
        raise errors.HolderClosedError()


@dataclasses.dataclass(frozen=True)
class HolderSummary:
    """A customer at a glance: what staff see beside the user.

    Attributes:
        holder: The holder (with its plan), open or closed.
        accounts: Its main and savings accounts, by currency then kind.
        transactions: Its latest transactions, newest first (by
            ``effective_at``, as its own list), with their splits.
    """

    holder: models.Holder
    accounts: list[models.Account]
    transactions: list[models.Transaction]


def holder_summary(
    *, user_id: uuid.UUID, transactions: int = SUMMARY_TRANSACTIONS
) -> HolderSummary:
    """Returns a holder, its accounts and its latest transactions.

    Unlike the holder's own reads, a closed holder is shown: staff look
    at deleted users too. Four queries, whatever the history's length.

    Args:
        user_id: The user's id.
        transactions: How many of the latest transactions (0 for none).

    Returns:
        The summary.

    Raises:
        HolderNotReadyError: Unknown: its creation event is on its way.
    """
    holder = (
        models.Holder.objects.select_related("plan").filter(pk=user_id).first()
    )
    if holder is None:
        raise errors.HolderNotReadyError()
    latest = (
        transactions_page(holder=holder, limit=transactions).results
        if transactions
        else []
    )
    return HolderSummary(
        holder=holder,
        accounts=list(accounts_list(holder=holder)),
        transactions=latest,
    )
