"""The gateway's write operations: one function per use case.

The gateway keeps no data, so a "write" here is one call to the service that
commits it (users for identity, accounting for plans and money). Each
function names the upstream route of ``docs/internal-api.md`` it stands for,
takes already validated, normalised values, and returns the service's
answer for the view to render. The caller's user id always comes from the
verified token, never from the request body.
"""

from typing import Any

from config.contracts import INTERNAL_API_PREFIX
from integration import clients
from integration.clients import Service, UpstreamResponse

_ROOT = f"/{INTERNAL_API_PREFIX}"


def user_signup(
    *, data: dict[str, Any], idempotency_key: str | None
) -> UpstreamResponse:
    """Creates a user (POST users ``/internal/v1/users``).

    Args:
        data: ``email``, ``password`` and optional names.
        idempotency_key: The caller's ``Idempotency-Key``, if any.

    Returns:
        The created user (201), or the replay of the first answer.
    """
    return clients.call(
        Service.USERS,
        "POST",
        f"{_ROOT}users",
        body=data,
        idempotency_key=idempotency_key,
    )


def token_obtain(*, email: str, password: str) -> UpstreamResponse:
    """Logs in (POST users ``/internal/v1/tokens``).

    Args:
        email: The user's email.
        password: The user's password.

    Returns:
        The access and refresh tokens.
    """
    return clients.call(
        Service.USERS,
        "POST",
        f"{_ROOT}tokens",
        body={"email": email, "password": password},
    )


def token_refresh(*, refresh: str) -> UpstreamResponse:
    """Exchanges a refresh token (POST users ``/internal/v1/tokens/refresh``).

    Args:
        refresh: The refresh token.

    Returns:
        A new access token (and refresh token, when rotated).
    """
    return clients.call(
        Service.USERS,
        "POST",
        f"{_ROOT}tokens/refresh",
        body={"refresh": refresh},
    )


def user_update(*, user_id: str, data: dict[str, Any]) -> UpstreamResponse:
    """Changes the caller's profile (PATCH users ``/internal/v1/users/{id}``).

    Args:
        user_id: The caller's id, from the token.
        data: The fields to change, as validated.

    Returns:
        The updated user.
    """
    return clients.call(
        Service.USERS, "PATCH", f"{_ROOT}users/{user_id}", body=data
    )


def user_delete(*, user_id: str) -> UpstreamResponse:
    """Closes the caller's account (DELETE users ``/internal/v1/users/{id}``).

    Args:
        user_id: The caller's id, from the token.

    Returns:
        The empty 204 answer.
    """
    return clients.call(Service.USERS, "DELETE", f"{_ROOT}users/{user_id}")


def plan_select(*, user_id: str, plan_id: str | None) -> UpstreamResponse:
    """Selects or clears the caller's savings plan.

    PUT accounting ``/internal/v1/holders/{user_id}/plan``.

    Args:
        user_id: The caller's id, from the token.
        plan_id: The plan's UUID, or None to clear it.

    Returns:
        The selection ``{plan, selected_at}``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "PUT",
        f"{_ROOT}holders/{user_id}/plan",
        body={"plan_id": plan_id},
    )


def credit_create(
    *, user_id: str, data: dict[str, str], idempotency_key: str | None
) -> UpstreamResponse:
    """Credits the caller's accounts, split by their plan.

    POST accounting ``/internal/v1/holders/{user_id}/credits``.

    Args:
        user_id: The caller's id, from the token.
        data: ``amount`` (normalised decimal string), ``currency`` and the
            optional ``source`` and ``description``.
        idempotency_key: The caller's ``Idempotency-Key``, if any.

    Returns:
        ``{transaction, balances}`` (201), or the replay of the first answer
        with ``Idempotent-Replayed: true``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/credits",
        body=data,
        idempotency_key=idempotency_key,
    )


def account_open(*, user_id: str, currency: str) -> UpstreamResponse:
    """Opens the caller's main and savings accounts in a currency.

    POST accounting ``/internal/v1/holders/{user_id}/accounts``; opening a
    currency twice answers the same accounts (idempotent per currency).

    Args:
        user_id: The caller's id, from the token.
        currency: A supported currency code, upper case.

    Returns:
        ``{"results": [account]}`` (201): the currency's main and savings.
    """
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/accounts",
        body={"currency": currency},
    )


def transfer_create(
    *, user_id: str, data: dict[str, str], idempotency_key: str | None
) -> UpstreamResponse:
    """Moves money to a recipient's main account, or savings back to main.

    POST accounting ``/internal/v1/holders/{user_id}/transfers``.

    Args:
        user_id: The caller's id, from the token.
        data: ``kind``, ``to_account`` (for a ``transfer`` only),
            ``amount`` (normalised), ``currency`` and the optional
            ``description``.
        idempotency_key: The caller's ``Idempotency-Key``, if any.

    Returns:
        ``{transaction, balances}`` (201), or the replay of the first answer
        with ``Idempotent-Replayed: true``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/transfers",
        body=data,
        idempotency_key=idempotency_key,
    )


def withdrawal_create(
    *, user_id: str, data: dict[str, str], idempotency_key: str | None
) -> UpstreamResponse:
    """Takes money out of the caller's main account.

    POST accounting ``/internal/v1/holders/{user_id}/withdrawals``.

    Args:
        user_id: The caller's id, from the token.
        data: ``amount`` (normalised), ``currency`` and the optional
            ``category`` and ``description``.
        idempotency_key: The caller's ``Idempotency-Key``, if any.

    Returns:
        ``{transaction, balances}`` (201), or the replay of the first answer
        with ``Idempotent-Replayed: true``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/withdrawals",
        body=data,
        idempotency_key=idempotency_key,
    )


