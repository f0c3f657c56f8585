"""Savings groups over the internal API: groups, members, contributions.

One view per path, as in :mod:`accounting.api`: parse, call one selector
or service, render. A group exists only for its current members: any other
caller (a former member too) gets ``group_not_found``, whether the group
exists or not. A contribution is a money movement like a credit
(Idempotency-Key, replays, the same problems), answered with the member's
transaction, balances and the group. Starting a group takes an
Idempotency-Key too.
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
from accounting.api.openapi import (
    HOLDER,
    IDEMPOTENT,
    TRANSACTION_LINKS,
    holder_link,
    movement_errors,
)
from accounting.api.outputs import BalancesSerializer, TransactionSerializer
from config import bounds, fields
from config.idempotency import keys as idempotency_keys
from config.openapi import IDEMPOTENT_WRITE, internal_problems, links
from config.problems import Code
from config.serializers import StrictInputSerializer

# From an answer holding a group to the operations on it. Not to adding a
# member: that needs another user's email, which no answer here gives.
GROUP_LINKS = {
    name: holder_link(operation, group_id="$response.body#/id")
    for name, operation in (
        ("GetGroup", "holder_groups_get"),
        ("Contribute", "holder_group_contributions_create"),
        ("Leave", "holder_group_membership_delete"),
    )
}
GROUP_NOT_FOUND = {404: [errors.ErrorCode.GROUP_NOT_FOUND]}


@extend_schema_serializer(component_name="GroupMember")
class MemberSerializer(serializers.Serializer):
    """A member's row on the group's leaderboard."""

    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    contributed = serializers.CharField(
        help_text="The sum of the member's contributions."
    )
    contributions = serializers.IntegerField(min_value=0)
    joined_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            "When a former member left (null: a current member). Former "
            "members are listed only if they contributed."
        ),
    )


@extend_schema_serializer(component_name="Group")
class GroupSerializer(serializers.Serializer):
    """A savings group, its total and its leaderboard."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    currency = serializers.CharField()
    target_amount = serializers.CharField()
    target_date = serializers.DateField(allow_null=True)
    total = serializers.CharField(help_text="The money in the group's pot.")
    progress_percent = serializers.CharField(
        help_text='total / target_amount, rounded down: "37.50".'
    )
    created_at = serializers.DateTimeField()
    created_by = serializers.UUIDField()
    members = MemberSerializer(
        many=True,
        help_text=(
            "Current members and former members who contributed, most "
            "contributed first, then by joining."
        ),
    )


