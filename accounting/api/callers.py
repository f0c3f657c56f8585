"""Who asks for the catalog: plans, rates and categories.

The catalog is the same for every user, but a deleted or suspended user
must not read it either (their access token may live a few more minutes).
The gateway names the user asking as ``?holder=<user id>``; a closed
holder is refused with 401 ``user_inactive``. A user whose creation event
has not arrived yet is no holder yet, and passes: a new user may read the
plans at once.
"""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request

from accounting import errors, selectors
from config.problems import Code

HOLDER_PARAMETER = OpenApiParameter(
    name="holder",
    type=OpenApiTypes.UUID,
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        "The user asking; a deleted or suspended one is refused (401)."
    ),
)
# What a catalog operation answers about the ``holder`` it is given.
CALLER = {
    400: [Code.VALIDATION_ERROR],
    401: [errors.ErrorCode.USER_INACTIVE],
}


def caller_check(request: Request) -> None:
    """Refuses a request made for a deleted or suspended user.

    Args:
        request: The request; its ``holder`` parameter names the user.

    Raises:
        ValidationError: ``holder`` is not a UUID.
        HolderClosedError: The holder is closed (401 ``user_inactive``).
    """
    holder = request.query_params.get("holder")
    if holder is None:
        return
    try:
        user_id = uuid.UUID(holder)
    except ValueError as error:
        raise serializers.ValidationError(
            {"holder": ["Must be a UUID."]}
        ) from error
    selectors.holder_check_open(user_id=user_id)
