"""Reads of holders: the accounting side of a user, and whether it is open.

A holder is created by the user's creation event, which travels from the
users service through the outbox and RabbitMQ; until it arrives, the user
is unknown here and asked to retry (``account_not_ready``).
"""

import uuid

from accounting import errors, models


def holder_get(*, user_id: uuid.UUID) -> models.Holder:
    """Returns an open holder (with its plan).

    Args:
        user_id: The user's id.

    Returns:
        The holder.

    Raises:
        HolderNotReadyError: Unknown: its creation event is on its way.
        HolderClosedError: The user was deleted.
    """
    holder = (
        models.Holder.objects.select_related("plan").filter(pk=user_id).first()
    )
    if holder is None:
        raise errors.HolderNotReadyError()
    if holder.is_closed:
        raise errors.HolderClosedError()
    return holder


def holder_check_open(*, user_id: uuid.UUID) -> None:
    """Refuses a closed holder (deleted or suspended); unknown ones pass.

    Args:
        user_id: The user's id.

    Raises:
        HolderClosedError: The holder is closed.
    """
    if models.Holder.objects.filter(
        pk=user_id, closed_at__isnull=False
    ).exists():
        raise errors.HolderClosedError()
