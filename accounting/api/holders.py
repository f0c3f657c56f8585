"""A customer at a glance, for the users admin: holder, wallets, history.

The one operation the users service may call (its own credential,
``ACCOUNTING_USERS_TOKEN``: ``config.service_auth``), read-only; the
gateway's credential reads it too, as it reads all of a holder already.
"""

import uuid

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import errors, selectors, wire
from accounting.api.outputs import (
    AccountSerializer,
    HolderSerializer,
    TransactionSerializer,
)
from config import service_auth
from config.contracts import GATEWAY_CALLER, USERS_CALLER
from config.openapi import UNKNOWN_PATH, internal_problems
from config.problems import Code
from config.serializers import StrictInputSerializer


class HolderSummaryApi(APIView):
    """GET /holders/{user_id}/summary: holder, accounts, latest movements."""

    permission_classes = [
        service_auth.callers_allowed(GATEWAY_CALLER, USERS_CALLER)
    ]

    @extend_schema_serializer(component_name="HolderSummaryQuery")
    class InputSerializer(StrictInputSerializer):
        """How many of the latest transactions to show."""

        transactions = serializers.IntegerField(
            min_value=0,
            max_value=selectors.SUMMARY_TRANSACTIONS_MAX,
            default=selectors.SUMMARY_TRANSACTIONS,
        )

    @extend_schema_serializer(component_name="HolderSummary")
    class OutputSerializer(serializers.Serializer):
        """The holder, its accounts and its latest transactions."""

        holder = HolderSerializer()
        accounts = AccountSerializer(many=True)
        transactions = TransactionSerializer(
            many=True, help_text="Newest first, as the holder's own list."
        )

    @extend_schema(
        operation_id="holder_summary_get",
        summary="A customer at a glance (the users admin)",
        description=(
            "The holder (open or closed), each of its accounts with its "
            "balance, and its latest transactions. Callers: the gateway "
            "and the users service (its own credential; every other "
            "operation answers it 403)."
        ),
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            **internal_problems(
                {
                    400: [Code.VALIDATION_ERROR],
                    409: [errors.ErrorCode.ACCOUNT_NOT_READY],
                    **UNKNOWN_PATH,
                }
            ),
        },
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        """Returns the summary; a holder not created yet is a 409."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        summary = selectors.holder_summary(
            user_id=user_id,
            transactions=serializer.validated_data["transactions"],
        )
        return Response(
            {
                "holder": wire.holder_data(summary.holder),
                "accounts": [wire.account_data(a) for a in summary.accounts],
                "transactions": [
                    selectors.transaction_data(t) for t in summary.transactions
                ],
            }
        )
