"""Error codes of the users service and the problems they map to.

Each code is a stable, lowercase string that clients match on; the status
and title of each live here, next to the code, so that a service raises
``users_error(ErrorCode.EMAIL_TAKEN)`` and never repeats HTTP details.
Codes shared by every service (validation, idempotency, ...) are in
:class:`config.problems.Code`.
"""

import enum
from collections.abc import Mapping

from config.problems import ProblemError


class ErrorCode(enum.StrEnum):
    """Problems only the users service raises."""

    EMAIL_TAKEN = "email_taken"
    WEAK_PASSWORD = "weak_password"  # noqa: S105 (a code, not a secret)
    INVALID_CREDENTIALS = "invalid_credentials"
    USER_INACTIVE = "user_inactive"
    CURRENT_PASSWORD_REQUIRED = "current_password_required"  # noqa: S105
    INVALID_CURRENT_PASSWORD = "invalid_current_password"  # noqa: S105


_PROBLEMS: dict[ErrorCode, tuple[int, str]] = {
    ErrorCode.EMAIL_TAKEN: (409, "An account with this email already exists."),
    ErrorCode.WEAK_PASSWORD: (400, "The password is too weak."),
    ErrorCode.INVALID_CREDENTIALS: (401, "Invalid email or password."),
    ErrorCode.USER_INACTIVE: (401, "The user does not exist or was deleted."),
    ErrorCode.CURRENT_PASSWORD_REQUIRED: (
        400,
        "Changing the password requires the current password.",
    ),
    ErrorCode.INVALID_CURRENT_PASSWORD: (
        400,
        "The current password is not correct.",
    ),
}


def users_error(
    code: ErrorCode, *, errors: Mapping[str, list[str]] | None = None
) -> ProblemError:
    """Builds the problem for one of the users service's error codes.

    Args:
        code: The error code.
        errors: Optional per-field messages.

    Returns:
        The exception to raise.
    """
    status, detail = _PROBLEMS[code]
    return ProblemError(status=status, code=code, detail=detail, errors=errors)
