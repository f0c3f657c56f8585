"""The JSON documents of the internal API, built as plain dicts.

The money path is CPU-bound (``docs/architecture.md``, decision 13), so
responses are built here directly instead of through DRF serializers; the
views' ``OutputSerializer`` classes describe the same shapes for the
OpenAPI schema, and a test checks that they agree. The credit service
stores the document it returns with the idempotency key, so a replay
answers with exactly the original body.
"""

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from accounting import models
from config import money, timeparse

if TYPE_CHECKING:  # The selectors build on this module: no import cycle.
    from accounting.selectors.imports import ImportStatus
    from accounting.selectors.reports import Report, ReportGroup


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


def holder_data(holder: models.Holder) -> dict[str, Any]:
    """Returns the wire form of a holder, as staff see it.

    Returns:
        ``{user_id, email, first_name, last_name, plan, plan_selected_at,
        created_at, closed_at}`` (``plan``: the plan or None).
    """
    return {
        "user_id": str(holder.user_id),
        "email": holder.email,
        "first_name": holder.first_name,
        "last_name": holder.last_name,
        "plan": plan_data(holder.plan) if holder.plan else None,
        "plan_selected_at": _instant(holder.plan_selected_at),
        "created_at": _instant(holder.created_at),
        "closed_at": _instant(holder.closed_at),
    }


def _instant(value: Any) -> str | None:
    """Returns an instant in the wire's form, or None."""
    return timeparse.format_instant(value) if value else None


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
    transaction: models.Transaction,
    splits: Iterable[tuple[str, str, int]],
    group: models.SavingsGroup | None = None,
    reversed_by: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Returns the wire form of a transaction.

    Args:
        transaction: The journal header.
        splits: ``(account_kind, currency, signed amount)`` of its entries
            on the holder's own accounts.
        group: A group contribution's group (its pot is the header's
            ``counterparty_account``); None for other kinds.
        reversed_by: The reversal that undid it, if any (a header just
            written has none).

    Returns:
        ``{id, kind, amount, currency, occurred_at, effective_at,
        description, source,
        category, splits, plan, counterparty_account, conversion, group,
        reverses, reversed_by}`` (``group``: ``{id, name}`` or None;
        ``reverses``, ``reversed_by``: a transaction id or None).
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
        "effective_at": timeparse.format_instant(transaction.effective_at),
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
        "group": {"id": str(group.id), "name": group.name} if group else None,
        "reverses": _id_or_none(transaction.reverses_id),
        "reversed_by": _id_or_none(reversed_by),
    }


def _id_or_none(value: uuid.UUID | None) -> str | None:
    """Returns an id as text, or None."""
    return None if value is None else str(value)


def balances_data(*, main: int, savings: int, currency: str) -> dict[str, str]:
    """Returns ``{main, savings}`` formatted in the currency."""
    return {
        "main": money.format_amount(main, currency),
        "savings": money.format_amount(savings, currency),
    }


def member_data(
    member: models.GroupMember,
    *,
    currency: str,
    contributed: int,
    contributions: int,
) -> dict[str, Any]:
    """Returns one row of a group's leaderboard.

    Args:
        member: The membership, with its holder loaded.
        currency: The group's currency.
        contributed: The sum of the member's contributions, minor units.
        contributions: How many contributions the member made.

    Returns:
        ``{user_id, email, first_name, last_name, contributed,
        contributions, joined_at, left_at}`` (``left_at``: null for a
        current member).
    """
    holder = member.holder
    left_at = member.left_at
    return {
        "user_id": str(holder.user_id),
        "email": holder.email,
        "first_name": holder.first_name,
        "last_name": holder.last_name,
        "contributed": money.format_amount(contributed, currency),
        "contributions": contributions,
        "joined_at": timeparse.format_instant(member.joined_at),
        "left_at": timeparse.format_instant(left_at) if left_at else None,
    }


