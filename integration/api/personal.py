"""Personal finance: the summary report, categories and savings goals.

Accounting owns the ledger the report is computed from and the goals. As
for money, what the gateway can judge on its own is refused here before any
call (the report's range and grouping, a goal's amount in its currency, its
name and date); what reaches accounting is normalised; accounting's own
judgements (an unknown goal, the caller's readiness) pass through.

Goals hold no money: they are views on the caller's savings balance, which
accounting allocates to them in order (see ``GOALS_ALLOCATION``).
"""

import uuid
from http import HTTPStatus
from typing import Any

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import bounds, timeparse
from config.fields import (
    AmountField,
    CurrencyField,
    InstantField,
    TargetDateField,
)
from config.idempotency import keys as idempotency_keys
from config.openapi import IDEMPOTENT_WRITE, links
from config.problems import Code
from config.serializers import StrictInputSerializer
from integration import selectors, services
from integration.api import common
from integration.api.schema import (
    FIRST_GOAL_LINKS,
    GOAL_LINKS,
    IDEMPOTENT_PARAMETERS,
    NOT_READY,
    RETRY_AFTER_HEADER,
    TAG_PERSONAL_FINANCE,
    problem_responses,
)
from integration.api.serializers import (
    EXAMPLE_AT,
    REPORT_GROUPINGS,
    CategoryListSerializer,
    GoalListSerializer,
    GoalSerializer,
    ReportSerializer,
)
from integration.errors import ErrorCode

# How goals share savings: every goal operation's description says it.
GOALS_ALLOCATION = (
    "Goals hold no money of their own: they are views on my savings. In "
    "each currency, my `savings` balance is allocated to my goals in order "
    "(`target_date` first, goals without a date last, then the oldest "
    "first): each goal takes `min(target_amount, what is left)`. `saved` is "
    "a goal's share, `progress_percent` is `saved / target_amount * 100` "
    "rounded down to 2 decimals (`100.00` only once reached). `on_track`: "
    "true once reached; null without a `target_date`; false after the "
    "date; else whether `saved` is at least the target's share of the time "
    "elapsed between the goal's creation and the end (UTC) of its date. "
    "Releasing savings lowers the goals last in the order first."
)
# What creating a goal or a group says of its Idempotency-Key.
ONCE_PER_KEY = (
    "With an `Idempotency-Key`, a retry of the same request answers the "
    "first answer again (`Idempotent-Replayed: true`) and creates nothing "
    "more, so a lost answer never leads to a second one."
)
_GOAL_NOT_FOUND = {404: [ErrorCode.GOAL_NOT_FOUND, Code.NOT_FOUND]}
_GOAL_INPUT = {
    400: [Code.VALIDATION_ERROR, Code.INVALID_AMOUNT, Code.UNSUPPORTED_CURRENCY]
}

# Ids of the examples.
_EXAMPLE_GOAL = "4e3d2c1b-0a9f-4e8d-9c7b-6a5f4e3d2c1b"


def _target_date() -> TargetDateField:
    """Returns the optional date a goal or a group aims for."""
    return TargetDateField(
        required=False,
        allow_null=True,
        help_text="`YYYY-MM-DD`, today (UTC) or later; null: no date.",
    )


def _dated(attrs: dict[str, Any]) -> dict[str, Any]:
    """Returns ``attrs`` with ``target_date`` as ``YYYY-MM-DD`` or None."""
    if attrs.get("target_date") is None:
        return attrs
    return {**attrs, "target_date": attrs["target_date"].isoformat()}


class TargetInputSerializer(StrictInputSerializer):
    """A savings target as the caller sets it: a goal's or a group's."""

    name = serializers.CharField(max_length=bounds.NAME_MAX_LENGTH)
    target_amount = AmountField()
    currency = CurrencyField(
        required=False,
        help_text="ISO 4217; the deployment's default (USD) if omitted.",
    )
    target_date = _target_date()

    def validate(self, attrs: dict) -> dict:
        """Checks the amount against its currency and normalises them.

        Args:
            attrs: The field-validated values.

        Returns:
            The values to forward: the currency set, the amount in its
            precision, the date as ``YYYY-MM-DD`` (or null).

        Raises:
            ValidationError: ``invalid_amount``: too many decimals for the
                currency, or above the per-operation maximum.
        """
        currency = attrs.get("currency", settings.DEFAULT_CURRENCY)
        return _dated(
            {
                **attrs,
                "target_amount": common.amount_in(
                    attrs["target_amount"], currency, field="target_amount"
                ),
                "currency": currency,
            }
        )


