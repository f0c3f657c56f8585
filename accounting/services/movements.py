"""Money movements: credits, withdrawals, transfers, releases, conversions.

Each is one function, one database transaction (:func:`idempotent`), and
follows the architecture's decisions: it locks only the customer accounts
it touches, in id order; takes ``occurred_at`` after the locks, so that per
account time never goes backwards against ``sequence``; checks funds before
posting (the database refuses a negative balance too); posts entries that
sum to zero per currency; and stores the idempotency key with the ledger
write.

:func:`idempotent` adds two keyword arguments to each, the caller's
``idempotency_key`` (already validated, or None) and the ``request_hash``
fingerprint of the request, and makes the caller's answer a
:class:`KeyedResult` (new or replayed); each function below returns the
answer document it wrote and its transaction.
"""

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import connection
from django.utils import timezone

from accounting import errors, models, wire
from accounting.services.guards import (
    check_amount_above_flat_amount,
    check_distinct_currencies,
    check_effective_at,
    check_funds,
    check_not_frozen,
)
from accounting.services.journal import (
    Locked,
    Posting,
    accounts_lock,
    answer,
    balances,
    header_new,
    idempotent,
    journal_write,
    post,
    system_posting,
)
from accounting.services.rates import rate_use
from config import labels, money
from config.sql import db_value

# --- Credits ----------------------------------------------------------------


def credit_plan(
    *, plan: models.Plan | None, currency: str
) -> models.Plan | None:
    """Returns the plan that splits a credit, if any.

    A plan splits credits in its own currency only; others go to main.

    Args:
        plan: The holder's plan, or None.
        currency: The credit's currency.

    Returns:
        The plan if it applies to this credit, else None.
    """
    return plan if plan is not None and plan.currency == currency else None


def credit_savings(*, plan: models.Plan | None, amount: int) -> int:
    """Returns the part of a credit that goes to savings (docs/api.md).

    Args:
        plan: The plan that applies (see :func:`credit_plan`), or None.
        amount: The credit in minor units.

    Returns:
        The savings part in minor units; the rest goes to main.

    Raises:
        AmountNotAboveFlatAmountError: A flat plan and a credit not above
            its amount.
    """
    if plan is None:
        return 0
    if plan.kind == models.Plan.Kind.PERCENTAGE:
        share = decimal.Decimal(amount) * plan.percentage / 100
        return int(share.quantize(1, rounding=decimal.ROUND_HALF_EVEN))
    check_amount_above_flat_amount(plan=plan, amount=amount)
    return plan.flat_amount


@idempotent(pipelined=True)
def credit_apply(
    *,
    holder_id: uuid.UUID,
    amount: int,
    currency: str,
    source: str = "",
    description: str = "",
    effective_at: dt.datetime | None = None,
) -> tuple[dict[str, Any], models.Transaction]:
    """Credits a holder, splitting between main and savings by plan.

    Money enters from the currency's ``world`` account, now: the split is
    the plan's now and the balances move now, whatever day the credit is
    dated (``effective_at``), so a late record never rewrites the ledger's
    past.

    Args:
        holder_id: The holder (the user's id).
        amount: The credit in minor units, > 0.
        currency: A supported currency code.
        source: Where the money came from (free text, stored normalised
            by :func:`config.labels.normalize` so reports group one
            spelling).
        description: A note shown with the transaction.
        effective_at: When the income happened, at or before now (None:
            now).

    Returns:
        The ``{transaction, balances}`` document and the transaction.

    Raises:
        EffectiveAtInFutureError: ``effective_at`` is after now.
        KeyInFlightError: Same key, first request running.
        KeyReusedError: Same key, different request.
        HolderNotReadyError: The holder is unknown (not created yet).
        HolderClosedError: The holder is closed.
        AccountNotOpenError: No wallet in that currency.
        AccountClosedError: Staff closed the wallet.
        AmountNotAboveFlatAmountError: See :func:`credit_savings`.
    """
    locked = accounts_lock(holder_id=holder_id, currencies=(currency,))
    header, postings, moved = credit_entry(
        locked,
        amount=amount,
        currency=currency,
        source=source,
        description=description,
        effective_at=effective_at,
    )
    journal_write([(header, postings)], moved, notified=locked.notified)
    return answer(header, postings, locked), header


Entry = tuple[models.Transaction, list[Posting], list[models.Account]]


