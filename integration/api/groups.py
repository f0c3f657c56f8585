"""Savings groups: shared challenges with a pot, members and a leaderboard.

Accounting owns groups, their members and their pots (an account of the
group, not of a member). A member contributes from their own savings into
the pot; only members see a group or add members, and a member may leave
(their money stays in the pot). Every judgement about a group
(membership, the pot's currency, the contributor's savings) is
accounting's and passes through; the gateway checks the input it can
judge and, once a contribution has moved money or a member has left, tells
the group's open sockets (``integration.realtime``, WebSocket
``/ws/groups/{id}/``).
"""

import uuid
from http import HTTPStatus
from typing import Any

from django.utils import timezone
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
from config.fields import AmountField, CurrencyField
from config.idempotency import keys as idempotency_keys
from config.openapi import IDEMPOTENT_WRITE, links
from config.problems import Code
from config.serializers import StrictInputSerializer
from integration import limits, realtime, selectors, services
from integration.api import common
from integration.api.personal import ONCE_PER_KEY, TargetInputSerializer
from integration.api.schema import (
    CONTRIBUTION_LINKS,
    FIRST_GROUP_LINKS,
    GROUP_LINKS,
    IDEMPOTENT_PARAMETERS,
    MOVES_MONEY,
    NOT_READY,
    RETRY_AFTER_HEADER,
    TAG_GROUPS,
    problem_responses,
)
from integration.api.serializers import (
    EXAMPLE_AT,
    ContributionResultSerializer,
    GroupListSerializer,
    GroupMemberSerializer,
    GroupSerializer,
    transaction_example,
)
from integration.clients import UpstreamResponse
from integration.errors import ErrorCode

CONTRIBUTION_EVENT = "contribution"
MEMBER_LEFT_EVENT = "member_left"
_GROUP_NOT_FOUND = {404: [ErrorCode.GROUP_NOT_FOUND, Code.NOT_FOUND]}
_NOT_A_MEMBER = (
    "A group the caller is not a member of (or has left) answers 404 "
    "`group_not_found`, as an unknown one does; an id that is not a UUID, "
    "404 `not_found`."
)

# Ids of the examples.
_EXAMPLE_GROUP = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"
_EXAMPLE_POT = "7b6c5d4e-3f2a-4b1c-8d9e-0f1a2b3c4d5e"
_EXAMPLE_ADA = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
_EXAMPLE_BOB = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
_EXAMPLE_CAI = "3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"
_EXAMPLE_LEFT_AT = "2026-11-22T09:30:00.000000Z"


def _member_example(**fields: Any) -> dict[str, Any]:
    """Returns an example member of a group, with ``fields`` changed."""
    return {
        "user_id": _EXAMPLE_ADA,
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "contributed": "150.00",
        "contributions": 3,
        "joined_at": EXAMPLE_AT,
        "left_at": None,
        **fields,
    }


def _group_example(**fields: Any) -> dict[str, Any]:
    """Returns an example group, with ``fields`` changed."""
    return {
        "id": _EXAMPLE_GROUP,
        "name": "Summer trip",
        "currency": "USD",
        "target_amount": "1000.00",
        "target_date": "2027-06-30",
        "total": "250.00",
        "progress_percent": "25.00",
        "created_at": EXAMPLE_AT,
        "created_by": _EXAMPLE_ADA,
        "members": [
            _member_example(),
            _member_example(
                user_id=_EXAMPLE_BOB,
                email="bob@example.com",
                first_name="Bob",
                last_name="",
                contributed="75.00",
                contributions=1,
            ),
            _member_example(
                user_id=_EXAMPLE_CAI,
                email="cai@example.com",
                first_name="Cai",
                last_name="",
                contributed="25.00",
                contributions=1,
                left_at=_EXAMPLE_LEFT_AT,
            ),
        ],
        **fields,
    }


