"""Wallets: a holder's main and savings accounts in one currency.

A wallet opens per currency, together with the system accounts money
moves through in it; staff close one (a closed wallet keeps its balance
and history and accepts no movement), and deleting a user closes them
all.
"""

from django.db import transaction
from django.utils import timezone

from accounting import errors, models
from accounting.services.freezes import accounts_refreeze, holder_lock
from accounting.services.guards import check_holder_open


@transaction.atomic
def account_open(
    *, holder: models.Holder, currency: str
) -> list[models.Account]:
    """Opens a holder's main and savings accounts in a currency.

    Idempotent per currency. Also makes sure the currency's system
    accounts exist (``world``, ``fx``, ``clearing``), so that money can
    enter, leave, be converted and be transferred in that currency. The
    holder's freezes of every wallet apply to a new one at once.

    Args:
        holder: An open holder.
        currency: A supported currency code.

    Returns:
        The holder's accounts in that currency, main first.

    Raises:
        HolderClosedError: The holder is closed.
        AccountClosedError: Staff closed the holder's wallet in that
            currency: it stays closed, and opening it again is refused
            rather than answered as if it were open.
    """
    check_holder_open(holder)
    # A holder freeze stops the wallets opened after it too.
    holder_lock(holder.pk)
    kind = models.Account.Kind
    models.Account.objects.bulk_create(
        [
            *(
                models.Account(
                    id=models.Account.system_id(k, currency),
                    kind=k,
                    currency=currency,
                )
                for k in models.Account.SYSTEM_KINDS
            ),
            *(
                models.Account(holder=holder, kind=k, currency=currency)
                for k in models.Account.CUSTOMER_KINDS
            ),
        ],
        ignore_conflicts=True,
    )
    accounts = sorted(
        accounts_refreeze(holder_id=holder.pk, currency=currency),
        key=lambda account: account.kind != kind.MAIN,
    )
    if any(account.closed_at for account in accounts):
        raise errors.AccountClosedError()
    return accounts


@transaction.atomic
def account_close(*, account: models.Account) -> list[models.Account]:
    """Closes a customer wallet: its main and savings accounts together.

    A closed account accepts no movement (the holder gets
    ``account_closed``; a sender gets ``account_not_found``). Its balance
    and history stay as they are, readable to staff and to the holder.
    Idempotent. Deleting a user closes every wallet the same way.

    Args:
        account: Either account of the wallet.

    Returns:
        The wallet's accounts.

    Raises:
        AccountNotFoundError: A system account (those never close).
    """
    if account.holder_id is None:
        raise errors.AccountNotFoundError()
    wallet = models.Account.objects.filter(
        holder_id=account.holder_id, currency=account.currency
    )
    # The UPDATE locks the rows itself: a movement holding them finishes
    # first, and later ones find the wallet closed.
    wallet.filter(closed_at__isnull=True).update(closed_at=timezone.now())
    return list(wallet.order_by("kind"))
