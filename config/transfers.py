"""A transfer's kind and its recipient: one rule for both edges.

``kind: "transfer"`` (the default) moves money from the caller's main
account to another holder's main account ``to_account``, which it needs;
``kind: "savings_release"`` moves the caller's own savings back to main
and takes no recipient. The gateway judges a request with
:func:`recipient_check` before it calls accounting, and accounting judges
its own callers with it again.
"""

import uuid

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

TRANSFER = "transfer"
SAVINGS_RELEASE = "savings_release"
KINDS = (TRANSFER, SAVINGS_RELEASE)
# The help text of ``to_account`` in a request that may be either kind.
TO_ACCOUNT_HELP = (
    "The recipient's main account id: required for `transfer`, absent or "
    "null for `savings_release`."
)


def recipient_check(kind: str, to_account: uuid.UUID | None) -> None:
    """Refuses a transfer without a recipient, a release with one.

    Args:
        kind: One of :data:`KINDS`.
        to_account: The recipient's main account id, or None.

    Raises:
        ValidationError: ``validation_error`` on ``to_account``.
    """
    if kind == TRANSFER and to_account is None:
        raise serializers.ValidationError(
            {
                "to_account": [
                    ErrorDetail(
                        "A transfer needs the recipient's main account id.",
                        code="required",
                    )
                ]
            }
        )
    if kind == SAVINGS_RELEASE and to_account is not None:
        raise serializers.ValidationError(
            {
                "to_account": [
                    "A savings release moves your own savings to main: it "
                    "takes no `to_account`."
                ]
            }
        )
