"""Input rules the views share: amounts in minor units, labels."""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from accounting import models
from config import money


def amount_in(
    attrs: dict[str, Any], currency: str, field: str = "amount"
) -> int:
    """Returns ``attrs[field]`` in minor units of ``currency``.

    Raises:
        ValidationError: ``invalid_amount``: more decimals than the
            currency has, or above the per-operation maximum.
    """
    try:
        return money.to_minor(attrs[field], currency)
    except money.MoneyError as error:
        raise serializers.ValidationError(
            {field: [str(error)]}, code=error.code
        ) from error


def target_in(attrs: dict[str, Any]) -> dict[str, Any]:
    """Returns a goal's or a group's fields with its target in minor units.

    The currency defaults to the deployment's; the target is read in it.

    Raises:
        ValidationError: ``invalid_amount`` (see :func:`amount_in`).
    """
    currency = attrs.get("currency") or settings.DEFAULT_CURRENCY
    target = amount_in(attrs, currency, "target_amount")
    return {**attrs, "currency": currency, "target_amount": target}


LABEL_MAX_LENGTH = 100


def label_in(value: str | None) -> str:
    """Returns a credit's source or a withdrawal's category, normalised.

    Labels are stored in one spelling (:func:`models.normalize_label`), so
    the limit applies to what is stored: surrounding and repeated spaces
    do not count, and case folding may lengthen a label (``"ß"`` becomes
    ``"ss"``). Normalising here also makes equivalent bodies share one
    idempotency fingerprint.

    Raises:
        ValidationError: ``validation_error``: longer than
            :data:`LABEL_MAX_LENGTH` once normalised.
    """
    label = models.normalize_label(value)
    if len(label) > LABEL_MAX_LENGTH:
        raise serializers.ValidationError(
            f"At most {LABEL_MAX_LENGTH} characters (after removing extra "
            "spaces)."
        )
    return label