def conversion_create(
    *, user_id: str, data: dict[str, str], idempotency_key: str | None
) -> UpstreamResponse:
    """Converts money from one of the caller's currencies to another.

    POST accounting ``/internal/v1/holders/{user_id}/conversions``.

    Args:
        user_id: The caller's id, from the token.
        data: ``from_currency``, ``to_currency`` (distinct), ``amount``
            (normalised, in ``from_currency``) and the optional
            ``description``.
        idempotency_key: The caller's ``Idempotency-Key``, if any.

    Returns:
        ``{transaction, rate, balances, to_balances}`` (201), or the replay
        of the first answer with ``Idempotent-Replayed: true``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/conversions",
        body=data,
        idempotency_key=idempotency_key,
    )


def goal_create(
    *, user_id: str, data: dict[str, Any], idempotency_key: str | None
) -> UpstreamResponse:
    """Sets the caller a savings goal.

    POST accounting ``/internal/v1/holders/{user_id}/goals``.

    Args:
        user_id: The caller's id, from the token.
        data: ``name``, ``target_amount`` (normalised), ``currency`` and the
            optional ``target_date`` (``YYYY-MM-DD``).
        idempotency_key: The caller's ``Idempotency-Key``, if any.

    Returns:
        The goal with its progress (201), or the replay of the first answer
        with ``Idempotent-Replayed: true``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/goals",
        body=data,
        idempotency_key=idempotency_key,
    )


def goal_update(
    *, user_id: str, goal_id: str, data: dict[str, Any]
) -> UpstreamResponse:
    """Changes one of the caller's goals.

    PATCH accounting ``/internal/v1/holders/{user_id}/goals/{goal_id}``.

    Args:
        user_id: The caller's id, from the token.
        goal_id: The goal's UUID.
        data: Any of ``name``, ``target_amount``, ``currency`` and
            ``target_date`` (None clears it), as validated.

    Returns:
        The goal, changed.
    """
    return clients.call(
        Service.ACCOUNTING,
        "PATCH",
        f"{_ROOT}holders/{user_id}/goals/{goal_id}",
        body=data,
    )


def goal_delete(*, user_id: str, goal_id: str) -> UpstreamResponse:
    """Deletes one of the caller's goals (its savings stay where they are).

    DELETE accounting ``/internal/v1/holders/{user_id}/goals/{goal_id}``.

    Args:
        user_id: The caller's id, from the token.
        goal_id: The goal's UUID.

    Returns:
        The empty 204 answer.
    """
    return clients.call(
        Service.ACCOUNTING,
        "DELETE",
        f"{_ROOT}holders/{user_id}/goals/{goal_id}",
    )


def group_create(
    *, user_id: str, data: dict[str, Any], idempotency_key: str | None
) -> UpstreamResponse:
    """Starts a savings group with the caller as its first member.

    POST accounting ``/internal/v1/holders/{user_id}/groups``; accounting
    opens the group's pot.

    Args:
        user_id: The caller's id, from the token.
        data: ``name``, ``target_amount`` (normalised), ``currency`` and the
            optional ``target_date`` (``YYYY-MM-DD``).
        idempotency_key: The caller's ``Idempotency-Key``, if any.

    Returns:
        The group (201), or the replay of the first answer with
        ``Idempotent-Replayed: true``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/groups",
        body=data,
        idempotency_key=idempotency_key,
    )


def group_member_add(
    *, user_id: str, group_id: str, email: str
) -> UpstreamResponse:
    """Adds a user to one of the caller's savings groups, by email.

    POST accounting ``/internal/v1/holders/{user_id}/groups/{group_id}/
    members``: only a member may add one.

    Args:
        user_id: The caller's id, from the token.
        group_id: The group's UUID.
        email: The new member's email (matched case-insensitively).

    Returns:
        The new member, as a row of the leaderboard (201).
    """
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/groups/{group_id}/members",
        body={"email": email},
    )


def group_leave(*, user_id: str, group_id: str) -> UpstreamResponse:
    """Takes the caller out of one of their savings groups.

    DELETE accounting ``/internal/v1/holders/{user_id}/groups/{group_id}/
    membership``: no money moves; what the caller contributed stays in
    the group's pot.

    Args:
        user_id: The caller's id, from the token.
        group_id: The group's UUID.

    Returns:
        The empty 204 answer.
    """
    return clients.call(
        Service.ACCOUNTING,
        "DELETE",
        f"{_ROOT}holders/{user_id}/groups/{group_id}/membership",
    )


def group_contribution_create(
    *,
    user_id: str,
    group_id: str,
    data: dict[str, str],
    idempotency_key: str | None,
) -> UpstreamResponse:
    """Moves money from the caller's savings into a group's pot.

    POST accounting ``/internal/v1/holders/{user_id}/groups/{group_id}/
    contributions``.

    Args:
        user_id: The caller's id, from the token.
        group_id: The group's UUID.
        data: ``amount``, the optional ``currency`` (the group's, when
            given) and ``message``.
        idempotency_key: The caller's ``Idempotency-Key``, if any.

    Returns:
        ``{transaction, balances, group}`` (201), or the replay of the first
        answer with ``Idempotent-Replayed: true``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/groups/{group_id}/contributions",
        body=data,
        idempotency_key=idempotency_key,
    )
