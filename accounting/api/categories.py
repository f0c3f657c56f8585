"""GET /categories: the staff's suggested expense categories."""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from accounting import selectors
from accounting.api import callers
from config import conditional
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
    def get(self, request: Request) -> HttpResponse:
        """Lists the categories; 304 if ``If-None-Match`` is current.

        Tagged by the cached names themselves (decision 15).
        """
        callers.caller_check(request)
        names = selectors.categories_active()
        return conditional.respond(
            request,
            conditional.value_etag(names),
            lambda: {"results": [{"name": name} for name in names]},
        )
