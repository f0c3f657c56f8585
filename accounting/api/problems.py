"""The HTTP status of every accounting error code, in one place.

Services and selectors raise ``accounting.errors`` (a code, no status); the
internal API answers each with the public status that the gateway passes
through unchanged. This service's DRF exception handler
(``REST_FRAMEWORK["EXCEPTION_HANDLER"]``) is built from this map.
"""

from accounting.errors import ErrorCode
from config import problems
from config.errors import Code

STATUSES: problems.Statuses = {
    **problems.SHARED_STATUSES,
    ErrorCode.ACCOUNT_NOT_READY: 409,
    ErrorCode.USER_INACTIVE: 401,
    ErrorCode.ACCOUNT_NOT_OPEN: 422,
    ErrorCode.AMOUNT_NOT_ABOVE_FLAT_AMOUNT: 422,
    ErrorCode.PLAN_NOT_FOUND: 404,
    ErrorCode.TRANSACTION_NOT_FOUND: 404,
    ErrorCode.ACCOUNT_NOT_FOUND: 404,
    ErrorCode.ACCOUNT_CLOSED: 422,
    ErrorCode.ACCOUNT_FROZEN: 422,
    ErrorCode.SAME_ACCOUNT: 422,
    ErrorCode.CURRENCY_MISMATCH: 422,
    ErrorCode.INSUFFICIENT_FUNDS: 422,
    ErrorCode.SAVINGS_LOCKED: 422,
    ErrorCode.SAME_CURRENCY: 400,
    ErrorCode.RATE_UNAVAILABLE: 422,
    ErrorCode.AMOUNT_TOO_SMALL: 422,
    ErrorCode.GROUP_NOT_FOUND: 404,
    ErrorCode.USER_NOT_FOUND: 404,
    ErrorCode.ALREADY_MEMBER: 409,
    ErrorCode.GOAL_NOT_FOUND: 404,
    ErrorCode.RATE_BACKDATED: 422,
    ErrorCode.INVALID_IMPORT: 400,
    Code.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.IMPORT_NOT_FOUND: 404,
    ErrorCode.INVALID_API_KEY: 401,
    ErrorCode.BATCH_NOT_FOUND: 404,
    # Only ever an item's outcome, never a request's answer.
    ErrorCode.DUPLICATE_REFERENCE: 422,
    ErrorCode.INVALID_WEBHOOK_URL: 422,
    ErrorCode.WEBHOOK_NOT_FOUND: 404,
    ErrorCode.DELIVERY_NOT_FOUND: 404,
    ErrorCode.FOUR_EYES_SAME_STAFF: 403,
    ErrorCode.STAFF_REQUEST_DECIDED: 409,
    ErrorCode.STAFF_REQUEST_PENDING: 409,
    # Only staff reverse (the admin), so no API answers these yet.
    ErrorCode.TRANSACTION_NOT_REVERSIBLE: 422,
    ErrorCode.TRANSACTION_ALREADY_REVERSED: 409,
    ErrorCode.REVERSAL_INSUFFICIENT_FUNDS: 422,
}

exception_handler = problems.exception_handler_for(STATUSES)
