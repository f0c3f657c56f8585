"""The HTTP status of every users error code, in one place.

Services and selectors raise ``users.errors`` (a code, no status); the
internal API answers each with the public status that the gateway passes
through unchanged. This service's DRF exception handler
(``REST_FRAMEWORK["EXCEPTION_HANDLER"]``) is built from this map.
"""

from config import problems
from users.errors import ErrorCode

STATUSES: problems.Statuses = {
    **problems.SHARED_STATUSES,
    ErrorCode.EMAIL_TAKEN: 409,
    ErrorCode.WEAK_PASSWORD: 400,
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.USER_INACTIVE: 401,
    ErrorCode.CURRENT_PASSWORD_REQUIRED: 400,
    ErrorCode.INVALID_CURRENT_PASSWORD: 400,
}

exception_handler = problems.exception_handler_for(STATUSES)