def group_data(
    group: models.SavingsGroup,
    *,
    total: int,
    progress_percent: str,
    members: Iterable[dict[str, Any]],
) -> dict[str, Any]:
    """Returns the wire form of a savings group.

    Args:
        group: The group.
        total: Its pot's balance, minor units.
        progress_percent: ``total`` against the target, such as
            ``"37.50"`` (see ``selectors.groups``).
        members: The leaderboard, rows of :func:`member_data`, in order.

    Returns:
        ``{id, name, currency, target_amount, target_date, total,
        progress_percent, created_at, created_by, members}``.
    """
    currency = group.currency
    target_date = group.target_date
    return {
        "id": str(group.id),
        "name": group.name,
        "currency": currency,
        "target_amount": money.format_amount(group.target_amount, currency),
        "target_date": target_date.isoformat() if target_date else None,
        "total": money.format_amount(total, currency),
        "progress_percent": progress_percent,
        "created_at": timeparse.format_instant(group.created_at),
        "created_by": str(group.created_by_id),
        "members": list(members),
    }


def report_group_data(group: "ReportGroup", currency: str) -> dict[str, Any]:
    """Returns one group of a report.

    Args:
        group: The group (``selectors.reports``).
        currency: The report's currency.

    Returns:
        ``{key, income, expenses, saved, savings_rate, transactions}``.
    """
    return {
        "key": group.key,
        "income": money.format_amount(group.income, currency),
        "expenses": money.format_amount(group.expenses, currency),
        "saved": money.format_amount(group.saved, currency),
        "savings_rate": group.savings_rate,
        "transactions": group.transactions,
    }


def report_data(report: "Report") -> dict[str, Any]:
    """Returns the wire form of a report summary.

    Args:
        report: The report (``selectors.reports``).

    Returns:
        ``{from, to, currency, group_by, income, expenses, saved,
        savings_rate, groups}``.
    """
    currency = report.currency
    start = report.start
    return {
        "from": timeparse.format_instant(start) if start else None,
        "to": timeparse.format_instant(report.end),
        "currency": currency,
        "group_by": report.group_by,
        "income": money.format_amount(report.income, currency),
        "expenses": money.format_amount(report.expenses, currency),
        "saved": money.format_amount(report.saved, currency),
        "savings_rate": report.savings_rate,
        "groups": [report_group_data(g, currency) for g in report.groups],
    }


def goal_data(
    goal: models.Goal,
    *,
    saved: int,
    progress_percent: str,
    on_track: bool | None,
) -> dict[str, Any]:
    """Returns the wire form of a savings goal.

    Args:
        goal: The goal.
        saved: The part of the savings balance allocated to it, minor
            units (see ``selectors.goals``).
        progress_percent: ``saved`` against the target, such as
            ``"42.50"``.
        on_track: Whether the saving pace reaches the target by its date
            (None: no date).

    Returns:
        ``{id, name, target_amount, currency, saved, progress_percent,
        target_date, on_track, created_at, updated_at}``.
    """
    currency = goal.currency
    target_date = goal.target_date
    return {
        "id": str(goal.id),
        "name": goal.name,
        "target_amount": money.format_amount(goal.target_amount, currency),
        "currency": currency,
        "saved": money.format_amount(saved, currency),
        "progress_percent": progress_percent,
        "target_date": target_date.isoformat() if target_date else None,
        "on_track": on_track,
        "created_at": timeparse.format_instant(goal.created_at),
        "updated_at": timeparse.format_instant(goal.updated_at),
    }


def import_data(status: "ImportStatus") -> dict[str, Any]:
    """Returns the wire form of an import and where it stands.

    Returns:
        ``{id, status, currency, size_bytes, sha256, rows: {read, applied,
        duplicate, refused}, refusals: [{line, code, detail}], error,
        created_at, completed_at}``; ``error`` is ``{code, detail}`` for a
        failed import, else None.
    """
    job = status.job
    completed = job.completed_at
    return {
        "id": str(job.id),
        "status": job.status,
        "currency": job.currency,
        "size_bytes": job.size_bytes,
        "sha256": job.sha256,
        "rows": {
            "read": status.read,
            "applied": status.applied,
            "duplicate": status.duplicate,
            "refused": status.refused,
        },
        "refusals": [
            {"line": r.line, "code": r.code, "detail": r.detail}
            for r in status.refusals
        ],
        "error": (
            {"code": job.error_code, "detail": job.error_detail}
            if job.error_code
            else None
        ),
        "created_at": timeparse.format_instant(job.created_at),
        "completed_at": (
            timeparse.format_instant(completed) if completed else None
        ),
    }


