"""Domain errors of the users service, each with a stable code.

Services and selectors raise these subclasses; callers catch
:class:`UsersError`. None knows HTTP: the internal API answers each code
with the public status the gateway passes through (``users.api.problems``).
Codes shared by every service (idempotency, tokens, ...) are in
:class:`config.errors.Code`.
"""

import enum
from collections.abc import Mapping

from config.errors import Code, DomainError


class ErrorCode(enum.StrEnum):
    """Problems only the users service raises."""

    EMAIL_TAKEN = "email_taken"
    WEAK_PASSWORD = "weak_password"  # noqa: S105 (a code, not a secret)
    INVALID_CREDENTIALS = "invalid_credentials"
    USER_INACTIVE = "user_inactive"
    CURRENT_PASSWORD_REQUIRED = "current_password_required"  # noqa: S105
    INVALID_CURRENT_PASSWORD = "invalid_current_password"  # noqa: S105


class UsersError(DomainError):
    """Base of every users domain error.

    Subclasses fix the code and its detail; an occurrence may name the
    fields at fault.
    """

    error_code: str = Code.VALIDATION_ERROR
    default_detail: str = ""

    def __init__(
        self, *, errors: Mapping[str, list[str]] | None = None
    ) -> None:
        super().__init__(
            code=self.error_code, detail=self.default_detail, errors=errors
        )


class EmailTakenError(UsersError):
    """A live user has that email already."""

    error_code = ErrorCode.EMAIL_TAKEN
    default_detail = "An account with this email already exists."


class WeakPasswordError(UsersError):
    """The password fails the password validators (named in ``errors``)."""

    error_code = ErrorCode.WEAK_PASSWORD
    default_detail = "The password is too weak."


class InvalidCredentialsError(UsersError):
    """A login failed, whatever was wrong: nothing tells which part."""

    error_code = ErrorCode.INVALID_CREDENTIALS
    default_detail = "Invalid email or password."


class UserInactiveError(UsersError):
    """No active user with that id (unknown, deleted or suspended)."""

    error_code = ErrorCode.USER_INACTIVE
    default_detail = "The user does not exist or was deleted."


class CurrentPasswordRequiredError(UsersError):
    """A new password was sent without the current one."""

    error_code = ErrorCode.CURRENT_PASSWORD_REQUIRED
    default_detail = "Changing the password requires the current password."


class InvalidCurrentPasswordError(UsersError):
    """The current password sent with a new one is wrong."""

    error_code = ErrorCode.INVALID_CURRENT_PASSWORD
    default_detail = "The current password is not correct."


class InvalidTokenError(UsersError):
    """A refresh token that cannot be used, whatever the reason."""

    error_code = Code.INVALID_TOKEN
    default_detail = "The refresh token is invalid, expired or revoked."
