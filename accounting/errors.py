"""Domain errors of the accounting service, each with a stable code.

Guards in ``services`` and ``selectors`` raise these subclasses; callers
catch :class:`AccountingError`. None knows HTTP: the internal API answers
each code with the public status the gateway passes through
(``accounting.api.problems``).
"""

import enum

from config import ranges
from config.errors import Code, DomainError


class ErrorCode(enum.StrEnum):
    """Codes of the accounting service (shared ones live in ``Code``)."""

    ACCOUNT_NOT_READY = "account_not_ready"
    USER_INACTIVE = "user_inactive"
    ACCOUNT_NOT_OPEN = "account_not_open"
    AMOUNT_NOT_ABOVE_FLAT_AMOUNT = "amount_not_above_flat_amount"
    PLAN_NOT_FOUND = "plan_not_found"
    TRANSACTION_NOT_FOUND = "transaction_not_found"
    ACCOUNT_NOT_FOUND = "account_not_found"
    ACCOUNT_CLOSED = "account_closed"
    ACCOUNT_FROZEN = "account_frozen"
    SAME_ACCOUNT = "same_account"
    CURRENCY_MISMATCH = "currency_mismatch"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    SAVINGS_LOCKED = "savings_locked"
    SAME_CURRENCY = "same_currency"
    RATE_UNAVAILABLE = "rate_unavailable"
    AMOUNT_TOO_SMALL = "amount_too_small"
    GROUP_NOT_FOUND = "group_not_found"
    USER_NOT_FOUND = "user_not_found"
    ALREADY_MEMBER = "already_member"
    GOAL_NOT_FOUND = "goal_not_found"
    RATE_BACKDATED = "rate_backdated"
    INVALID_IMPORT = "invalid_import"
    IMPORT_NOT_FOUND = "import_not_found"
    INVALID_API_KEY = "invalid_api_key"
    BATCH_NOT_FOUND = "batch_not_found"
    DUPLICATE_REFERENCE = "duplicate_reference"
    INVALID_WEBHOOK_URL = "invalid_webhook_url"
    WEBHOOK_NOT_FOUND = "webhook_not_found"
    DELIVERY_NOT_FOUND = "delivery_not_found"
    # Staff's four-eyes requests (the accounting admin; no API serves them).
    FOUR_EYES_SAME_STAFF = "four_eyes_same_staff"
    STAFF_REQUEST_DECIDED = "staff_request_decided"
    STAFF_REQUEST_PENDING = "staff_request_pending"
    TRANSACTION_NOT_REVERSIBLE = "transaction_not_reversible"
    TRANSACTION_ALREADY_REVERSED = "transaction_already_reversed"
    REVERSAL_INSUFFICIENT_FUNDS = "reversal_insufficient_funds"


class AccountingError(DomainError):
    """Base of every accounting domain error.

    Subclasses fix the code, and ``retry_after`` when the refusal passes
    by itself; an occurrence adds a detail.
    """

    error_code: str = Code.VALIDATION_ERROR
    default_detail: str = ""
    retry_after: int | None = None

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            code=self.error_code,
            detail=detail or self.default_detail,
            retry_after=self.retry_after,
        )


class HolderNotReadyError(AccountingError):
    """The user's creation event has not reached accounting yet."""

    error_code = ErrorCode.ACCOUNT_NOT_READY
    default_detail = "The account is being set up; retry shortly."
    retry_after = 1


class HolderClosedError(AccountingError):
    """The user was deleted; the holder and its accounts are closed."""

    error_code = ErrorCode.USER_INACTIVE
    default_detail = "The user is inactive."


class AccountNotOpenError(AccountingError):
    """The holder has no wallet in the currency."""

    error_code = ErrorCode.ACCOUNT_NOT_OPEN


class AccountClosedError(AccountingError):
    """The holder's wallet was closed by staff: it accepts nothing."""

    error_code = ErrorCode.ACCOUNT_CLOSED
    default_detail = "This account is closed."


class AccountFrozenError(AccountingError):
    """Staff froze the wallet against this movement (``models.Freeze``).

    The detail names the wallet and what the freeze stops, never the
    staff's reason.
    """

    error_code = ErrorCode.ACCOUNT_FROZEN
    default_detail = "This account is frozen."


class AccountNotFoundError(AccountingError):
    """No open main account with that id (unknown, closed or savings)."""

    error_code = ErrorCode.ACCOUNT_NOT_FOUND
    default_detail = "No open account with that id."


