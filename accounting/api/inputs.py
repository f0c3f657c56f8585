"""Input rules the views share: amounts in minor units."""

from typing import Any

from django.conf import settings

from config import fields, money


def amount_in(
    attrs: dict[str, Any], currency: str, field: str = "amount"
) -> int:
    """Returns ``attrs[field]`` in minor units of ``currency``.

    Raises:
        ValidationError: ``invalid_amount``: more decimals than the
            currency has, or above the per-operation maximum.
    """
    with fields.amount_errors(field):
        return money.to_minor(attrs[field], currency)


def target_in(attrs: dict[str, Any]) -> dict[str, Any]:
    """Returns a goal's or a group's fields with its target in minor units.

    The currency defaults to the deployment's; the target is read in it.

    Raises:
        ValidationError: ``invalid_amount`` (see :func:`amount_in`).
    """
    currency = attrs.get("currency") or settings.DEFAULT_CURRENCY
    target = amount_in(attrs, currency, "target_amount")
    return {**attrs, "currency": currency, "target_amount": target}
