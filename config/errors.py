"""What a refusal is, in every service: a stable code, never an HTTP status.

Services and selectors raise a :class:`DomainError` (through their app's
base: ``accounting.errors``, ``users.errors``, ``integration.errors``); the
code is a lowercase string from the app's ``ErrorCode`` or, when every
service shares it, from :class:`Code`. Each service's API maps codes to
statuses in one place (``<app>/api/problems.py``), and the shared exception
handler (``config.problems``) renders the problem document.
"""

import enum
from collections.abc import Mapping

# Seconds a client is told to wait (``Retry-After``) when a dependency (a
# database, a service behind the gateway) is out for a moment.
OUTAGE_RETRY_AFTER = 5


class Code(enum.StrEnum):
    """Error codes shared by every service (each app adds its own enum)."""

    VALIDATION_ERROR = "validation_error"
    MALFORMED_JSON = "malformed_json"
    MALFORMED_REQUEST = "malformed_request"
    HEADERS_TOO_LARGE = "request_header_fields_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 (an error code, no secret)
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    DATABASE_UNAVAILABLE = "database_unavailable"
    INVALID_AMOUNT = "invalid_amount"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
    INVALID_DATETIME = "invalid_datetime"
    INVALID_RANGE = "invalid_range"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_FLIGHT = "idempotency_key_in_flight"


class DomainError(Exception):
    """A request a service's rules refuse; nothing was changed.

    Attributes:
        code: The stable machine-readable code.
        detail: What went wrong in this occurrence, for humans.
        errors: Per-field messages, or None.
        retry_after: Seconds after which the same request may succeed (the
            refusal is a passing state, such as a request still running),
            or None when retrying will not help.
    """

    def __init__(
        self,
        *,
        code: str,
        detail: str = "",
        errors: Mapping[str, list[str]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail or code)
        self.code = str(code)
        self.detail = detail
        self.errors = dict(errors) if errors else None
        self.retry_after = retry_after
