"""The FX rates valid now."""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from accounting.api import callers
from accounting.api.outputs import (
    RateSerializer,
)
from accounting.selectors import catalog
from config import conditional, fields, timeparse
from config.openapi import (
    internal_problems,
)
from config.problems import Code
from config.serializers import StrictInputSerializer


class RateListApi(APIView):
    """GET /rates: per currency pair, the rate valid now."""

    @extend_schema_serializer(component_name="RateQuery")
    class InputSerializer(StrictInputSerializer):
        """Optionally one base currency; the holder asking."""

        base = fields.CurrencyField(required=False)
        holder = serializers.UUIDField(required=False)

    @extend_schema_serializer(component_name="RateList")
    class OutputSerializer(serializers.Serializer):
        """The rates valid at ``at``, by base then quote."""

        at = serializers.DateTimeField()
        results = RateSerializer(many=True)

    @extend_schema(
        operation_id="rates_list",
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            **internal_problems(
                {400: [Code.UNSUPPORTED_CURRENCY]}, callers.CALLER
            ),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        """Returns the rates valid now, sorted by base then quote.

        Tagged by the rates themselves (decision 15), weakly: ``at``, the
        instant of reading, is not in the tag, so a copy read earlier is
        current (304) while the rates it lists still are.
        """
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        callers.caller_check(request)
        at = timezone.now()
        rates = catalog.rates_current_data(
            base=serializer.validated_data.get("base"), at=at
        )
        return conditional.respond(
            request,
            conditional.value_etag(rates, weak=True),
            lambda: {"at": timeparse.format_instant(at), "results": rates},
        )
