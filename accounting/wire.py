"""The JSON documents of the internal API, built as plain dicts.

The money path is CPU-bound (see ARCHITECTURE.md, "Dependencies and
runtime"), so responses are built here directly instead of through DRF
serializers; the views' ``OutputSerializer`` classes describe the same
shapes for the OpenAPI schema, and a test checks that they agree. The
credit service stores the document it returns with the idempotency key, so
a replay answers with exactly the original body.
"""

from collections.abc import Iterable
from typing import Any

from accounting import models
from config import money, timeparse


def plan_data(plan: models.Plan) -> dict[str, Any]:
    """Returns the wire form of a plan (also its snapshot on transactions).

    Args:
        plan: The plan.

    Returns:
        ``{id, name, kind, value, currency, description,
        savings_hold_days}``.
    """
    return {
        "id": str(plan.id),
        "name": plan.name,
        "kind": plan.kind,
        "value": plan.value,
        "currency": plan.currency,
        "description": plan.description,
        "savings_hold_days": plan.savings_hold_days,
    }


def holder_plan_data(holder: models.Holder) -> dict[str, Any]:
    """Returns a holder's plan choice: ``{plan, selected_at}``."""
    selected_at = holder.plan_selected_at
    return {
        "plan": plan_data(holder.plan) if holder.plan else None,
        "selected_at": (
            timeparse.format_instant(selected_at) if selected_at else None
        ),
    }


def account_data(account: models.Account) -> dict[str, Any]:
    """Returns the wire form of a customer account."""
    closed_at = account.closed_at
    return {
        "id": str(account.id),
        "kind": account.kind,
        "currency": account.currency,
        "balance": money.format_amount(account.balance, account.currency),
        "closed_at": timeparse.format_instant(closed_at) if closed_at else None,
    }


def rate_data(rate: models.Rate) -> dict[str, Any]:
    """Returns ``{base, quote, rate, valid_from}`` of an FX rate."""
    return {
        "base": rate.base,
        "quote": rate.quote,
        "rate": rate.rate_display,
        "valid_from": timeparse.format_instant(rate.valid_from),
    }


def transaction_data(
    transaction: models.Transaction, splits: Iterable[tuple[str, str, int]]
) -> dict[str, Any]:
    """Returns the wire form of a transaction.

    Args:
        transaction: The journal header.
        splits: ``(account_kind, currency, signed amount)`` of its entries
            on the holder's own accounts.

    Returns:
        ``{id, kind, amount, currency, occurred_at, description, source,
        category, splits, plan, counterparty_account, conversion}``.
    """
    currency = transaction.currency
    counterparty = transaction.counterparty_account_id
    conversion = None
    if transaction.to_currency:
        to_currency = transaction.to_currency
        conversion = {
            "to_amount": money.format_amount(
                transaction.to_amount, to_currency
            ),
            "to_currency": to_currency,
            "rate": models.format_rate(transaction.fx_rate),
        }
    return {
        "id": str(transaction.id),
        "kind": transaction.kind,
        "amount": money.format_amount(transaction.amount, currency),
        "currency": currency,
        "occurred_at": timeparse.format_instant(transaction.occurred_at),
        "description": transaction.description,
        "source": transaction.source,
        "category": transaction.category,
        "splits": [
            {
                "account_kind": kind,
                "currency": split_currency,
                "amount": money.format_amount(amount, split_currency),
            }
            for kind, split_currency, amount in splits
        ],
        "plan": transaction.plan_snapshot,
        "counterparty_account": str(counterparty) if counterparty else None,
        "conversion": conversion,
    }


def balances_data(*, main: int, savings: int, currency: str) -> dict[str, str]:
    """Returns ``{main, savings}`` formatted in the currency."""
    return {
        "main": money.format_amount(main, currency),
        "savings": money.format_amount(savings, currency),
    }
