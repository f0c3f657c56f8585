"""Savings goals over the internal API: list, create, read, change, delete.

One view per path, as in :mod:`accounting.api`: parse, call one selector
or service, render. A goal exists only for its holder: another holder's id
is ``goal_not_found``, like an unknown one. Setting a goal takes an
Idempotency-Key, as a money movement does.
"""

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import errors, selectors, services
from accounting.api.inputs import amount_in, target_in
from accounting.api.keyed import keyed_hash, keyed_response
from accounting.api.openapi import HOLDER, IDEMPOTENT, holder_link
from config import bounds, fields
from config.idempotency import keys as idempotency_keys
from config.openapi import IDEMPOTENT_WRITE, internal_problems, links
from config.problems import Code
from config.serializers import StrictInputSerializer

# From an answer holding a goal to the operations on it.
GOAL_LINKS = {
    f"{name}Goal": holder_link(
        f"holder_goals_{operation}", goal_id="$response.body#/id"
    )
    for name, operation in (
        ("Get", "get"),
        ("Update", "update"),
        ("Delete", "delete"),
    )
}
GOAL_NOT_FOUND = {404: [errors.ErrorCode.GOAL_NOT_FOUND]}
GOAL_INPUT = {400: [Code.INVALID_AMOUNT, Code.UNSUPPORTED_CURRENCY]}


@extend_schema_serializer(component_name="Goal")
class GoalSerializer(serializers.Serializer):
    """A savings goal and its progress."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    target_amount = serializers.CharField()
    currency = serializers.CharField()
    saved = serializers.CharField(
        help_text=(
            "The goal's share of the savings balance in its currency "
            "(shared out among the goals in order)."
        )
    )
    progress_percent = serializers.CharField(
        help_text='saved / target_amount, rounded down: "42.50".'
    )
    target_date = serializers.DateField(allow_null=True)
    on_track = serializers.BooleanField(
        allow_null=True,
        help_text=(
            "Saved at least the share of the target the time elapsed calls "
            "for; null without a target date."
        ),
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class GoalListApi(APIView):
    """GET and POST /holders/{user_id}/goals: the holder's goals."""

    @extend_schema_serializer(component_name="GoalInput")
    class InputSerializer(StrictInputSerializer):
        """A new goal: its name, target and optional date."""

        name = serializers.CharField(max_length=bounds.NAME_MAX_LENGTH)
        target_amount = fields.AmountField()
        currency = fields.CurrencyField(required=False)
        target_date = fields.DayField(
            required=False,
            allow_null=True,
            default=None,
            help_text="YYYY-MM-DD, today (UTC) or later; null: none.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """Converts the target to minor units of the currency."""
            return target_in(attrs)

    @extend_schema_serializer(component_name="GoalList")
    class OutputSerializer(serializers.Serializer):
        """The holder's goals, in the order savings are allocated."""

        results = GoalSerializer(many=True)

    @extend_schema(
        operation_id="holder_goals_list",
        responses={200: OutputSerializer, **internal_problems(HOLDER)},
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        """Lists the goals in allocation order, with their progress."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        statuses = selectors.goals_list(holder=holder)
        return Response({"results": [selectors.goal_data(s) for s in statuses]})

    @links(201, **GOAL_LINKS)
    @extend_schema(
        operation_id="holder_goals_create",
        parameters=IDEMPOTENT,
        request=InputSerializer,
        responses={
            201: GoalSerializer,
            **internal_problems(
                GOAL_INPUT, IDEMPOTENT_WRITE, HOLDER, json_body=True
            ),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Sets a new goal, once per key; replays carry the header."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        goal = serializer.validated_data
        result = services.goal_set(
            holder_id=user_id,
            idempotency_key=key,
            request_hash=keyed_hash("goal", goal) if key else "",
            **goal,
        )
        return keyed_response(result)


class GoalDetailApi(APIView):
    """GET, PATCH and DELETE /holders/{user_id}/goals/{goal_id}."""

    @extend_schema_serializer(component_name="GoalChange")
    class InputSerializer(StrictInputSerializer):
        """The request: the fields to change."""

        name = serializers.CharField(
            max_length=bounds.NAME_MAX_LENGTH, required=False
        )
        target_amount = fields.AmountField(
            required=False,
            help_text="In the new currency if one is given, else the goal's.",
        )
        currency = fields.CurrencyField(
            required=False,
            help_text=(
                "Without a target_amount the target keeps its value: "
                '"500.00" USD becomes "500.00" EUR.'
            ),
        )
        target_date = fields.DayField(
            required=False,
            allow_null=True,
            help_text="YYYY-MM-DD, today (UTC) or later; null clears it.",
        )

    @extend_schema(
        operation_id="holder_goals_get",
        responses={
            200: GoalSerializer,
            **internal_problems(GOAL_NOT_FOUND, HOLDER),
        },
    )
    def get(
        self, request: Request, user_id: uuid.UUID, goal_id: str
    ) -> Response:
        """Returns the goal and its progress."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        status = selectors.goal_get(holder=holder, goal_id=goal_id)
        return Response(selectors.goal_data(status))

    @links(200, **GOAL_LINKS)
    @extend_schema(
        operation_id="holder_goals_update",
        request=InputSerializer,
        responses={
            200: GoalSerializer,
            **internal_problems(
                GOAL_INPUT, GOAL_NOT_FOUND, HOLDER, json_body=True
            ),
        },
    )
    def patch(
        self, request: Request, user_id: uuid.UUID, goal_id: str
    ) -> Response:
        """Changes the fields given; the others stay as they are."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        holder = selectors.holder_get(user_id=user_id)
        goal = selectors.goal_of_holder(holder=holder, goal_id=goal_id)
        if "target_amount" in changes:
            currency = changes.get("currency", goal.currency)
            changes["target_amount"] = amount_in(
                changes, currency, "target_amount"
            )
        services.goal_update(goal=goal, changes=changes)
        status = selectors.goal_get(holder=holder, goal_id=goal.pk)
        return Response(selectors.goal_data(status))

    @extend_schema(
        operation_id="holder_goals_delete",
        responses={
            204: None,
            **internal_problems(GOAL_NOT_FOUND, HOLDER),
        },
    )
    def delete(
        self, request: Request, user_id: uuid.UUID, goal_id: str
    ) -> Response:
        """Deletes the goal (the savings stay where they are)."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        goal = selectors.goal_of_holder(holder=holder, goal_id=goal_id)
        services.goal_delete(goal=goal)
        return Response(status=204)