def partner_key_data(key: models.PartnerKey) -> dict[str, Any]:
    """Returns what the gateway learns of a key that authenticated.

    Returns:
        ``{key_id, partner_id, partner_name, scopes, rate_limit}``;
        ``rate_limit`` is ``""`` for the gateway's default.
    """
    return {
        "key_id": str(key.id),
        "partner_id": str(key.partner_id),
        "partner_name": key.partner.name,
        "scopes": list(key.scopes),
        "rate_limit": key.rate_limit,
    }


def credit_batch_data(batch: models.CreditBatch) -> dict[str, Any]:
    """Returns the wire form of a credit batch and where it stands.

    Returns:
        ``{id, status, items: {total, applied, refused, pending}, error,
        created_at, completed_at}``; ``error`` is ``{code, detail}`` for
        a failed batch, else None.
    """
    done = batch.items_applied + batch.items_refused
    completed = batch.completed_at
    return {
        "id": str(batch.id),
        "status": batch.status,
        "items": {
            "total": batch.items_total,
            "applied": batch.items_applied,
            "refused": batch.items_refused,
            "pending": batch.items_total - done,
        },
        "error": (
            {"code": batch.error_code, "detail": batch.error_detail}
            if batch.error_code
            else None
        ),
        "created_at": timeparse.format_instant(batch.created_at),
        "completed_at": (
            timeparse.format_instant(completed) if completed else None
        ),
    }


def credit_batch_item_data(item: models.CreditBatchItem) -> dict[str, Any]:
    """Returns the wire form of a batch item and what became of it.

    Returns:
        ``{position, user, amount, currency, reference, status,
        transaction_id, error}``; ``error`` is ``{code, detail}`` for a
        refused item, else None.
    """
    return {
        "position": item.position,
        "user": item.user,
        "amount": money.format_amount(item.amount, item.currency),
        "currency": item.currency,
        "reference": item.reference,
        "status": item.status,
        "transaction_id": (
            str(item.transaction_id) if item.transaction_id else None
        ),
        "error": (
            {"code": item.error_code, "detail": item.error_detail}
            if item.error_code
            else None
        ),
    }


def webhook_data(
    endpoint: models.WebhookEndpoint, *, with_secret: bool = False
) -> dict[str, Any]:
    """Returns the wire form of a webhook endpoint.

    Args:
        endpoint: The endpoint.
        with_secret: Show the secret: only when it is made or rotated.

    Returns:
        ``{id, url, events, created_at, previous_secret_until}``, and
        ``secret`` when asked for.
    """
    until = endpoint.previous_secret_until
    data = {
        "id": str(endpoint.id),
        "url": endpoint.url,
        "events": list(endpoint.events),
        "created_at": timeparse.format_instant(endpoint.created_at),
        "previous_secret_until": (
            timeparse.format_instant(until) if until else None
        ),
    }
    if with_secret:
        data["secret"] = endpoint.secret
    return data


def webhook_delivery_data(delivery: models.WebhookDelivery) -> dict[str, Any]:
    """Returns the wire form of a delivery and its last tries.

    Returns:
        ``{id, event: {id, type, sequence, created_at}, status, attempts,
        last_status_code, last_error, next_attempt_at, delivered_at,
        created_at, tries: [{at, status_code, error, duration_ms}]}``;
        ``next_attempt_at`` only while it is pending.
    """
    event = delivery.event
    pending = delivery.status == models.WebhookDelivery.Status.PENDING
    delivered = delivery.delivered_at
    tries = sorted(delivery.tries.all(), key=lambda t: (t.at, t.id))
    return {
        "id": str(delivery.id),
        "event": {
            "id": str(event.id),
            "type": event.type,
            "sequence": event.sequence,
            "created_at": timeparse.format_instant(event.created_at),
        },
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt_at": (
            timeparse.format_instant(delivery.next_attempt_at)
            if pending
            else None
        ),
        "delivered_at": (
            timeparse.format_instant(delivered) if delivered else None
        ),
        "created_at": timeparse.format_instant(delivery.created_at),
        "tries": [
            {
                "at": timeparse.format_instant(attempt.at),
                "status_code": attempt.status_code,
                "error": attempt.error,
                "duration_ms": attempt.duration_ms,
            }
            for attempt in tries[-10:][::-1]
        ],
    }
