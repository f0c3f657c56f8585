"""The gateway's read operations: one function per upstream read.

Like ``services``, each function is one call to the service that owns the
data (``docs/internal-api.md``), with the caller's id from the verified
token. Readiness is a read too: it asks each service whether it can serve.
"""

from django.conf import settings

from config import problems
from config.contracts import INTERNAL_API_PREFIX
from integration import clients
from integration.clients import Service, UpstreamResponse

_ROOT = f"/{INTERNAL_API_PREFIX}"
READY = "ok"


def user_get(*, user_id: str) -> UpstreamResponse:
    """Returns the caller's profile (GET users ``/internal/v1/users/{id}``).

    Args:
        user_id: The caller's id, from the token.

    Returns:
        The user.
    """
    return clients.call(Service.USERS, "GET", f"{_ROOT}users/{user_id}")


def plan_list(*, user_id: str) -> UpstreamResponse:
    """Returns the active plans (GET accounting ``/internal/v1/plans``).

    Args:
        user_id: The caller: accounting refuses a deleted or suspended one
            (401 ``user_inactive``), as for every other call.

    Returns:
        ``{"results": [plan]}``.
    """
    return clients.call(
        Service.ACCOUNTING, "GET", f"{_ROOT}plans", params={"holder": user_id}
    )


def plan_selection_get(*, user_id: str) -> UpstreamResponse:
    """Returns the caller's plan selection ``{plan, selected_at}``.

    Args:
        user_id: The caller's id, from the token.

    Returns:
        The selection.
    """
    return clients.call(
        Service.ACCOUNTING, "GET", f"{_ROOT}holders/{user_id}/plan"
    )


def account_list(*, user_id: str) -> UpstreamResponse:
    """Returns the caller's accounts ``{"results": [account]}``.

    Args:
        user_id: The caller's id, from the token.

    Returns:
        The accounts.
    """
    return clients.call(
        Service.ACCOUNTING, "GET", f"{_ROOT}holders/{user_id}/accounts"
    )


def balance_get(*, user_id: str, params: dict[str, str]) -> UpstreamResponse:
    """Returns the caller's balances, now or as of an instant.

    Args:
        user_id: The caller's id, from the token.
        params: ``at`` and ``currency``, normalised, when given.

    Returns:
        ``{at, currency, main, savings, total}``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/balance",
        params=params,
    )


def rate_list(*, user_id: str, params: dict[str, str]) -> UpstreamResponse:
    """Returns the exchange rates valid now (GET accounting ``/rates``).

    Rates are not the caller's: staff maintain them, every user reads the
    same ones; a deleted or suspended caller is refused all the same.

    Args:
        user_id: The caller.
        params: ``base``, upper case, when given.

    Returns:
        ``{"at", "results": [rate]}``, one rate per pair.
    """
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}rates",
        params={**params, "holder": user_id},
    )


def transaction_list(
    *, user_id: str, params: dict[str, str]
) -> UpstreamResponse:
    """Returns one page of the caller's transactions.

    Args:
        user_id: The caller's id, from the token.
        params: The validated filters and paging parameters.

    Returns:
        ``{"results": [transaction], "next_cursor": str or None}``.
    """
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/transactions",
        params=params,
    )


def transaction_get(*, user_id: str, transaction_id: str) -> UpstreamResponse:
    """Returns one of the caller's transactions.

    Args:
        user_id: The caller's id, from the token.
        transaction_id: The transaction's UUID.

    Returns:
        The transaction (another holder's id is a 404 upstream).
    """
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/transactions/{transaction_id}",
    )


def report_summary_get(
    *, user_id: str, params: dict[str, str]
) -> UpstreamResponse:
    """Returns the caller's income, expenses and savings over a range.

    GET accounting ``/internal/v1/holders/{user_id}/reports/summary``.

    Args:
        user_id: The caller's id, from the token.
        params: ``group_by`` and, when given, ``from``, ``to`` and
            ``currency``, normalised.

    Returns:
        The report: totals and one row per group.
    """
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/reports/summary",
        params=params,
    )


def category_list(*, user_id: str) -> UpstreamResponse:
    """Returns the staff's suggested expense categories.

    GET accounting ``/internal/v1/categories``: the same for every user.

    Args:
        user_id: The caller; a deleted or suspended one is refused.

    Returns:
        ``{"results": [{"name"}]}``, active ones, by name.
    """
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}categories",
        params={"holder": user_id},
    )


def goal_list(*, user_id: str) -> UpstreamResponse:
    """Returns the caller's goals, in the order savings are allocated.

    Args:
        user_id: The caller's id, from the token.

    Returns:
        ``{"results": [goal]}``.
    """
    return clients.call(
        Service.ACCOUNTING, "GET", f"{_ROOT}holders/{user_id}/goals"
    )


def goal_get(*, user_id: str, goal_id: str) -> UpstreamResponse:
    """Returns one of the caller's goals, with its progress.

    Args:
        user_id: The caller's id, from the token.
        goal_id: The goal's UUID.

    Returns:
        The goal (another holder's id is a 404 upstream).
    """
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/goals/{goal_id}",
    )


def group_list(*, user_id: str) -> UpstreamResponse:
    """Returns the savings groups the caller is a member of, newest first.

    Args:
        user_id: The caller's id, from the token.

    Returns:
        ``{"results": [group]}``.
    """
    return clients.call(
        Service.ACCOUNTING, "GET", f"{_ROOT}holders/{user_id}/groups"
    )


def group_get(*, user_id: str, group_id: str) -> UpstreamResponse:
    """Returns one of the caller's savings groups, with its leaderboard.

    Args:
        user_id: The caller's id, from the token.
        group_id: The group's UUID.

    Returns:
        The group (one the caller is not a member of is a 404 upstream).
    """
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/groups/{group_id}",
    )


def service_readiness() -> dict[str, str]:
    """Asks every service behind the gateway whether it is ready.

    Returns:
        ``{service: "ok" or the problem code}``, one entry per service, in
        a fixed order.
    """
    checks = {}
    for service in Service:
        try:
            clients.call(
                service, "GET", "/readyz", timeout=settings.READYZ_TIMEOUT
            )
        except problems.ProblemError as error:
            checks[str(service)] = error.code
        else:
            checks[str(service)] = READY
    return checks