def credit_entry(
    locked: Locked,
    *,
    amount: int,
    currency: str,
    source: str = "",
    description: str = "",
    effective_at: dt.datetime | None = None,
) -> Entry:
    """Books a credit on locked wallets: its header, postings, accounts.

    The rule of a credit, written once: :func:`credit_apply` writes one,
    an import many in one transaction. Nothing is written here; the
    locked accounts' balances move.

    Raises:
        AmountNotAboveFlatAmountError: See :func:`credit_savings`.
        EffectiveAtInFutureError: ``effective_at`` is after now.
    """
    main, savings = locked.wallet(currency)
    plan = credit_plan(plan=locked.plan, currency=currency)
    saved = credit_savings(plan=plan, amount=amount)
    header = header_new(
        holder_id=locked.holder_id,
        kind=models.Transaction.Kind.CREDIT,
        amount=amount,
        currency=currency,
        description=description,
        source=labels.normalize(source),
        plan_snapshot=wire.plan_data(plan) if plan else None,
        effective_at=effective_at,
    )
    check_effective_at(effective_at, booked_at=header.occurred_at)
    postings = [system_posting(models.Account.Kind.WORLD, currency, -amount)]
    moved = []
    for account, part in ((main, amount - saved), (savings, saved)):
        if part:
            postings.append(post(account, part))
            moved.append(account)
    return header, postings, moved


# --- Withdrawals ------------------------------------------------------------


@idempotent(pipelined=True)
def withdrawal_apply(
    *,
    holder_id: uuid.UUID,
    amount: int,
    currency: str,
    category: str | None = None,
    description: str = "",
    effective_at: dt.datetime | None = None,
) -> tuple[dict[str, Any], models.Transaction]:
    """Takes money out of a holder's main account (an expense).

    Money leaves to the currency's ``world`` account now, out of what main
    holds now, whatever day the expense is dated (``effective_at``).

    Args:
        holder_id: The holder.
        amount: Minor units, > 0.
        currency: A supported currency code.
        category: What the money was spent on, or None. Stored
            normalised like a credit's source; blank once normalised is
            no category (NULL).
        description: A note shown with the transaction.
        effective_at: When the expense happened, at or before now (None:
            now).

    Returns:
        The ``{transaction, balances}`` document and the transaction.

    Raises:
        EffectiveAtInFutureError: ``effective_at`` is after now.
        InsufficientFundsError: Main holds less than the amount.
        (and the holder, wallet and idempotency errors of credits)
    """
    locked = accounts_lock(holder_id=holder_id, currencies=(currency,))
    header, postings, moved = withdrawal_entry(
        locked,
        amount=amount,
        currency=currency,
        category=category,
        description=description,
        effective_at=effective_at,
    )
    journal_write([(header, postings)], moved, notified=locked.notified)
    return answer(header, postings, locked), header


def withdrawal_entry(
    locked: Locked,
    *,
    amount: int,
    currency: str,
    category: str | None = None,
    description: str = "",
    effective_at: dt.datetime | None = None,
) -> Entry:
    """Books a withdrawal on locked wallets (see :func:`credit_entry`).

    Raises:
        InsufficientFundsError: Main holds less than the amount now.
        EffectiveAtInFutureError: ``effective_at`` is after now.
    """
    main, _ = locked.wallet(currency)
    check_funds(account=main, amount=amount)
    header = header_new(
        holder_id=locked.holder_id,
        kind=models.Transaction.Kind.WITHDRAWAL,
        amount=amount,
        currency=currency,
        description=description,
        category=labels.normalize(category) or None,
        effective_at=effective_at,
    )
    check_effective_at(effective_at, booked_at=header.occurred_at)
    postings = [
        post(main, -amount),
        system_posting(models.Account.Kind.WORLD, currency, amount),
    ]
    return header, postings, [main]


# --- Transfers --------------------------------------------------------------


def _recipient(
    *, locked: Locked, to_account: uuid.UUID, currency: str
) -> models.Account:
    """Returns the locked recipient of a transfer after checking it.

    Raises:
        SameAccountError: The sender's own main account.
        AccountNotFoundError: Not an open main account of an open holder.
        CurrencyMismatchError: In another currency than the transfer.
        AccountFrozenError: A freeze stops money entering it; the sender
            is not told the mode, which is the recipient's business.
    """
    sender, _ = locked.wallet(currency)
    if to_account == sender.id:
        raise errors.SameAccountError()
    recipient = locked.by_id.get(to_account)
    if (
        recipient is None
        or recipient.kind != models.Account.Kind.MAIN
        or recipient.is_closed
        or recipient.holder_id in locked.closed_holders
    ):
        raise errors.AccountNotFoundError()
    if recipient.currency != currency:
        raise errors.CurrencyMismatchError(
            f"The recipient's account is in {recipient.currency}, "
            f"not {currency}."
        )
    check_not_frozen(
        account=recipient,
        amount=1,
        detail="The recipient's account cannot receive money now.",
    )
    return recipient