class SameAccountError(AccountingError):
    """A transfer from an account to itself."""

    error_code = ErrorCode.SAME_ACCOUNT
    default_detail = "A transfer needs another recipient than the sender."


class CurrencyMismatchError(AccountingError):
    """A transfer's currency is not the recipient account's."""

    error_code = ErrorCode.CURRENCY_MISMATCH


class InsufficientFundsError(AccountingError):
    """The account holds less than the amount to take from it."""

    error_code = ErrorCode.INSUFFICIENT_FUNDS


class SavingsLockedError(AccountingError):
    """Part of the savings is still within the plan's holding period."""

    error_code = ErrorCode.SAVINGS_LOCKED


class SameCurrencyError(AccountingError):
    """A conversion into the currency it starts from."""

    error_code = ErrorCode.SAME_CURRENCY
    default_detail = "A conversion needs two different currencies."


class RateUnavailableError(AccountingError):
    """No rate for the pair is valid at the conversion's instant."""

    error_code = ErrorCode.RATE_UNAVAILABLE


class AmountTooSmallError(AccountingError):
    """The converted amount rounds to zero in the target currency."""

    error_code = ErrorCode.AMOUNT_TOO_SMALL


class AmountNotAboveFlatAmountError(AccountingError):
    """A credit must exceed the flat amount its plan saves."""

    error_code = ErrorCode.AMOUNT_NOT_ABOVE_FLAT_AMOUNT


class PlanNotFoundError(AccountingError):
    """No active plan with that id."""

    error_code = ErrorCode.PLAN_NOT_FOUND
    default_detail = "No active plan with that id."


class TransactionNotFoundError(AccountingError):
    """No transaction with that id for that holder."""

    error_code = ErrorCode.TRANSACTION_NOT_FOUND
    default_detail = "No transaction with that id."


class InvalidRangeError(AccountingError):
    """``from`` is after ``to``."""

    error_code = Code.INVALID_RANGE
    default_detail = ranges.MESSAGE


class InvalidCursorError(AccountingError):
    """The pagination cursor is not one this service issued."""

    error_code = Code.INVALID_CURSOR
    default_detail = "The cursor is invalid."


class GroupNotFoundError(AccountingError):
    """No savings group with that id among the caller's groups.

    A group the caller is not a member of is unknown to them, so that its
    existence is not disclosed to strangers.
    """

    error_code = ErrorCode.GROUP_NOT_FOUND
    default_detail = "No group with that id."


class UserNotFoundError(AccountingError):
    """No open holder has that email (a group member must have one)."""

    error_code = ErrorCode.USER_NOT_FOUND
    default_detail = "No user with that email."


class AlreadyMemberError(AccountingError):
    """The user is a member of the group already."""

    error_code = ErrorCode.ALREADY_MEMBER
    default_detail = "This user is a member of the group already."


class GoalNotFoundError(AccountingError):
    """No goal with that id among the holder's goals.

    Another holder's goal is unknown too, so ids cannot be probed.
    """

    error_code = ErrorCode.GOAL_NOT_FOUND
    default_detail = "No goal with that id."


class FieldInvalidError(AccountingError):
    """A field of a write breaks a rule: nothing is written.

    Rendered like a serializer's validation error, with the field named in
    ``errors`` (and in ``field``, for a form that shows it there); an amount
    that is not a positive amount of its currency is ``invalid_amount``, as
    everywhere amounts are refused.
    """

    def __init__(
        self, field: str, message: str, *, code: str = Code.VALIDATION_ERROR
    ) -> None:
        super().__init__(message)
        self.code = str(code)
        self.field = field
        self.errors = {field: [message]}


class GoalInvalidError(FieldInvalidError):
    """A goal's field breaks a rule (blank name, target, past date)."""


class PlanInvalidError(FieldInvalidError):
    """A plan's field breaks a rule (name, kind, currency, value, days)."""


class CategoryInvalidError(FieldInvalidError):
    """A category's name is blank, too long or another category's."""


class EffectiveAtInFutureError(FieldInvalidError):
    """A dated credit or withdrawal dated after the instant it is booked.

    What has not happened yet cannot be recorded as having happened.
    """

    def __init__(self) -> None:
        super().__init__(
            "effective_at", "A record cannot take effect in the future."
        )


class FreezeInvalidError(FieldInvalidError):
    """A freeze or a lift without a reason, or expiring in the past."""


