"""OpenAPI documentation helpers shared by every service's schema.

Every error is an RFC 9457 problem document; each operation lists, per
status, the stable codes it may answer with, so a client can branch on
``code`` without reading the source.
"""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
    )

    class Meta:
        """The component is named ``Problem``."""

        ref_name = "Problem"


def problem(*codes: str) -> OpenApiResponse:
    """Documents a problem response and the codes it may carry.

    Args:
        *codes: The stable codes of this status for the operation.

    Returns:
        The response to put in ``extend_schema(responses=...)``.
    """
    return OpenApiResponse(
        response=ProblemSerializer,
        description="Problem details; code: "
        + ", ".join(f"`{code}`" for code in codes),
    )