def contribution_event(
    *, group_id: str, user_id: str, result: dict[str, Any]
) -> dict[str, Any]:
    """Returns the live event of a contribution (``integration.realtime``).

    Args:
        group_id: The group's id.
        user_id: The contributor's id.
        result: The rendered answer ``{transaction, balances, group}``.

    Returns:
        ``{type, group_id, user_id, amount, currency, message, timestamp,
        total}``: the transaction's amount, currency, message and instant,
        and the group's total right after it.
    """
    transaction = result["transaction"]
    return {
        "type": CONTRIBUTION_EVENT,
        "group_id": group_id,
        "user_id": user_id,
        "amount": transaction["amount"],
        "currency": transaction["currency"],
        "message": transaction["description"],
        "timestamp": transaction["occurred_at"],
        "total": result["group"]["total"],
    }


def member_left_event(*, group_id: str, user_id: str) -> dict[str, Any]:
    """Returns the live event of a member leaving (``integration.realtime``).

    Args:
        group_id: The group's id.
        user_id: The id of the member who left.

    Returns:
        ``{type, group_id, user_id, timestamp}``; ``timestamp`` is when the
        gateway heard accounting say so (its answer has no body).
    """
    return {
        "type": MEMBER_LEFT_EVENT,
        "group_id": group_id,
        "user_id": user_id,
        "timestamp": timeparse.format_instant(timezone.now()),
    }


def _is_replay(upstream: UpstreamResponse) -> bool:
    """Tells whether accounting replayed an earlier answer to the key."""
    return upstream.headers.get(idempotency_keys.REPLAYED_HEADER) == "true"


