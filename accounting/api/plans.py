"""The plans on offer and a holder's choice among them."""

import uuid

from django.http import HttpResponse
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import errors, selectors, services, wire
from accounting.api import callers
from accounting.api.openapi import (
    HOLDER,
)
from accounting.api.outputs import (
    HolderPlanSerializer,
    PlanSerializer,
)
from accounting.selectors import catalog
from config import conditional
from config.openapi import (
    internal_problems,
)
from config.serializers import StrictInputSerializer


class PlanListApi(APIView):
    """GET /plans: the active plans."""

    @extend_schema_serializer(component_name="PlanList")
    class OutputSerializer(serializers.Serializer):
        """The plans on offer."""

        results = PlanSerializer(many=True)

    @extend_schema(
        operation_id="plans_list",
        parameters=[callers.HOLDER_PARAMETER],
        responses={200: OutputSerializer, **internal_problems(callers.CALLER)},
    )
    def get(self, request: Request) -> HttpResponse:
        """Lists the plans on offer; 304 if ``If-None-Match`` is current.

        Tagged by the cached plans themselves (decision 15): a caller's
        current copy costs the holder check and one cache read.
        """
        callers.caller_check(request)
        plans = catalog.plans_active_data()
        return conditional.respond(
            request, conditional.value_etag(plans), lambda: {"results": plans}
        )


class HolderPlanApi(APIView):
    """GET and PUT /holders/{user_id}/plan: the holder's plan choice."""

    @extend_schema_serializer(component_name="HolderPlanInput")
    class InputSerializer(StrictInputSerializer):
        """The plan to select, or null to clear the choice."""

        plan_id = serializers.CharField(allow_null=True)

    @extend_schema(
        operation_id="holder_plan_get",
        responses={200: HolderPlanSerializer, **internal_problems(HOLDER)},
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        """Returns the holder's plan and when it was selected."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        return Response(wire.holder_plan_data(holder))

    @extend_schema(
        operation_id="holder_plan_set",
        request=InputSerializer,
        responses={
            200: HolderPlanSerializer,
            **internal_problems(
                {404: [errors.ErrorCode.PLAN_NOT_FOUND]}, HOLDER, json_body=True
            ),
        },
    )
    def put(self, request: Request, user_id: uuid.UUID) -> Response:
        """Selects a plan (``plan_id``) or clears it (null)."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan_id = serializer.validated_data["plan_id"]
        holder = selectors.holder_get(user_id=user_id)
        plan = None
        if plan_id is not None:
            plan = selectors.plan_get_active(plan_id=plan_id)
        holder = services.plan_assign(holder=holder, plan=plan)
        return Response(wire.holder_plan_data(holder))
