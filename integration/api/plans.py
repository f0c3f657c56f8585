"""Savings plans: the active catalogue and the caller's choice.

Staff manage plans in the accounting admin; accounting owns them and the
caller's selection. An unknown or inactive plan is accounting's judgement
(404 ``plan_not_found``), passed through.
"""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import links
from config.serializers import StrictInputSerializer
from integration import selectors, services
from integration.api import common
from integration.api.schema import (
    FIRST_PLAN_LINKS,
    NOT_READY,
    RETRY_AFTER_HEADER,
    TAG_PLANS,
    problem_responses,
)
from integration.api.serializers import (
    PlanListSerializer,
    PlanSelectionSerializer,
)
from integration.errors import ErrorCode


class PlanListApi(APIView):
    """GET /plans: the plans a caller may choose."""

    OutputSerializer = PlanListSerializer

    @links(200, **FIRST_PLAN_LINKS)
    @extend_schema(
        operation_id="plans_list",
        summary="List the active plans",
        tags=[TAG_PLANS],
        responses={200: OutputSerializer, **problem_responses()},
    )
    def get(self, request: Request) -> Response:
        """Returns the active plans."""
        return common.render(
            self.OutputSerializer,
            selectors.plan_list(user_id=common.caller_id(request)),
            extra=common.NO_NEXT_PAGE,
        )


class MyPlanApi(APIView):
    """GET and PUT /me/plan: the caller's savings plan."""

    @extend_schema_serializer(component_name="PlanSelect")
    class InputSerializer(StrictInputSerializer):
        """The plan to select, or null."""

        plan_id = serializers.UUIDField(
            allow_null=True, help_text="A plan's id, or null to clear."
        )

    OutputSerializer = PlanSelectionSerializer

    @extend_schema(
        operation_id="me_plan_retrieve",
        summary="Read my plan",
        tags=[TAG_PLANS],
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: OutputSerializer,
            **problem_responses(NOT_READY),
        },
    )
    def get(self, request: Request) -> Response:
        """Returns the caller's plan selection."""
        upstream = selectors.plan_selection_get(
            user_id=common.caller_id(request)
        )
        return common.render(self.OutputSerializer, upstream)

    @extend_schema(
        operation_id="me_plan_update",
        summary="Choose or clear my plan",
        tags=[TAG_PLANS],
        request=InputSerializer,
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: OutputSerializer,
            **problem_responses(
                {404: [ErrorCode.PLAN_NOT_FOUND]}, NOT_READY, json_body=True
            ),
        },
    )
    def put(self, request: Request) -> Response:
        """Selects (or clears) the caller's plan."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan_id = serializer.validated_data["plan_id"]
        upstream = services.plan_select(
            user_id=common.caller_id(request),
            plan_id=None if plan_id is None else str(plan_id),
        )
        return common.render(self.OutputSerializer, upstream)