@idempotent(pipelined=True)
def transfer_apply(
    *,
    holder_id: uuid.UUID,
    to_account: uuid.UUID,
    amount: int,
    currency: str,
    description: str = "",
) -> tuple[dict[str, Any], models.Transaction]:
    """Moves money from a holder's main account to another holder's main.

    Two journal headers, one per holder (``transfer_out`` and
    ``transfer_in``), each balanced through the currency's ``clearing``
    account and pointing at the other, so both holders see the transfer in
    their own history. Both accounts are locked in id order.

    Args:
        holder_id: The sender.
        to_account: The recipient's main account id.
        amount: Minor units, > 0.
        currency: The transfer's currency (the recipient's too).
        description: A note shown to both holders.

    Returns:
        The sender's ``{transaction, balances}`` and its transaction.

    Raises:
        SameAccountError, AccountNotFoundError, CurrencyMismatchError: See
            :func:`_recipient`.
        InsufficientFundsError: The sender's main holds less.
        (and the holder, wallet and idempotency errors of credits)
    """
    locked = accounts_lock(
        holder_id=holder_id, currencies=(currency,), also=to_account
    )
    recipient = _recipient(
        locked=locked, to_account=to_account, currency=currency
    )
    sender, _ = locked.wallet(currency)
    check_funds(account=sender, amount=amount)
    kind = models.Transaction.Kind
    outgoing = header_new(
        holder_id=holder_id,
        kind=kind.TRANSFER_OUT,
        amount=amount,
        currency=currency,
        description=description,
        counterparty_account_id=recipient.id,
    )
    incoming = header_new(
        holder_id=recipient.holder_id,
        kind=kind.TRANSFER_IN,
        amount=amount,
        currency=currency,
        description=description,
        counterparty_account_id=sender.id,
        related_id=outgoing.id,
        occurred_at=outgoing.occurred_at,
    )
    outgoing.related_id = incoming.id
    clearing = models.Account.Kind.CLEARING
    out_postings = [
        post(sender, -amount),
        system_posting(clearing, currency, amount),
    ]
    journal_write(
        [
            (outgoing, out_postings),
            (
                incoming,
                [
                    system_posting(clearing, currency, -amount),
                    post(recipient, amount),
                ],
            ),
        ],
        [sender, recipient],
        notified=locked.notified,
    )
    return answer(outgoing, out_postings, locked), outgoing


# --- Savings release --------------------------------------------------------

_HELD_SAVINGS_SQL = """
    SELECT COALESCE(SUM("amount"), 0) FROM "accounting_entry"
    WHERE "account_id" = %s AND "amount" > 0 AND "occurred_at" > %s
"""


def savings_held(
    *, savings: models.Account, plan: models.Plan | None, at: dt.datetime
) -> int:
    """Returns how much of a savings balance the plan still holds at ``at``.

    The rule: money that came into savings less than the plan's
    ``savings_hold_days`` days ago is held; what left savings is counted
    against the oldest money first, so the held part is the recent inflow,
    never more than the balance. No plan, or a holding period of 0 days,
    holds nothing.

    Args:
        savings: The holder's savings account (locked).
        plan: The holder's current plan, or None.
        at: The instant of the release.

    Returns:
        The held amount in minor units.
    """
    if plan is None or not plan.savings_hold_days:
        return 0
    since = at - dt.timedelta(days=plan.savings_hold_days)
    with connection.cursor() as cursor:
        cursor.execute(
            _HELD_SAVINGS_SQL,
            [
                db_value(models.Entry, "account", savings.id),
                db_value(models.Entry, "occurred_at", since),
            ],
        )
        inflow = cursor.fetchone()[0]
    return min(int(inflow), savings.balance)


@idempotent(pipelined=True)
def savings_release_apply(
    *,
    holder_id: uuid.UUID,
    amount: int,
    currency: str,
    description: str = "",
) -> tuple[dict[str, Any], models.Transaction]:
    """Moves money from a holder's savings back to their main account.

    Allowed for what the plan no longer holds (:func:`savings_held`).

    Args:
        holder_id: The holder.
        amount: Minor units, > 0.
        currency: The wallet's currency.
        description: A note shown with the transaction.

    Returns:
        The ``{transaction, balances}`` document and the transaction.

    Raises:
        InsufficientFundsError: Savings hold less than the amount.
        SavingsLockedError: Enough savings, but part of it still held.
        (and the holder, wallet and idempotency errors of credits)
    """
    locked = accounts_lock(holder_id=holder_id, currencies=(currency,))
    main, savings = locked.wallet(currency)
    check_funds(account=savings, amount=amount)
    header = header_new(
        holder_id=holder_id,
        kind=models.Transaction.Kind.SAVINGS_RELEASE,
        amount=amount,
        currency=currency,
        description=description,
    )
    held = savings_held(
        savings=savings, plan=locked.plan, at=header.occurred_at
    )
    if amount > savings.balance - held:
        free = money.format_amount(savings.balance - held, currency)
        raise errors.SavingsLockedError(
            f"The plan holds savings for {locked.plan.savings_hold_days} "
            f"days; {free} {currency} can be released now."
        )
    postings = [post(savings, -amount), post(main, amount)]
    journal_write(
        [(header, postings)], [main, savings], notified=locked.notified
    )
    return answer(header, postings, locked), header


