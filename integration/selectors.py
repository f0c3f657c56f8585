"""The gateway's read operations: one function per upstream read.

Like ``services``, each function is one call to the service that owns the
data (``docs/internal-api.md``), with the caller's id from the verified
token. Readiness is a read too: it asks each service whether it can serve.
What is safe to keep (the profile, the catalog, reports of closed periods)
is read through ``integration.caching``: still one call, conditional.
"""

import dataclasses

from django.conf import settings

from config.contracts import INTERNAL_API_PREFIX
from integration import caching, clients, errors
from integration.clients import Service, UpstreamResponse

_ROOT = f"/{INTERNAL_API_PREFIX}"
READY = "ok"


def user_get(*, user_id: str) -> UpstreamResponse:
    """Returns the caller's profile (kept per user, revalidated)."""
    return caching.revalidated(
        caching.key_of("me", user_id),
        lambda etag: clients.call(
            Service.USERS,
            "GET",
            f"{_ROOT}users/{user_id}",
            if_none_match=etag,
        ),
    )


def plan_list(*, user_id: str) -> UpstreamResponse:
    """Returns the active plans (kept once for all, revalidated).

    The same for every user; the caller is sent along so that a deleted
    or suspended one is refused all the same, kept answer or not.
    """
    return caching.revalidated(
        caching.key_of("plans"),
        lambda etag: clients.call(
            Service.ACCOUNTING,
            "GET",
            f"{_ROOT}plans",
            params={"holder": user_id},
            if_none_match=etag,
        ),
    )


def plan_selection_get(*, user_id: str) -> UpstreamResponse:
    """Returns the caller's plan selection ``{plan, selected_at}``."""
    return clients.call(
        Service.ACCOUNTING, "GET", f"{_ROOT}holders/{user_id}/plan"
    )


def account_list(*, user_id: str) -> UpstreamResponse:
    """Returns the caller's accounts."""
    return clients.call(
        Service.ACCOUNTING, "GET", f"{_ROOT}holders/{user_id}/accounts"
    )


def balance_get(*, user_id: str, params: dict[str, str]) -> UpstreamResponse:
    """Returns the caller's balances, now or as of an instant."""
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/balance",
        params=params,
    )


def rate_list(*, user_id: str, params: dict[str, str]) -> UpstreamResponse:
    """Returns the exchange rates valid now, one per pair (kept, revalidated).

    Rates are not the caller's: staff maintain them and every user reads the
    same ones, but the caller is sent along so that a deleted or suspended
    one is refused all the same.
    """
    return caching.revalidated(
        caching.key_of("rates", params=params),
        lambda etag: clients.call(
            Service.ACCOUNTING,
            "GET",
            f"{_ROOT}rates",
            params={**params, "holder": user_id},
            if_none_match=etag,
        ),
    )


def transaction_list(
    *, user_id: str, params: dict[str, str]
) -> UpstreamResponse:
    """Returns one page of the caller's transactions."""
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/transactions",
        params=params,
    )


def transaction_get(*, user_id: str, transaction_id: str) -> UpstreamResponse:
    """Returns one of the caller's transactions."""
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/transactions/{transaction_id}",
    )


def report_summary_get(
    *, user_id: str, params: dict[str, str]
) -> UpstreamResponse:
    """Returns the caller's income, expenses and savings over a range.

    A report of a closed period is kept per user and query, and
    revalidated; any other is read afresh (it is about money now).
    """

    def read(etag: str | None) -> UpstreamResponse:
        return clients.call(
            Service.ACCOUNTING,
            "GET",
            f"{_ROOT}holders/{user_id}/reports/summary",
            params=params,
            if_none_match=etag,
        )

    if not caching.closed_period(params):
        return read(None)
    return caching.revalidated(
        caching.key_of("report", user_id, params=params), read
    )


def category_list(*, user_id: str) -> UpstreamResponse:
    """Returns the suggested expense categories (kept, revalidated)."""
    return caching.revalidated(
        caching.key_of("categories"),
        lambda etag: clients.call(
            Service.ACCOUNTING,
            "GET",
            f"{_ROOT}categories",
            params={"holder": user_id},
            if_none_match=etag,
        ),
    )


def goal_list(*, user_id: str) -> UpstreamResponse:
    """Returns the caller's goals, in the order savings are allocated."""
    return clients.call(
        Service.ACCOUNTING, "GET", f"{_ROOT}holders/{user_id}/goals"
    )


def goal_get(*, user_id: str, goal_id: str) -> UpstreamResponse:
    """Returns one of the caller's goals, with its progress."""
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/goals/{goal_id}",
    )


def group_list(*, user_id: str) -> UpstreamResponse:
    """Returns the caller's savings groups, newest first."""
    return clients.call(
        Service.ACCOUNTING, "GET", f"{_ROOT}holders/{user_id}/groups"
    )


def group_get(*, user_id: str, group_id: str) -> UpstreamResponse:
    """Returns one of the caller's savings groups, with its leaderboard."""
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
        except errors.GatewayError as error:
            checks[str(service)] = error.code
        else:
            checks[str(service)] = READY
    return checks


def import_get(*, user_id: str, import_id: str) -> UpstreamResponse:
    """Returns one of the caller's statement imports, as it stands now."""
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}holders/{user_id}/imports/{import_id}",
    )


def credit_batch_get(*, partner_id: str, batch_id: str) -> UpstreamResponse:
    """Returns one of the partner's credit batches, as it stands now."""
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}partners/{partner_id}/credit-batches/{batch_id}",
    )


def credit_batch_item_list(
    *, partner_id: str, batch_id: str, params: dict[str, str]
) -> UpstreamResponse:
    """Returns a page of one of the partner's batches' items."""
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{_ROOT}partners/{partner_id}/credit-batches/{batch_id}/items",
        params=params,
    )


@dataclasses.dataclass(frozen=True)
class WebhookAccount:
    """Whose webhooks: a user's, or a partner's (one of the two ids).

    Accounting serves the same webhook routes under a holder (a user) and
    under a partner; the id is the token's or the verified key's, never
    the request's.
    """

    user_id: str | None = None
    partner_id: str | None = None

    @property
    def path(self) -> str:
        """The upstream path of the account's webhooks."""
        if self.partner_id is not None:
            return f"{_ROOT}partners/{self.partner_id}/webhooks"
        return f"{_ROOT}holders/{self.user_id}/webhooks"


def webhook_list(*, account: WebhookAccount) -> UpstreamResponse:
    """Returns the account's webhooks in use, oldest first."""
    return clients.call(Service.ACCOUNTING, "GET", account.path)


def webhook_get(
    *, account: WebhookAccount, webhook_id: str
) -> UpstreamResponse:
    """Returns one of the account's webhooks (never its secret)."""
    return clients.call(
        Service.ACCOUNTING, "GET", f"{account.path}/{webhook_id}"
    )


def webhook_delivery_list(
    *, account: WebhookAccount, webhook_id: str, params: dict[str, str]
) -> UpstreamResponse:
    """Returns a page of a webhook's deliveries, newest first."""
    return clients.call(
        Service.ACCOUNTING,
        "GET",
        f"{account.path}/{webhook_id}/deliveries",
        params=params,
    )
