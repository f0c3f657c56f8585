"""A partner's credit batch as both edges read it.

The gateway checks a batch before it calls accounting, and accounting
checks it again where the money is (it never trusts a caller's input):
both with :class:`CreditBatchInputSerializer`, so they refuse the same
batches with the same pointers. An item names its user by id or by email.
"""

import uuid
from typing import Any

from django.core import validators
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config import bounds, fields, money
from config.serializers import StrictInputSerializer


@extend_schema_field(
    {
        "type": "string",
        "maxLength": bounds.EMAIL_MAX_LENGTH,
        "description": "The user's id (a UUID) or the email they log in "
        "with (any case).",
        "example": "ada@example.com",
    }
)
class UserReferenceField(serializers.CharField):
    """A user named by id or by email."""

    default_error_messages = {
        "invalid_user": "Must be a user's id (a UUID) or an email address."
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=bounds.EMAIL_MAX_LENGTH, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        """Returns the id or the email as sent, trimmed."""
        value = super().to_internal_value(data)
        try:
            uuid.UUID(value)
        except ValueError:
            try:
                validators.validate_email(value)
            except validators.ValidationError:
                self.fail("invalid_user")
        return value


class CreditBatchItemSerializer(StrictInputSerializer):
    """One credit: to whom, how much, and the partner's reference."""

    user = UserReferenceField()
    amount = fields.AmountField()
    currency = fields.CurrencyField()
    reference = serializers.CharField(
        max_length=bounds.REFERENCE_MAX_LENGTH,
        help_text="The partner's own id of this payment: a reference is "
        "credited once, whichever batch brings it again.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Converts the amount to minor units of its currency."""
        with fields.amount_errors("amount"):
            amount = money.to_minor(attrs["amount"], attrs["currency"])
        return {**attrs, "amount": amount}


class CreditBatchInputSerializer(StrictInputSerializer):
    """A batch: 1 to ``CREDIT_BATCH_MAX_ITEMS`` credits."""

    items = CreditBatchItemSerializer(
        many=True,
        min_length=1,
        max_length=bounds.CREDIT_BATCH_MAX_ITEMS,
        allow_empty=False,
    )
