"""GET /categories: the staff's suggested expense categories."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import selectors
from accounting.api import callers
from config.openapi import internal_problems


class CategorySerializer(serializers.Serializer):
    """A suggested category (withdrawals accept any other too)."""

    name = serializers.CharField(help_text="Normalised: lower case.")


class CategoryListApi(APIView):
    """GET /categories: the active categories, by name."""

    @extend_schema_serializer(component_name="CategoryList")
    class OutputSerializer(serializers.Serializer):
        """The active expense categories, by name."""

        results = CategorySerializer(many=True)

    @extend_schema(
        operation_id="categories_list",
        parameters=[callers.HOLDER_PARAMETER],
        responses={200: OutputSerializer, **internal_problems(callers.CALLER)},
    )
    def get(self, request: Request) -> Response:
        """Lists the categories a client offers first."""
        callers.caller_check(request)
        names = selectors.categories_active()
        return Response({"results": [{"name": name} for name in names]})
