"""The HTTP status of every code the public API answers, in one place.

The gateway's own errors (``integration.errors``: a code, no status) are
answered with these statuses; a service's problem is passed through as the
service answered it (``UpstreamProblemError``), and the map states the
statuses users and accounting give their codes, as the public contract
documents them. Named in the settings as ``REST_FRAMEWORK
["EXCEPTION_HANDLER"]``.
"""

from rest_framework.response import Response

from config import problems, request_ids
from integration.clients import UpstreamProblemError
from integration.errors import ErrorCode

STATUSES: problems.Statuses = {
    **problems.SHARED_STATUSES,
    # Answered by the gateway itself.
    ErrorCode.UPSTREAM_UNAVAILABLE: 503,
    ErrorCode.UPSTREAM_TIMEOUT: 504,
    ErrorCode.BAD_GATEWAY: 502,
    ErrorCode.NOT_READY: 503,
    ErrorCode.SAME_CURRENCY: 400,
    # Judged by a service, passed through with the service's status.
    ErrorCode.EMAIL_TAKEN: 409,
    ErrorCode.WEAK_PASSWORD: 400,
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.CURRENT_PASSWORD_REQUIRED: 400,
    ErrorCode.INVALID_CURRENT_PASSWORD: 400,
    ErrorCode.USER_INACTIVE: 401,
    ErrorCode.PLAN_NOT_FOUND: 404,
    ErrorCode.ACCOUNT_NOT_READY: 409,
    ErrorCode.ACCOUNT_NOT_OPEN: 422,
    ErrorCode.ACCOUNT_NOT_FOUND: 404,
    ErrorCode.ACCOUNT_CLOSED: 422,
    ErrorCode.ACCOUNT_FROZEN: 422,
    ErrorCode.SAME_ACCOUNT: 422,
    ErrorCode.CURRENCY_MISMATCH: 422,
    ErrorCode.INSUFFICIENT_FUNDS: 422,
    ErrorCode.SAVINGS_LOCKED: 422,
    ErrorCode.RATE_UNAVAILABLE: 422,
    ErrorCode.AMOUNT_TOO_SMALL: 422,
    ErrorCode.AMOUNT_NOT_ABOVE_FLAT_AMOUNT: 422,
    ErrorCode.TRANSACTION_NOT_FOUND: 404,
    ErrorCode.GOAL_NOT_FOUND: 404,
    ErrorCode.GROUP_NOT_FOUND: 404,
    ErrorCode.USER_NOT_FOUND: 404,
    ErrorCode.ALREADY_MEMBER: 409,
    ErrorCode.INVALID_IMPORT: 400,
    ErrorCode.IMPORT_NOT_FOUND: 404,
    ErrorCode.INVALID_API_KEY: 401,
    ErrorCode.BATCH_NOT_FOUND: 404,
    ErrorCode.INVALID_WEBHOOK_URL: 422,
    ErrorCode.WEBHOOK_NOT_FOUND: 404,
    ErrorCode.DELIVERY_NOT_FOUND: 404,
}

_answer = problems.exception_handler_for(STATUSES)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """The gateway's DRF exception handler.

    Args:
        exc: The exception raised by the view.
        context: DRF's handler context.

    Returns:
        A service's problem passed through unchanged (status, every body
        member but ``request_id``, the gateway's, ``Retry-After``, ...);
        else what the shared handler answers with the gateway's statuses.
    """
    if isinstance(exc, UpstreamProblemError):
        # The service answered with the id the gateway sent it; the
        # gateway's own is the one its caller knows, whatever came back.
        request_id = request_ids.current()
        return Response(
            {**exc.body, "request_id": request_id} if request_id else exc.body,
            status=exc.status,
            headers=exc.headers,
            content_type=problems.PROBLEM_CONTENT_TYPE,
        )
    return _answer(exc, context)
