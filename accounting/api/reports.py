"""GET /holders/{user_id}/reports/summary: income, expenses and savings.

The view parses the query like the transaction list (a bare date ``to``
is the whole UTC day), resolves the holder and renders the report the
selector computes (``accounting.selectors.reports``).
"""

import uuid

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import selectors, wire
from accounting.api.openapi import HOLDER
from accounting.selectors import reports, versions
from config import conditional, fields
from config.openapi import internal_problems
from config.problems import Code
from config.serializers import StrictInputSerializer


class ReportGroupSerializer(serializers.Serializer):
    """One group of a report."""

    key = serializers.CharField(
        allow_null=True,
        help_text=(
            'The category, the source or the month ("YYYY-MM", UTC); null: '
            "no category or source (and every other kind of transaction)."
        ),
    )
    income = serializers.CharField()
    expenses = serializers.CharField()
    saved = serializers.CharField(help_text="Net; may be negative.")
    savings_rate = serializers.CharField(
        allow_null=True, help_text='saved / income in percent ("12.50").'
    )
    transactions = serializers.IntegerField(min_value=0)


class ReportSummaryApi(APIView):
    """GET /holders/{user_id}/reports/summary: a grouped report."""

    @extend_schema_serializer(component_name="ReportQuery")
    class InputSerializer(StrictInputSerializer):
        """The range, the grouping and the currency of the report."""

        group_by = serializers.ChoiceField(choices=reports.GROUP_BY)
        to = fields.InstantField(
            required=False,
            end_of_day=True,
            help_text="The last instant included; default: now.",
        )
        currency = fields.CurrencyField(required=False)

        def get_fields(self) -> dict[str, serializers.Field]:
            """Adds ``from``, a Python keyword, as a field name."""
            return {
                "from": fields.InstantField(
                    required=False,
                    help_text="The first instant included; default: all.",
                ),
                **super().get_fields(),
            }

    @extend_schema_serializer(component_name="ReportSummary")
    class OutputSerializer(serializers.Serializer):
        """The response: totals, then the groups that add up to them."""

        to = serializers.DateTimeField()
        currency = serializers.CharField()
        group_by = serializers.ChoiceField(choices=reports.GROUP_BY)
        income = serializers.CharField(help_text="Credits and transfers in.")
        expenses = serializers.CharField(
            help_text="Withdrawals and transfers out."
        )
        saved = serializers.CharField(
            help_text=(
                "Net change of savings (plan splits in, releases out); "
                "group contributions stay saved. May be negative."
            )
        )
        savings_rate = serializers.CharField(
            allow_null=True,
            help_text='saved / income in percent ("12.50"); null: no income.',
        )
        groups = ReportGroupSerializer(many=True)

        def get_fields(self) -> dict[str, serializers.Field]:
            """Adds ``from``, a Python keyword, as a field name."""
            return {
                "from": serializers.DateTimeField(allow_null=True),
                **super().get_fields(),
            }

    @extend_schema(
        operation_id="holder_reports_summary",
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            **internal_problems(
                {
                    400: [
                        Code.INVALID_DATETIME,
                        Code.INVALID_RANGE,
                        Code.UNSUPPORTED_CURRENCY,
                        Code.VALIDATION_ERROR,
                    ]
                },
                HOLDER,
            ),
        },
    )
    def get(self, request: Request, user_id: uuid.UUID) -> HttpResponse:
        """Returns the holder's report over ``from``..``to`` (inclusive)."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = serializer.validated_data
        holder = selectors.holder_get(user_id=user_id)
        # Decision 14: the caller's copy checked first, from two sequences.
        etag = versions.report_etag(holder_id=holder.pk, query=query)
        if conditional.current(request, etag):
            return conditional.unchanged(etag)
        report = selectors.report_summary(
            holder_id=holder.pk,
            currency=query.get("currency", settings.DEFAULT_CURRENCY),
            start=query.get("from"),
            end=query.get("to") or timezone.now(),
            group_by=query["group_by"],
        )
        return conditional.tagged(Response(wire.report_data(report)), etag)
