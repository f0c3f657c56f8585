"""Reads of freezes: which apply now, to a holder or to one wallet."""

import uuid

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounting import models


def freezes_in_force(
    *, holder_id: uuid.UUID, currency: str = ""
) -> QuerySet[models.Freeze]:
    """Returns a holder's freezes that apply now: not lifted nor expired.

    Args:
        holder_id: The holder.
        currency: One wallet: its own freezes and the holder's (of every
            wallet). Blank: all of the holder's.

    Returns:
        The freezes, newest first.
    """
    freezes = models.Freeze.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()),
        holder_id=holder_id,
        lifted_at__isnull=True,
    )
    if currency:
        freezes = freezes.filter(currency__in=["", currency])
    return freezes.order_by("-created_at")
