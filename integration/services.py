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
from integration.selectors import WebhookAccount

_ROOT = f"/{INTERNAL_API_PREFIX}"


def user_signup(
    *, data: dict[str, Any], idempotency_key: str | None
) -> UpstreamResponse:
    """Creates a user; a replay answers the first creation."""
    return clients.call(
        Service.USERS,
        "POST",
        f"{_ROOT}users",
        body=data,
        idempotency_key=idempotency_key,
    )


def token_obtain(*, email: str, password: str) -> UpstreamResponse:
    """Logs in: an access and a refresh token."""
    return clients.call(
        Service.USERS,
        "POST",
        f"{_ROOT}tokens",
        body={"email": email, "password": password},
    )


def token_refresh(*, refresh: str) -> UpstreamResponse:
    """Exchanges a refresh token for new tokens."""
    return clients.call(
        Service.USERS,
        "POST",
        f"{_ROOT}tokens/refresh",
        body={"refresh": refresh},
    )


def user_update(*, user_id: str, data: dict[str, Any]) -> UpstreamResponse:
    """Changes the caller's profile."""
    return clients.call(
        Service.USERS, "PATCH", f"{_ROOT}users/{user_id}", body=data
    )


def user_delete(*, user_id: str) -> UpstreamResponse:
    """Closes the caller's account (a soft delete)."""
    return clients.call(Service.USERS, "DELETE", f"{_ROOT}users/{user_id}")


def plan_select(*, user_id: str, plan_id: str | None) -> UpstreamResponse:
    """Selects the caller's savings plan, or clears it (None)."""
    return clients.call(
        Service.ACCOUNTING,
        "PUT",
        f"{_ROOT}holders/{user_id}/plan",
        body={"plan_id": plan_id},
    )


# Storing a statement of IMPORT_MAX_BYTES takes longer than a movement.
IMPORT_TIMEOUT = 120.0


def import_create(
    *,
    user_id: str,
    upload: clients.Upload,
    params: dict[str, str],
    idempotency_key: str | None,
) -> UpstreamResponse:
    """Sends a statement to accounting as it arrives: 202 and the import."""
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/imports",
        params=params,
        idempotency_key=idempotency_key,
        timeout=IMPORT_TIMEOUT,
        upload=upload,
    )


def credit_create(
    *, user_id: str, data: dict[str, str], idempotency_key: str | None
) -> UpstreamResponse:
    """Credits the caller, split between main and savings by plan."""
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/credits",
        body=data,
        idempotency_key=idempotency_key,
    )


def account_open(*, user_id: str, currency: str) -> UpstreamResponse:
    """Opens main and savings in a currency (idempotent per currency)."""
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/accounts",
        body={"currency": currency},
    )


def transfer_create(
    *, user_id: str, data: dict[str, str], idempotency_key: str | None
) -> UpstreamResponse:
    """Moves money to a recipient's main account, or savings to main."""
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
    """Takes money out of the caller's main account."""
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
    """Converts money between two of the caller's currencies."""
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
    """Sets the caller a savings goal."""
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
    """Changes one of the caller's goals."""
    return clients.call(
        Service.ACCOUNTING,
        "PATCH",
        f"{_ROOT}holders/{user_id}/goals/{goal_id}",
        body=data,
    )


def goal_delete(*, user_id: str, goal_id: str) -> UpstreamResponse:
    """Deletes one of the caller's goals; its savings stay put."""
    return clients.call(
        Service.ACCOUNTING,
        "DELETE",
        f"{_ROOT}holders/{user_id}/goals/{goal_id}",
    )


def group_create(
    *, user_id: str, data: dict[str, Any], idempotency_key: str | None
) -> UpstreamResponse:
    """Starts a savings group (and its pot), the caller its first member."""
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
    """Adds a user by email to a group; only a member may."""
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/groups/{group_id}/members",
        body={"email": email},
    )


def group_leave(*, user_id: str, group_id: str) -> UpstreamResponse:
    """Takes the caller out of a group; their contributions stay in the pot."""
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
    """Moves money from the caller's savings into a group's pot."""
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}holders/{user_id}/groups/{group_id}/contributions",
        body=data,
        idempotency_key=idempotency_key,
    )


# Accounting writes every item of a batch before it answers: 10,000 items
# took 0.8 s through a real stack on 2 cores, far more than a movement.
CREDIT_BATCH_TIMEOUT = 30.0


def credit_batch_create(
    *, key_id: str, data: dict[str, Any], idempotency_key: str
) -> UpstreamResponse:
    """Sends a partner's batch in its key's name: 202 and the batch."""
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{_ROOT}partner-keys/{key_id}/credit-batches",
        body=data,
        idempotency_key=idempotency_key,
        timeout=CREDIT_BATCH_TIMEOUT,
    )


def webhook_create(
    *, account: WebhookAccount, data: dict[str, Any]
) -> UpstreamResponse:
    """Registers a webhook of the account: 201, with its secret."""
    return clients.call(Service.ACCOUNTING, "POST", account.path, body=data)


def webhook_delete(
    *, account: WebhookAccount, webhook_id: str
) -> UpstreamResponse:
    """Removes one of the account's webhooks: nothing more is sent to it."""
    return clients.call(
        Service.ACCOUNTING, "DELETE", f"{account.path}/{webhook_id}"
    )


def webhook_secret_rotate(
    *, account: WebhookAccount, webhook_id: str
) -> UpstreamResponse:
    """Gives a webhook a new secret; the previous one signs a day more."""
    return clients.call(
        Service.ACCOUNTING, "POST", f"{account.path}/{webhook_id}/secret"
    )


def webhook_delivery_resend(
    *, account: WebhookAccount, webhook_id: str, delivery_id: str
) -> UpstreamResponse:
    """Makes a delivery due again now: 202, the delivery."""
    return clients.call(
        Service.ACCOUNTING,
        "POST",
        f"{account.path}/{webhook_id}/deliveries/{delivery_id}/resend",
    )