class RateInvalidError(FieldInvalidError):
    """A rate that is not a positive number of ``numeric(24, 10)``."""


class RateBackdatedError(AccountingError):
    """A new rate would start at or before the pair's latest conversion.

    That conversion applied the rate valid at its instant; a rate starting
    before it would make history say another rate applied then.
    """

    error_code = ErrorCode.RATE_BACKDATED


class ImportInvalidError(AccountingError):
    """A file that cannot be read as a statement: nothing is imported."""

    error_code = ErrorCode.INVALID_IMPORT


class ImportTooLargeError(AccountingError):
    """A statement over the size an import takes."""

    error_code = Code.PAYLOAD_TOO_LARGE


class ImportNotFoundError(AccountingError):
    """No import with that id among the holder's."""

    error_code = ErrorCode.IMPORT_NOT_FOUND
    default_detail = "No import with that id."


# --- Partners ----------------------------------------------------------------


class ApiKeyInvalidError(AccountingError):
    """No partner key is that one: unknown, or revoked."""

    error_code = ErrorCode.INVALID_API_KEY
    default_detail = "The API key is invalid or revoked."


class BatchInvalidError(FieldInvalidError):
    """A batch without items, with too many, or with a reference twice."""


class BatchNotFoundError(AccountingError):
    """No credit batch with that id among the partner's."""

    error_code = ErrorCode.BATCH_NOT_FOUND
    default_detail = "No credit batch with that id."


class DuplicateReferenceError(AccountingError):
    """A batch item whose reference the partner had credited already."""

    error_code = ErrorCode.DUPLICATE_REFERENCE
    default_detail = "This reference was credited already."


# --- Webhooks ----------------------------------------------------------------


class WebhookUrlInvalidError(AccountingError):
    """A webhook endpoint we refuse to post to (``accounting.webhooks``).

    Its form (an absolute http(s) URL, https where required, no credentials,
    no fragment, not too long), or where it leads: a host that does not
    resolve, or that resolves to an address that is not public, which would
    let a caller make this service reach its own network (SSRF).
    """

    error_code = ErrorCode.INVALID_WEBHOOK_URL


class WebhookInvalidError(FieldInvalidError):
    """An endpoint's event types that are none, or one endpoint too many."""


class WebhookNotFoundError(AccountingError):
    """No webhook endpoint with that id among the account's."""

    error_code = ErrorCode.WEBHOOK_NOT_FOUND
    default_detail = "No webhook with that id."


class DeliveryNotFoundError(AccountingError):
    """No delivery with that id among the endpoint's."""

    error_code = ErrorCode.DELIVERY_NOT_FOUND
    default_detail = "No delivery with that id."


class FourEyesSameStaffError(AccountingError):
    """The staff member who asked cannot approve their own request."""

    error_code = ErrorCode.FOUR_EYES_SAME_STAFF
    default_detail = "Another staff member must approve this: you asked for it."


class StaffRequestDecidedError(AccountingError):
    """The request was already approved or rejected."""

    error_code = ErrorCode.STAFF_REQUEST_DECIDED
    default_detail = "This request was already decided."


class StaffRequestPendingError(AccountingError):
    """The same action on the same target already awaits approval."""

    error_code = ErrorCode.STAFF_REQUEST_PENDING
    default_detail = "The same request already awaits approval."


class TransactionNotReversibleError(AccountingError):
    """Staff asked to reverse a kind that has no sound mirror.

    A reversal itself (undo it with a new movement), a savings release
    (the holder's own choice, not a mistake of ours) or a group
    contribution (the pot is shared: other members may have moved it).
    """

    error_code = ErrorCode.TRANSACTION_NOT_REVERSIBLE


class TransactionAlreadyReversedError(AccountingError):
    """The movement was reversed already, for another reason.

    The same reversal asked again answers the first; a different one is
    refused, so that two staff members never believe both applied.
    """

    error_code = ErrorCode.TRANSACTION_ALREADY_REVERSED


class ReversalInsufficientFundsError(AccountingError):
    """A reversal would take more than an account holds now.

    The holder spent the money (a transfer's recipient, a credit's savings
    released): the detail names the account and the shortfall.
    """

    error_code = ErrorCode.REVERSAL_INSUFFICIENT_FUNDS


class ReversalInvalidError(FieldInvalidError):
    """A reversal's reason is blank or too long."""
