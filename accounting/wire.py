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
        ``{id, name, kind, value, currency, description}``.
    """
    return {
        "id": str(plan.id),
        "name": plan.name,
        "kind": plan.kind,
        "value": plan.value,
        "currency": plan.currency,
        "description": plan.description,
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
    return {
        "id": str(account.id),
        "kind": account.kind,
        "currency": account.currency,
        "balance": money.format_amount(account.balance, account.currency),
    }


def transaction_data(
    transaction: models.Transaction, splits: Iterable[tuple[str, int]]
) -> dict[str, Any]:
    """Returns the wire form of a transaction.

    Args:
        transaction: The journal header.
        splits: ``(account_kind, amount)`` of its customer entries.

    Returns:
        ``{id, kind, amount, currency, occurred_at, description, source,
        category, splits, plan}``.
    """
    currency = transaction.currency
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
                "amount": money.format_amount(amount, currency),
            }
            for kind, amount in splits
        ],
        "plan": transaction.plan_snapshot,
    }


def balances_data(*, main: int, savings: int, currency: str) -> dict[str, str]:
    """Returns ``{main, savings}`` formatted in the currency."""
    return {
        "main": money.format_amount(main, currency),
        "savings": money.format_amount(savings, currency),
    }