class GroupListApi(APIView):
    """GET and POST /holders/{user_id}/groups: the caller's groups."""

    @extend_schema_serializer(component_name="GroupInput")
    class InputSerializer(StrictInputSerializer):
        """A new group: its name, target and optional date."""

        name = serializers.CharField(max_length=bounds.NAME_MAX_LENGTH)
        target_amount = fields.AmountField()
        currency = fields.CurrencyField(required=False)
        target_date = fields.TargetDateField(
            required=False,
            allow_null=True,
            default=None,
            help_text="YYYY-MM-DD, today (UTC) or later; null: none.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """Converts the target to minor units of the currency."""
            return target_in(attrs)

    @extend_schema_serializer(component_name="GroupList")
    class OutputSerializer(serializers.Serializer):
        """The groups the holder is a member of, newest first."""

        results = GroupSerializer(many=True)

    @extend_schema(
        operation_id="holder_groups_list",
        responses={200: OutputSerializer, **internal_problems(HOLDER)},
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        """Lists the groups the holder is a member of, newest first."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        standings = selectors.groups_list(holder=holder)
        return Response(
            {"results": [selectors.group_data(s) for s in standings]}
        )

    @links(201, **GROUP_LINKS)
    @extend_schema(
        operation_id="holder_groups_create",
        parameters=IDEMPOTENT,
        request=InputSerializer,
        responses={
            201: GroupSerializer,
            **internal_problems(
                {400: [Code.INVALID_AMOUNT, Code.UNSUPPORTED_CURRENCY]},
                IDEMPOTENT_WRITE,
                HOLDER,
                json_body=True,
            ),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Opens a group and its pot (the holder its first member) once."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = serializer.validated_data
        result = services.group_start(
            holder_id=user_id,
            idempotency_key=key,
            request_hash=keyed_hash("group", group) if key else "",
            **group,
        )
        return keyed_response(result)


class GroupDetailApi(APIView):
    """GET /holders/{user_id}/groups/{group_id}: one of the caller's."""

    @extend_schema(
        operation_id="holder_groups_get",
        responses={
            200: GroupSerializer,
            **internal_problems(GROUP_NOT_FOUND, HOLDER),
        },
    )
    def get(
        self, request: Request, user_id: uuid.UUID, group_id: str
    ) -> Response:
        """Returns the group, its total and its leaderboard."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        standing = selectors.group_get(holder=holder, group_id=group_id)
        return Response(selectors.group_data(standing))


class GroupMemberCreateApi(APIView):
    """POST /holders/{user_id}/groups/{group_id}/members: add by email."""

    @extend_schema_serializer(component_name="GroupMemberInput")
    class InputSerializer(StrictInputSerializer):
        """The email of the user to add."""

        email = serializers.EmailField(max_length=bounds.EMAIL_MAX_LENGTH)

    @extend_schema(
        operation_id="holder_group_members_create",
        request=InputSerializer,
        responses={
            201: MemberSerializer,
            **internal_problems(
                {
                    404: [
                        errors.ErrorCode.GROUP_NOT_FOUND,
                        errors.ErrorCode.USER_NOT_FOUND,
                    ],
                    409: [errors.ErrorCode.ALREADY_MEMBER],
                },
                HOLDER,
                json_body=True,
            ),
        },
    )
    def post(
        self, request: Request, user_id: uuid.UUID, group_id: str
    ) -> Response:
        """Adds the open user with that email (any case) to the group.

        A former member added back shows what they contributed before.
        """
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        holder = selectors.holder_get(user_id=user_id)
        member = services.member_add(
            holder_id=holder.pk,
            group_id=group_id,
            email=serializer.validated_data["email"],
        )
        standing = selectors.member_standing(member)
        [body] = selectors.members_data([standing], member.group.currency)
        return Response(body, status=201)


class GroupMembershipApi(APIView):
    """DELETE /holders/{user_id}/groups/{group_id}/membership: leave."""

    @extend_schema(
        operation_id="holder_group_membership_delete",
        responses={204: None, **internal_problems(GROUP_NOT_FOUND, HOLDER)},
    )
    def delete(
        self, request: Request, user_id: uuid.UUID, group_id: str
    ) -> Response:
        """Leaves the group; what the holder contributed stays in its pot."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        services.member_leave(holder_id=holder.pk, group_id=group_id)
        return Response(status=204)


class GroupContributionCreateApi(APIView):
    """POST /holders/{user_id}/groups/{group_id}/contributions."""

    @extend_schema_serializer(component_name="GroupContributionInput")
    class InputSerializer(StrictInputSerializer):
        """How much to move from savings into the pot, and a message."""

        amount = fields.AmountField()
        currency = fields.CurrencyField(
            required=False, help_text="The group's currency (the default)."
        )
        message = serializers.CharField(
            max_length=bounds.DESCRIPTION_MAX_LENGTH,
            required=False,
            allow_blank=True,
            default="",
            help_text="Shown to the group with the contribution.",
        )

    @extend_schema_serializer(component_name="GroupContribution")
    class OutputSerializer(serializers.Serializer):
        """The response: the member's transaction, balances and the group."""

        transaction = TransactionSerializer()
        balances = BalancesSerializer()
        group = GroupSerializer(help_text="Right after the contribution.")

    @links(201, **TRANSACTION_LINKS)
    @extend_schema(
        operation_id="holder_group_contributions_create",
        parameters=IDEMPOTENT,
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **movement_errors(
                {
                    404: (errors.ErrorCode.GROUP_NOT_FOUND,),
                    422: (
                        errors.ErrorCode.CURRENCY_MISMATCH,
                        errors.ErrorCode.INSUFFICIENT_FUNDS,
                    ),
                }
            ),
        },
    )
    def post(
        self, request: Request, user_id: uuid.UUID, group_id: str
    ) -> Response:
        """Moves savings into the group's pot; replays carry the header.

        The amount is read in the currency sent, or the group's: the group
        is looked up first (``group_not_found`` for non-members).
        """
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        holder = selectors.holder_get(user_id=user_id)
        group = selectors.group_of_member(
            holder_id=holder.pk, group_id=group_id
        )
        currency = data.get("currency") or group.currency
        contribution = {
            "group_id": group.id,
            "amount": amount_in(data, currency),
            "currency": currency,
            "message": data["message"],
        }
        request_hash = ""
        if key:
            request_hash = keyed_hash(
                "group_contribution",
                {**contribution, "group_id": str(group.id)},
            )
        result = services.contribution_apply(
            holder_id=holder.pk,
            idempotency_key=key,
            request_hash=request_hash,
            **contribution,
        )
        return keyed_response(result)