def goal_example(**fields: Any) -> dict[str, Any]:
    """Returns an example goal, with ``fields`` changed."""
    return {
        "id": _EXAMPLE_GOAL,
        "name": "Holidays",
        "target_amount": "1500.00",
        "currency": "USD",
        "saved": "637.50",
        "progress_percent": "42.50",
        "target_date": "2027-06-30",
        "on_track": True,
        "created_at": EXAMPLE_AT,
        "updated_at": EXAMPLE_AT,
        **fields,
    }


class ReportSummaryApi(APIView):
    """GET /reports/summary: income, expenses and savings over a range."""

    @extend_schema_serializer(component_name="ReportQuery")
    class InputSerializer(StrictInputSerializer):
        """The query string of /reports/summary."""

        to = InstantField(
            required=False,
            end_of_day=True,
            help_text="Up to this instant; a date means its end; default now.",
        )
        group_by = serializers.ChoiceField(
            choices=REPORT_GROUPINGS,
            help_text=(
                "`category` (withdrawals' categories), `source` (credits' "
                "sources) or `month` (`YYYY-MM`, UTC)."
            ),
        )
        currency = CurrencyField(
            required=False, help_text="ISO 4217; default USD."
        )

        def get_fields(self) -> dict:
            """Adds ``from``, a Python keyword, to the declared fields."""
            return {
                "from": InstantField(
                    required=False,
                    help_text=(
                        "From this instant; a date means its start; default: "
                        "since the first transaction."
                    ),
                ),
                **super().get_fields(),
            }

        def validate(self, attrs: dict) -> dict:
            """Refuses a range that ends before it starts.

            Args:
                attrs: The field-validated values.

            Returns:
                The values to forward, as query-string strings.

            Raises:
                ValidationError: ``invalid_range``: ``from`` > ``to``.
            """
            common.range_check(attrs)
            return {
                name: timeparse.format_instant(value)
                if name in ("from", "to")
                else value
                for name, value in attrs.items()
            }

    OutputSerializer = ReportSerializer

    @extend_schema(
        operation_id="reports_summary_retrieve",
        summary="Summarise my income, expenses and savings",
        description=(
            "Over the transactions in one `currency` (default USD) with "
            "`from <= effective_at <= to` (both optional; a dated credit "
            "or withdrawal counts on its date):\n\n"
            "- `income`: the sum of my `credit` and `transfer_in` amounts;\n"
            "- `expenses`: the sum of my `withdrawal` and `transfer_out` "
            "amounts;\n"
            "- `saved`: the net change of my `savings` account (the savings "
            "part of credits in, `savings_release` out); money I put in a "
            "group's pot stays saved, so `group_contribution` does not "
            'count. It may be negative ("-5.00");\n'
            "- `savings_rate`: `saved / income * 100`, 2 decimals, rounded "
            "half to even; null when `income` is zero.\n\n"
            "Conversions and group contributions are neither income nor "
            "expense. `groups` splits the totals by `group_by`: each "
            "`credit`, `transfer_in`, `withdrawal`, `transfer_out` and "
            "`savings_release` falls into exactly one row, and the totals "
            "are exactly the sums of the rows. A `reversal` counts as what "
            "it undoes, the other way, under its label, when it was made "
            "(a reversed credit lowers that period's income). `category` "
            "groups by the withdrawals' category and `source` by the "
            "credits' source "
            "(labels are stored trimmed and in lower case; key null: none, "
            "or a kind without one); `month` by the `YYYY-MM` of "
            "`effective_at` in UTC, oldest "
            "first. Other rows are sorted by key, null last."
        ),
        tags=[TAG_PERSONAL_FINANCE],
        parameters=[InputSerializer, RETRY_AFTER_HEADER],
        responses={
            200: OutputSerializer,
            **problem_responses(
                {
                    400: [
                        Code.VALIDATION_ERROR,
                        Code.INVALID_DATETIME,
                        Code.INVALID_RANGE,
                        Code.UNSUPPORTED_CURRENCY,
                    ]
                },
                NOT_READY,
            ),
        },
        examples=[
            OpenApiExample(
                "By category",
                value={
                    "from": "2026-11-01T00:00:00.000000Z",
                    "to": "2026-11-30T23:59:59.999999Z",
                    "currency": "USD",
                    "group_by": "category",
                    "income": "2000.00",
                    "expenses": "312.50",
                    "saved": "190.00",
                    "savings_rate": "9.50",
                    "groups": [
                        {
                            "key": "groceries",
                            "income": "0.00",
                            "expenses": "212.50",
                            "saved": "0.00",
                            "savings_rate": None,
                            "transactions": 6,
                        },
                        {
                            "key": "rent",
                            "income": "0.00",
                            "expenses": "100.00",
                            "saved": "0.00",
                            "savings_rate": None,
                            "transactions": 1,
                        },
                        {
                            "key": None,
                            "income": "2000.00",
                            "expenses": "0.00",
                            "saved": "190.00",
                            "savings_rate": "9.50",
                            "transactions": 3,
                        },
                    ],
                },
                response_only=True,
                status_codes=[200],
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        """Returns the caller's report."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        upstream = selectors.report_summary_get(
            user_id=common.caller_id(request),
            params=serializer.validated_data,
        )
        return common.render(self.OutputSerializer, upstream)


class CategoryListApi(APIView):
    """GET /categories: the expense categories staff suggest."""

    OutputSerializer = CategoryListSerializer

    @extend_schema(
        operation_id="categories_list",
        summary="List the suggested expense categories",
        description=(
            "Categories staff suggest for withdrawals, by name, for pickers "
            "in clients. A withdrawal may still name any other category."
        ),
        tags=[TAG_PERSONAL_FINANCE],
        responses={200: OutputSerializer, **problem_responses()},
        examples=[
            OpenApiExample(
                "Categories",
                value={
                    "results": [{"name": "groceries"}, {"name": "rent"}],
                    "next": None,
                },
                response_only=True,
                status_codes=[200],
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        """Returns the suggested categories."""
        return common.render(
            self.OutputSerializer,
            selectors.category_list(user_id=common.caller_id(request)),
            extra=common.NO_NEXT_PAGE,
        )


class GoalsApi(APIView):
    """GET and POST /goals: my savings goals; set one."""

    ListOutputSerializer = GoalListSerializer

    @extend_schema_serializer(component_name="GoalCreate")
    class CreateInputSerializer(TargetInputSerializer):
        """A goal as the caller sets it."""

    CreateOutputSerializer = GoalSerializer

    @links(200, **FIRST_GOAL_LINKS)
    @extend_schema(
        operation_id="goals_list",
        summary="List my goals",
        description=GOALS_ALLOCATION + " The list is in that order.",
        tags=[TAG_PERSONAL_FINANCE],
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: ListOutputSerializer,
            **problem_responses(NOT_READY),
        },
        examples=[
            OpenApiExample(
                "Goals",
                value={
                    "results": [
                        goal_example(),
                        goal_example(
                            id="5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c",
                            name="New bike",
                            target_amount="800.00",
                            saved="0.00",
                            progress_percent="0.00",
                            target_date=None,
                            on_track=None,
                        ),
                    ],
                    "next": None,
                },
                response_only=True,
                status_codes=[200],
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        """Returns the caller's goals."""
        upstream = selectors.goal_list(user_id=common.caller_id(request))
        return common.render(
            self.ListOutputSerializer, upstream, extra=common.NO_NEXT_PAGE
        )

    @links(201, **GOAL_LINKS)
    @extend_schema(
        operation_id="goals_create",
        summary="Set a savings goal",
        description=GOALS_ALLOCATION + " " + ONCE_PER_KEY,
        tags=[TAG_PERSONAL_FINANCE],
        request=CreateInputSerializer,
        parameters=IDEMPOTENT_PARAMETERS,
        responses={
            201: CreateOutputSerializer,
            **problem_responses(
                _GOAL_INPUT, NOT_READY, IDEMPOTENT_WRITE, json_body=True
            ),
        },
        examples=[
            OpenApiExample(
                "Goal",
                value={
                    "name": "Holidays",
                    "target_amount": "1500.00",
                    "currency": "USD",
                    "target_date": "2027-06-30",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Set",
                value=goal_example(),
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Validates the goal and forwards it to accounting, with its key."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.CreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.goal_create(
            user_id=common.caller_id(request),
            data=serializer.validated_data,
            idempotency_key=key,
        )
        return common.render(self.CreateOutputSerializer, upstream)


class GoalDetailApi(APIView):
    """GET, PATCH and DELETE /goals/{id}: one of my goals."""

    @extend_schema_serializer(component_name="GoalUpdate")
    class UpdateInputSerializer(StrictInputSerializer):
        """The goal's fields to change; all optional."""

        name = serializers.CharField(
            max_length=bounds.NAME_MAX_LENGTH, required=False
        )
        target_amount = AmountField(required=False)
        currency = CurrencyField(
            required=False,
            help_text="ISO 4217; moves the goal to that currency's savings.",
        )
        target_date = _target_date()

        def validate(self, attrs: dict) -> dict:
            """Checks the amount as far as the gateway can; normalises.

            Args:
                attrs: The field-validated values.

            Returns:
                The values to forward: the amount in the new currency's
                precision, or as sent when the currency stays the goal's
                (accounting checks its precision); the date as
                ``YYYY-MM-DD`` or null.

            Raises:
                ValidationError: ``invalid_amount``: too many decimals for
                    ``currency``, or above the per-operation maximum.
            """
            if "target_amount" not in attrs:
                return _dated(attrs)
            amount, currency = attrs["target_amount"], attrs.get("currency")
            if currency is None:
                formatted = common.exact_amount(amount, field="target_amount")
            else:
                formatted = common.amount_in(
                    amount, currency, field="target_amount"
                )
            return _dated({**attrs, "target_amount": formatted})

    OutputSerializer = GoalSerializer

    @extend_schema(
        operation_id="goals_retrieve",
        summary="Read one of my goals",
        description=(
            "Another user's goal id answers 404 `goal_not_found`; an id "
            "that is not a UUID, 404 `not_found`. " + GOALS_ALLOCATION
        ),
        tags=[TAG_PERSONAL_FINANCE],
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: OutputSerializer,
            **problem_responses(_GOAL_NOT_FOUND, NOT_READY),
        },
        examples=[
            OpenApiExample(
                "Goal",
                value=goal_example(),
                response_only=True,
                status_codes=[200],
            ),
        ],
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns the goal, if it is the caller's."""
        upstream = selectors.goal_get(
            user_id=common.caller_id(request), goal_id=str(id)
        )
        return common.render(self.OutputSerializer, upstream)

    @links(200, **GOAL_LINKS)
    @extend_schema(
        operation_id="goals_update",
        summary="Change one of my goals",
        description=(
            "Every field is optional; `target_date: null` removes the date. "
            "A new `target_amount` without `currency` is in the goal's "
            "currency. Changing the amount, the date or the currency changes "
            "how my savings are allocated to every goal."
        ),
        tags=[TAG_PERSONAL_FINANCE],
        request=UpdateInputSerializer,
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: OutputSerializer,
            **problem_responses(
                _GOAL_INPUT, _GOAL_NOT_FOUND, NOT_READY, json_body=True
            ),
        },
        examples=[
            OpenApiExample(
                "New target",
                value={"target_amount": "2000.00", "target_date": None},
                request_only=True,
            ),
            OpenApiExample(
                "Changed",
                value=goal_example(
                    target_amount="2000.00",
                    progress_percent="31.87",
                    target_date=None,
                    on_track=None,
                ),
                response_only=True,
                status_codes=[200],
            ),
        ],
    )
    def patch(self, request: Request, id: uuid.UUID) -> Response:
        """Validates the changes and forwards them to accounting."""
        serializer = self.UpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.goal_update(
            user_id=common.caller_id(request),
            goal_id=str(id),
            data=serializer.validated_data,
        )
        return common.render(self.OutputSerializer, upstream)

    @extend_schema(
        operation_id="goals_destroy",
        summary="Delete one of my goals",
        description=(
            "The goal goes; my savings stay where they are, allocated to my "
            "other goals."
        ),
        tags=[TAG_PERSONAL_FINANCE],
        parameters=[RETRY_AFTER_HEADER],
        responses={
            204: None,
            **problem_responses(_GOAL_NOT_FOUND, NOT_READY),
        },
    )
    def delete(self, request: Request, id: uuid.UUID) -> Response:
        """Asks accounting to delete the goal, if it is the caller's."""
        services.goal_delete(user_id=common.caller_id(request), goal_id=str(id))
        return Response(status=HTTPStatus.NO_CONTENT)
