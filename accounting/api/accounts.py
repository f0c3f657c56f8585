"""A holder's accounts and their balances as of an instant."""

import uuid

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import errors, selectors, services, wire
from accounting.api.openapi import (
    HOLDER,
)
from accounting.api.outputs import (
    AccountSerializer,
)
from config import fields, money, timeparse
from config.openapi import (
    internal_problems,
)
from config.problems import Code
from config.serializers import StrictInputSerializer


class AccountListApi(APIView):
    """GET /holders/{user_id}/accounts (POST opens a currency)."""

    @extend_schema_serializer(component_name="AccountOpenInput")
    class InputSerializer(StrictInputSerializer):
        """The currency whose main and savings accounts to open."""

        currency = fields.CurrencyField()

    @extend_schema_serializer(component_name="AccountList")
    class OutputSerializer(serializers.Serializer):
        """The holder's accounts (those just opened, for a POST)."""

        results = AccountSerializer(many=True)

    @extend_schema(
        operation_id="holder_accounts_list",
        responses={200: OutputSerializer, **internal_problems(HOLDER)},
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        """Lists the holder's accounts."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        accounts = selectors.accounts_list(holder=holder)
        return Response({"results": [wire.account_data(a) for a in accounts]})

    @extend_schema(
        operation_id="holder_accounts_open",
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **internal_problems(
                {
                    400: [Code.UNSUPPORTED_CURRENCY],
                    422: [errors.ErrorCode.ACCOUNT_CLOSED],
                },
                HOLDER,
                json_body=True,
            ),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Opens main and savings accounts in a currency (idempotent)."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        holder = selectors.holder_get(user_id=user_id)
        accounts = services.account_open(
            holder=holder, currency=serializer.validated_data["currency"]
        )
        return Response(
            {"results": [wire.account_data(a) for a in accounts]}, status=201
        )


class BalanceApi(APIView):
    """GET /holders/{user_id}/balance: balances as of an instant."""

    @extend_schema_serializer(component_name="BalanceQuery")
    class InputSerializer(StrictInputSerializer):
        """The instant (default now) and the currency of the balances."""

        at = fields.InstantField(required=False)
        currency = fields.CurrencyField(required=False)

    @extend_schema_serializer(component_name="Balance")
    class OutputSerializer(serializers.Serializer):
        """Main, savings and their total as they stood at ``at``."""

        at = serializers.DateTimeField()
        currency = serializers.CharField()
        main = serializers.CharField()
        savings = serializers.CharField()
        total = serializers.CharField()

    @extend_schema(
        operation_id="holder_balance_get",
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            **internal_problems(
                {400: [Code.INVALID_DATETIME, Code.UNSUPPORTED_CURRENCY]},
                HOLDER,
            ),
        },
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        """Returns main, savings and total as they stood at ``at``."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = serializer.validated_data
        at = query.get("at") or timezone.now()
        currency = query.get("currency", settings.DEFAULT_CURRENCY)
        holder = selectors.holder_get(user_id=user_id)
        balance = selectors.balance_at(holder=holder, currency=currency, at=at)
        return Response(
            {
                "at": timeparse.format_instant(at),
                "currency": currency,
                "main": money.format_amount(balance.main, currency),
                "savings": money.format_amount(balance.savings, currency),
                "total": money.format_amount(balance.total, currency),
            }
        )