class GroupsApi(APIView):
    """GET and POST /groups: my savings groups; start one."""

    ListOutputSerializer = GroupListSerializer

    @extend_schema_serializer(component_name="GroupCreate")
    class CreateInputSerializer(TargetInputSerializer):
        """A savings group as the caller starts it."""

    CreateOutputSerializer = GroupSerializer

    @links(200, **FIRST_GROUP_LINKS)
    @extend_schema(
        operation_id="groups_list",
        summary="List my savings groups",
        description="The groups I am a member of, newest first.",
        tags=[TAG_GROUPS],
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: ListOutputSerializer,
            **problem_responses(NOT_READY),
        },
        examples=[
            OpenApiExample(
                "Groups",
                value={"results": [_group_example()], "next": None},
                response_only=True,
                status_codes=[200],
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        """Returns the caller's groups."""
        upstream = selectors.group_list(user_id=common.caller_id(request))
        return common.render(
            self.ListOutputSerializer, upstream, extra=common.NO_NEXT_PAGE
        )

    @links(201, **GROUP_LINKS)
    @extend_schema(
        operation_id="groups_create",
        summary="Start a savings group",
        description=(
            "Starts a savings challenge: a pot in `currency` that members "
            "fill from their savings towards `target_amount`. I am its "
            "first member; members add others by email. " + ONCE_PER_KEY
        ),
        tags=[TAG_GROUPS],
        request=CreateInputSerializer,
        parameters=IDEMPOTENT_PARAMETERS,
        responses={
            201: CreateOutputSerializer,
            **problem_responses(
                {
                    400: [
                        Code.VALIDATION_ERROR,
                        Code.INVALID_AMOUNT,
                        Code.UNSUPPORTED_CURRENCY,
                    ]
                },
                NOT_READY,
                IDEMPOTENT_WRITE,
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Group",
                value={
                    "name": "Summer trip",
                    "target_amount": "1000.00",
                    "currency": "USD",
                    "target_date": "2027-06-30",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Started",
                value=_group_example(
                    total="0.00",
                    progress_percent="0.00",
                    members=[
                        _member_example(contributed="0.00", contributions=0)
                    ],
                ),
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Validates the group and forwards it to accounting, with its key."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.CreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.group_create(
            user_id=common.caller_id(request),
            data=serializer.validated_data,
            idempotency_key=key,
        )
        return common.render(self.CreateOutputSerializer, upstream)


class GroupDetailApi(APIView):
    """GET /groups/{id}: one of my groups, with its leaderboard."""

    OutputSerializer = GroupSerializer

    @extend_schema(
        operation_id="groups_retrieve",
        summary="Read one of my savings groups",
        description=(
            "The pot's `total`, the progress towards the target and the "
            "leaderboard. " + _NOT_A_MEMBER
        ),
        tags=[TAG_GROUPS],
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: OutputSerializer,
            **problem_responses(_GROUP_NOT_FOUND, NOT_READY),
        },
        examples=[
            OpenApiExample(
                "Group",
                value=_group_example(),
                response_only=True,
                status_codes=[200],
            ),
        ],
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns the group, if the caller is a member."""
        upstream = selectors.group_get(
            user_id=common.caller_id(request), group_id=str(id)
        )
        return common.render(self.OutputSerializer, upstream)


class GroupMemberCreateApi(APIView):
    """POST /groups/{id}/members: a member adds someone, by email."""

    @extend_schema_serializer(component_name="GroupMemberAdd")
    class InputSerializer(StrictInputSerializer):
        """The user to add."""

        email = serializers.EmailField(
            max_length=bounds.EMAIL_MAX_LENGTH,
            help_text="The user's email, in any case.",
        )

    OutputSerializer = GroupMemberSerializer

    @extend_schema(
        operation_id="groups_members_create",
        summary="Add a member to one of my savings groups",
        description=(
            "Only a member may add one. A former member may be added "
            "back: their membership is restored, with what they "
            "contributed. No user with that email (or a deleted one): 404 "
            "`user_not_found`; already a member: 409 `already_member`. "
            + _NOT_A_MEMBER
        ),
        tags=[TAG_GROUPS],
        request=InputSerializer,
        parameters=[RETRY_AFTER_HEADER],
        responses={
            201: OutputSerializer,
            **problem_responses(
                {
                    404: [ErrorCode.USER_NOT_FOUND],
                    409: [ErrorCode.ALREADY_MEMBER],
                },
                _GROUP_NOT_FOUND,
                NOT_READY,
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Member",
                value={"email": "bob@example.com"},
                request_only=True,
            ),
            OpenApiExample(
                "Added",
                value=_member_example(
                    user_id=_EXAMPLE_BOB,
                    email="bob@example.com",
                    first_name="Bob",
                    last_name="",
                    contributed="0.00",
                    contributions=0,
                ),
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request, id: uuid.UUID) -> Response:
        """Validates the email and asks accounting to add its user."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.group_member_add(
            user_id=common.caller_id(request),
            group_id=str(id),
            email=serializer.validated_data["email"],
        )
        return common.render(self.OutputSerializer, upstream)


class GroupMembershipApi(APIView):
    """DELETE /groups/{id}/members/me: I leave one of my groups."""

    @extend_schema(
        operation_id="groups_members_leave",
        summary="Leave one of my savings groups",
        description=(
            "No money moves: what I contributed stays in the pot (it is "
            "the group's) and on the leaderboard, marked with `left_at`. "
            "The group is then unknown to me (404 `group_not_found`) until "
            "a member adds me back by email. The members' open sockets get "
            '`{"type": "member_left", "group_id", "user_id", "timestamp"}`'
            "; mine on the group are closed with 4403. Leaving again: 404. "
            + _NOT_A_MEMBER
        ),
        tags=[TAG_GROUPS],
        parameters=[RETRY_AFTER_HEADER],
        responses={
            204: None,
            **problem_responses(_GROUP_NOT_FOUND, NOT_READY),
        },
    )
    def delete(self, request: Request, id: uuid.UUID) -> Response:
        """Asks accounting to take the caller out; tells the group's sockets."""
        user_id, group_id = common.caller_id(request), str(id)
        services.group_leave(user_id=user_id, group_id=group_id)
        realtime.member_left_broadcast(
            group_id, member_left_event(group_id=group_id, user_id=user_id)
        )
        return Response(status=HTTPStatus.NO_CONTENT)


class GroupContributionCreateApi(APIView):
    """POST /groups/{id}/contributions: from my savings into the pot."""

    rate_limit_scope = limits.MONEY

    @extend_schema_serializer(component_name="GroupContribution")
    class InputSerializer(StrictInputSerializer):
        """A contribution as the caller sends it."""

        amount = AmountField()
        currency = CurrencyField(
            required=False,
            help_text="ISO 4217; the group's currency, which it must be.",
        )
        message = serializers.CharField(
            max_length=bounds.DESCRIPTION_MAX_LENGTH,
            required=False,
            allow_blank=True,
            help_text="For the other members: the transaction's description.",
        )

        def validate(self, attrs: dict) -> dict:
            """Checks the amount as far as the gateway can; normalises it.

            Args:
                attrs: The field-validated values.

            Returns:
                The values to forward: the amount in the precision of
                ``currency`` when given, else as sent (accounting checks
                it against the group's currency).

            Raises:
                ValidationError: ``invalid_amount``: too many decimals for
                    ``currency``, or above the per-operation maximum.
            """
            currency = attrs.get("currency")
            if currency is None:
                amount = common.exact_amount(attrs["amount"])
            else:
                amount = common.amount_in(attrs["amount"], currency)
            return {**attrs, "amount": amount}

    OutputSerializer = ContributionResultSerializer

    @links(201, **CONTRIBUTION_LINKS)
    @extend_schema(
        operation_id="groups_contributions_create",
        summary="Contribute to one of my savings groups",
        description=(
            "Moves `amount` from my `savings` account into the group's pot, "
            "in the group's currency (another `currency`: 422 "
            "`currency_mismatch`; no wallet of mine in it: 422 "
            "`account_not_open`; not enough savings: 422 "
            "`insufficient_funds`). The money stays mine in the reports' "
            "sense: it counts as saved, not spent. The transaction is a "
            "`group_contribution` with `counterparty_account` = the pot and "
            "`group` = the group; `balances` are mine after it and `group` "
            "is the group after it. Members listening on "
            "`/ws/groups/{id}/` receive a `contribution` event (not on a "
            "replay). " + _NOT_A_MEMBER
        ),
        tags=[TAG_GROUPS],
        request=InputSerializer,
        parameters=IDEMPOTENT_PARAMETERS,
        responses={
            201: OutputSerializer,
            **problem_responses(
                {
                    400: [Code.VALIDATION_ERROR],
                    422: [
                        ErrorCode.CURRENCY_MISMATCH,
                        ErrorCode.INSUFFICIENT_FUNDS,
                        ErrorCode.ACCOUNT_NOT_OPEN,
                        ErrorCode.ACCOUNT_CLOSED,
                        ErrorCode.ACCOUNT_FROZEN,
                    ],
                },
                _GROUP_NOT_FOUND,
                MOVES_MONEY,
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Contribution",
                value={"amount": "75.00", "message": "For the tickets!"},
                request_only=True,
            ),
            OpenApiExample(
                "Contributed",
                value={
                    "transaction": transaction_example(
                        kind="group_contribution",
                        amount="75.00",
                        description="For the tickets!",
                        splits=[
                            {
                                "account_kind": "savings",
                                "currency": "USD",
                                "amount": "-75.00",
                            }
                        ],
                        counterparty_account=_EXAMPLE_POT,
                        group={"id": _EXAMPLE_GROUP, "name": "Summer trip"},
                    ),
                    "balances": {"main": "90.45", "savings": "25.00"},
                    "group": _group_example(),
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request, id: uuid.UUID) -> Response:
        """Forwards the contribution; tells the group's sockets about it."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_id, group_id = common.caller_id(request), str(id)
        upstream = services.group_contribution_create(
            user_id=user_id,
            group_id=group_id,
            data=serializer.validated_data,
            idempotency_key=key,
        )
        response = common.render(self.OutputSerializer, upstream)
        # A replay moved no money now: its event went out the first time.
        if not _is_replay(upstream):
            realtime.contribution_broadcast(
                group_id,
                contribution_event(
                    group_id=group_id, user_id=user_id, result=response.data
                ),
            )
        return response