# --- Conversions ------------------------------------------------------------


_CONVERSION_PRECISION = 64


def converted_amount(
    *, amount: int, rate: decimal.Decimal, from_currency: str, to_currency: str
) -> int:
    """Returns ``amount x rate`` in the target's minor units.

    Rounded half to even to the target currency's minor unit: the only
    rounding of a conversion, done once, on the exact product (amounts are
    integers and the rate a decimal, never a float).

    Args:
        amount: Minor units of ``from_currency``.
        rate: Units of ``to_currency`` per unit of ``from_currency``.
        from_currency: The source currency.
        to_currency: The target currency.

    Returns:
        Minor units of ``to_currency`` (may be 0 for tiny amounts).
    """
    shift = money.exponent(to_currency) - money.exponent(from_currency)
    # Enough digits for the largest amount times the widest rate, so the
    # product is exact and half-even is the one rounding.
    with decimal.localcontext(prec=_CONVERSION_PRECISION):
        exact = decimal.Decimal(amount) * rate * decimal.Decimal(10) ** shift
        return int(exact.quantize(1, rounding=decimal.ROUND_HALF_EVEN))


@idempotent(pipelined=True)
def conversion_apply(
    *,
    holder_id: uuid.UUID,
    from_currency: str,
    to_currency: str,
    amount: int,
    description: str = "",
) -> tuple[dict[str, Any], models.Transaction]:
    """Converts money between two of a holder's main accounts.

    Uses the newest rate valid at the conversion's instant, and holds the
    pair so that no rate is published under it before it commits
    (:func:`.rates.rate_use`). Four entries:
    main in the source currency pays the source's ``fx`` account, the
    target's ``fx`` account pays main in the target currency; each
    currency sums to zero.

    Args:
        holder_id: The holder.
        from_currency: The currency sold.
        to_currency: The currency bought.
        amount: Minor units of ``from_currency``, > 0.
        description: A note shown with the transaction.

    Returns:
        The ``{transaction, rate, balances, to_balances}`` document and the
        transaction.

    Raises:
        SameCurrencyError: Both currencies are the same.
        RateUnavailableError: No rate for the pair at this instant.
        AmountTooSmallError: The result rounds to zero.
        InsufficientFundsError: Main holds less than the amount.
        (and the holder, wallet and idempotency errors of credits)
    """
    check_distinct_currencies(
        from_currency=from_currency, to_currency=to_currency
    )
    locked = accounts_lock(
        holder_id=holder_id, currencies=(from_currency, to_currency)
    )
    source, _ = locked.wallet(from_currency)
    target, _ = locked.wallet(to_currency)
    check_funds(account=source, amount=amount)
    now = timezone.now()
    rate = rate_use(base=from_currency, quote=to_currency, at=now)
    bought = converted_amount(
        amount=amount,
        rate=rate.rate,
        from_currency=from_currency,
        to_currency=to_currency,
    )
    if bought <= 0:
        raise errors.AmountTooSmallError(
            f"{money.format_amount(amount, from_currency)} {from_currency} "
            f"is less than the smallest {to_currency} amount at this rate."
        )
    header = header_new(
        holder_id=holder_id,
        kind=models.Transaction.Kind.CONVERSION,
        amount=amount,
        currency=from_currency,
        description=description,
        to_amount=bought,
        to_currency=to_currency,
        rate_id=rate.id,
        fx_rate=rate.rate,
        occurred_at=now,
    )
    fx = models.Account.Kind.FX
    postings = [
        post(source, -amount),
        system_posting(fx, from_currency, amount),
        system_posting(fx, to_currency, -bought),
        post(target, bought),
    ]
    journal_write(
        [(header, postings)], [source, target], notified=locked.notified
    )
    body = {
        **answer(header, postings, locked),
        "rate": wire.rate_data(rate),
        "to_balances": balances(locked, to_currency),
    }
    return body, header
