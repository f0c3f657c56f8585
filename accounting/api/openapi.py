"""What the holder operations of the internal API document in common."""

from typing import Any

from accounting import errors
from config.openapi import (
    IDEMPOTENCY_KEY_PARAMETER,
    IDEMPOTENT_REPLAYED_HEADER,
    IDEMPOTENT_WRITE,
    UNKNOWN_PATH,
    StatusCodes,
    internal_problems,
)
from config.problems import Code

# What every operation on a holder (``holders/{user_id}/...``) may answer:
# the holder is closed, not created yet (its user's event is on its way),
# or the id is not a UUID.
HOLDER = {
    401: [errors.ErrorCode.USER_INACTIVE],
    409: [errors.ErrorCode.ACCOUNT_NOT_READY],
    **UNKNOWN_PATH,
}


def holder_link(operation: str, **parameters: str) -> dict[str, Any]:
    """Returns an OpenAPI link to another operation on the same holder.

    Args:
        operation: The target's ``operationId``.
        **parameters: Its other parameters, as runtime expressions.
    """
    return {
        "operationId": operation,
        "parameters": {"user_id": "$request.path.user_id", **parameters},
    }


# From a movement's answer to the transaction it wrote.
TRANSACTION_LINKS = {
    "GetTransaction": holder_link(
        "holder_transactions_get",
        transaction_id="$response.body#/transaction/id",
    )
}

# What a POST that takes an Idempotency-Key documents.
IDEMPOTENT = [IDEMPOTENCY_KEY_PARAMETER, IDEMPOTENT_REPLAYED_HEADER]


# Every POST that moves money may answer these, besides its own judgements
# (and the key's, IDEMPOTENT_WRITE).
MOVEMENT = {
    400: [Code.INVALID_AMOUNT, Code.UNSUPPORTED_CURRENCY],
    422: [
        errors.ErrorCode.ACCOUNT_NOT_OPEN,
        errors.ErrorCode.ACCOUNT_CLOSED,
        errors.ErrorCode.ACCOUNT_FROZEN,
    ],
}


def movement_errors(own: StatusCodes) -> dict[tuple[int, str], Any]:
    """Documents a movement's problems: its own codes, then the shared ones.

    Args:
        own: The codes only this movement answers, per status.

    Returns:
        The error responses for ``extend_schema(responses=...)``.
    """
    return internal_problems(
        own, MOVEMENT, IDEMPOTENT_WRITE, HOLDER, json_body=True
    )
