"""Error codes the public API answers beyond ``config.errors.Code``.

The gateway owns the first group: they describe the path between the
gateway and a service, not the request. The second group is judged by the
users and accounting services and passed through unchanged (see
``docs/internal-api.md``); it is listed here so that the OpenAPI schema can
document, per endpoint, every code a client may meet.

What the gateway refuses itself raises a :class:`GatewayError`: a code,
no status; ``integration.api.problems`` gives every code its status.
"""

import enum
from collections.abc import Mapping

from config.errors import OUTAGE_RETRY_AFTER, DomainError


class ErrorCode(enum.StrEnum):
    """Stable, lowercase problem codes of the gateway."""

    # Answered by the gateway itself.
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    UPSTREAM_TIMEOUT = "upstream_timeout"
    BAD_GATEWAY = "bad_gateway"
    NOT_READY = "not_ready"
    # Refused here before any call; accounting refuses it too.
    SAME_CURRENCY = "same_currency"

    # Judged by a service, passed through.
    EMAIL_TAKEN = "email_taken"
    WEAK_PASSWORD = "weak_password"  # noqa: S105 (a code)
    INVALID_CREDENTIALS = "invalid_credentials"
    CURRENT_PASSWORD_REQUIRED = "current_password_required"  # noqa: S105 (a code)
    INVALID_CURRENT_PASSWORD = "invalid_current_password"  # noqa: S105 (a code)
    USER_INACTIVE = "user_inactive"
    PLAN_NOT_FOUND = "plan_not_found"
    ACCOUNT_NOT_READY = "account_not_ready"
    ACCOUNT_NOT_OPEN = "account_not_open"
    ACCOUNT_NOT_FOUND = "account_not_found"
    ACCOUNT_CLOSED = "account_closed"
    ACCOUNT_FROZEN = "account_frozen"
    SAME_ACCOUNT = "same_account"
    CURRENCY_MISMATCH = "currency_mismatch"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    SAVINGS_LOCKED = "savings_locked"
    RATE_UNAVAILABLE = "rate_unavailable"
    AMOUNT_TOO_SMALL = "amount_too_small"
    AMOUNT_NOT_ABOVE_FLAT_AMOUNT = "amount_not_above_flat_amount"
    TRANSACTION_NOT_FOUND = "transaction_not_found"
    GOAL_NOT_FOUND = "goal_not_found"
    GROUP_NOT_FOUND = "group_not_found"
    USER_NOT_FOUND = "user_not_found"
    ALREADY_MEMBER = "already_member"
    INVALID_IMPORT = "invalid_import"
    IMPORT_NOT_FOUND = "import_not_found"
    # Also refused here, without a call, for a key of a shape accounting
    # never issues (``integration.authentication``).
    INVALID_API_KEY = "invalid_api_key"
    BATCH_NOT_FOUND = "batch_not_found"
    INVALID_WEBHOOK_URL = "invalid_webhook_url"
    WEBHOOK_NOT_FOUND = "webhook_not_found"
    DELIVERY_NOT_FOUND = "delivery_not_found"


class GatewayError(DomainError):
    """Base of every error a call through the gateway may raise.

    Subclasses fix the code, and ``retry_after`` when the refusal passes
    by itself; an occurrence adds a detail.
    """

    error_code: str = ErrorCode.BAD_GATEWAY
    retry_after: int | None = None

    def __init__(
        self, detail: str = "", *, errors: Mapping[str, list[str]] | None = None
    ) -> None:
        super().__init__(
            code=self.error_code,
            detail=detail,
            errors=errors,
            retry_after=self.retry_after,
        )


class UpstreamUnavailableError(GatewayError):
    """A service cannot be reached; nothing was done there."""

    error_code = ErrorCode.UPSTREAM_UNAVAILABLE
    retry_after = OUTAGE_RETRY_AFTER


class UpstreamTimeoutError(GatewayError):
    """A service did not answer in time (it may have done the work)."""

    error_code = ErrorCode.UPSTREAM_TIMEOUT


class BadGatewayError(GatewayError):
    """A service failed, or answered outside its contract."""

    error_code = ErrorCode.BAD_GATEWAY


class ApiKeyInvalidError(GatewayError):
    """A partner key that cannot be one: no call was made to check it."""

    error_code = ErrorCode.INVALID_API_KEY


class SameCurrencyError(GatewayError):
    """A conversion into the currency it starts from: nothing to call."""

    error_code = ErrorCode.SAME_CURRENCY
