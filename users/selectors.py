"""Reads of the users service.

The API sees only active, undeleted users: anyone else is
``user_inactive``, the same answer for unknown, deleted and suspended
users. The admin may also reach suspended users (to reinstate them).
"""

import uuid

from users import errors
from users.models import User


def user_get(
    *,
    user_id: uuid.UUID,
    include_inactive: bool = False,
    for_update: bool = False,
) -> User:
    """Returns an undeleted user.

    Args:
        user_id: The user's id.
        include_inactive: Also return suspended users.
        for_update: Lock the row until the transaction ends.

    Returns:
        The user.

    Raises:
        UsersError: ``user_inactive``: unknown, deleted or (unless
            included) suspended.
    """
    users = User.objects.live()
    if not include_inactive:
        users = users.filter(is_active=True)
    if for_update:
        users = users.select_for_update()
    user = users.filter(id=user_id).first()
    if user is None:
        raise errors.UserInactiveError()
    return user


def user_version(*, user_id: uuid.UUID) -> int:
    """Returns an active user's ``version``: one column, one index probe.

    Every change of what the API shows of a user (``users.services``, the
    admin through them) moves it, so it tags the user's answer.

    Args:
        user_id: The user's id.

    Returns:
        The version.

    Raises:
        UsersError: ``user_inactive``: unknown, deleted or suspended.
    """
    version = (
        User.objects.live()
        .filter(id=user_id, is_active=True)
        .values_list("version", flat=True)
        .first()
    )
    if version is None:
        raise errors.UserInactiveError()
    return version


def user_is_active(*, user_id: object) -> bool:
    """Returns whether an id names an active, undeleted user.

    Args:
        user_id: A user id as found in a token (a UUID string, or anything).
    """
    try:
        user_uuid = uuid.UUID(str(user_id))
    except ValueError:
        return False
    return User.objects.live().filter(id=user_uuid, is_active=True).exists()
