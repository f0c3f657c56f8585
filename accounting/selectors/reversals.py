"""What a reversal would undo, and what it would move (read, never locked).

The service (``services.reversals``) undoes a movement; staff look first:
:func:`reversal_preview` is the exact mirror the service would post, read
now (the service reads it again under the locks, and checks funds there).
"""

import dataclasses

from accounting import errors, models
from config import money

_KIND = models.Transaction.Kind
# The kinds with a sound mirror. A savings release is the holder's own
# choice, and a contribution's pot is shared: other members may have moved
# it since (see ``errors.TransactionNotReversibleError``).
REVERSIBLE_KINDS = (
    _KIND.CREDIT,
    _KIND.WITHDRAWAL,
    _KIND.TRANSFER_OUT,
    _KIND.TRANSFER_IN,
    _KIND.CONVERSION,
)


def reversal_movement(
    original: models.Transaction,
) -> list[models.Transaction]:
    """Returns the headers a reversal of ``original`` undoes, first first.

    A transfer's two halves, its ``transfer_out`` first, whichever half
    was named; any other kind its one header.

    Raises:
        TransactionNotReversibleError: A kind with no sound mirror.
    """
    if original.kind == _KIND.REVERSAL:
        raise errors.TransactionNotReversibleError(
            "A reversal cannot be reversed: record a new movement instead."
        )
    if original.kind not in REVERSIBLE_KINDS:
        raise errors.TransactionNotReversibleError(
            f"A {original.kind} cannot be reversed: only credits, "
            "withdrawals, transfers and conversions."
        )
    if original.kind not in (_KIND.TRANSFER_OUT, _KIND.TRANSFER_IN):
        return [original]
    other = models.Transaction.objects.get(pk=original.related_id)
    if original.kind == _KIND.TRANSFER_OUT:
        return [original, other]
    return [other, original]


@dataclasses.dataclass(frozen=True)
class PreviewLine:
    """One entry a reversal would post.

    Attributes:
        holder: The holder's email, or "" for a system account.
        account: The account's kind (main, savings, world, fx, clearing).
        currency: The entry's currency.
        amount: Signed, formatted in the currency (``-25.00``).
    """

    holder: str
    account: str
    currency: str
    amount: str


def reversal_preview(original: models.Transaction) -> list[PreviewLine]:
    """Returns what reversing ``original``'s movement would post, in order.

    Raises:
        TransactionNotReversibleError: A kind with no sound mirror.
    """
    movement = reversal_movement(original)
    order = {header.id: index for index, header in enumerate(movement)}
    entries = sorted(
        models.Entry.objects.filter(transaction__in=movement).select_related(
            "account__holder"
        ),
        key=lambda entry: (order[entry.transaction_id], entry.id),
    )
    return [
        PreviewLine(
            holder=entry.account.holder.email if entry.account.holder else "",
            account=entry.account.kind,
            currency=entry.currency,
            amount=money.format_amount(-entry.amount, entry.currency),
        )
        for entry in entries
    ]
