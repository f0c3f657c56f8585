"""The internal HTTP API of the accounting service (docs/internal-api.md).

One view per path, HTTP only: parse with the nested ``InputSerializer``,
call one selector or service, render. Responses are built by
``accounting.wire`` (lean, and identical on an idempotent replay); each
view's ``OutputSerializer`` documents that shape in the OpenAPI schema.
Every error is a problem document with a stable code (``config.problems``).
"""

import uuid
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import (
    errors,
    idempotency,
    models,
    selectors,
    services,
    wire,
)
from config import fields, money, timeparse
from config.openapi import problem
from config.problems import Code

HOLDER_ERRORS = {
    401: problem(errors.ErrorCode.USER_INACTIVE),
    409: problem(errors.ErrorCode.ACCOUNT_NOT_READY),
}

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="1-255 printable ASCII characters, scoped to the holder.",
)


class PlanSerializer(serializers.Serializer):
    """A savings plan."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=models.Plan.Kind.choices)
    value = serializers.CharField(help_text='"12.50" percent or an amount.')
    currency = serializers.CharField()
    description = serializers.CharField()


class HolderPlanSerializer(serializers.Serializer):
    """A holder's plan choice."""

    plan = PlanSerializer(allow_null=True)
    selected_at = serializers.DateTimeField(allow_null=True)


class AccountSerializer(serializers.Serializer):
    """A customer account and its balance."""

    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=models.Account.CUSTOMER_KINDS)
    currency = serializers.CharField()
    balance = serializers.CharField()


class SplitSerializer(serializers.Serializer):
    """The part of a transaction on one customer account."""

    account_kind = serializers.ChoiceField(
        choices=models.Account.CUSTOMER_KINDS
    )
    amount = serializers.CharField()


class TransactionSerializer(serializers.Serializer):
    """A journal transaction as the API shows it."""

    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=models.Transaction.Kind.choices)
    amount = serializers.CharField()
    currency = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    description = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_blank=True)
    category = serializers.CharField(allow_null=True)
    splits = SplitSerializer(many=True)
    plan = PlanSerializer(allow_null=True)


class BalancesSerializer(serializers.Serializer):
    """Balances right after a transaction."""

    main = serializers.CharField()
    savings = serializers.CharField()


# --- Plans ------------------------------------------------------------------


class PlanListApi(APIView):
    """GET /plans: the active plans."""

    class OutputSerializer(serializers.Serializer):
        """The response."""

        results = PlanSerializer(many=True)

        class Meta:
            """Names the schema component."""

            ref_name = "PlanList"

    @extend_schema(operation_id="plans_list", responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        """Lists the plans on offer."""
        del request
        plans = selectors.plans_active()
        return Response({"results": [wire.plan_data(p) for p in plans]})


class HolderPlanApi(APIView):
    """GET and PUT /holders/{user_id}/plan: the holder's plan choice."""

    class InputSerializer(serializers.Serializer):
        """The request."""

        plan_id = serializers.CharField(allow_null=True)

        class Meta:
            """Names the schema component."""

            ref_name = "HolderPlanInput"

    @extend_schema(
        operation_id="holder_plan_get",
        responses={200: HolderPlanSerializer, **HOLDER_ERRORS},
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
            400: problem(Code.VALIDATION_ERROR),
            404: problem(errors.ErrorCode.PLAN_NOT_FOUND),
            **HOLDER_ERRORS,
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


# --- Accounts and balances --------------------------------------------------


class AccountListApi(APIView):
    """GET /holders/{user_id}/accounts (POST opens a currency)."""

    class InputSerializer(serializers.Serializer):
        """The request."""

        currency = fields.CurrencyField()

        class Meta:
            """Names the schema component."""

            ref_name = "AccountOpenInput"

    class OutputSerializer(serializers.Serializer):
        """The response."""

        results = AccountSerializer(many=True)

        class Meta:
            """Names the schema component."""

            ref_name = "AccountList"

    @extend_schema(
        operation_id="holder_accounts_list",
        responses={200: OutputSerializer, **HOLDER_ERRORS},
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
            400: problem(Code.UNSUPPORTED_CURRENCY),
            **HOLDER_ERRORS,
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

    class InputSerializer(serializers.Serializer):
        """The request."""

        at = fields.InstantField(required=False)
        currency = fields.CurrencyField(required=False)

        class Meta:
            """Names the schema component."""

            ref_name = "BalanceQuery"

    class OutputSerializer(serializers.Serializer):
        """The response."""

        at = serializers.DateTimeField()
        currency = serializers.CharField()
        main = serializers.CharField()
        savings = serializers.CharField()
        total = serializers.CharField()

        class Meta:
            """Names the schema component."""

            ref_name = "Balance"

    @extend_schema(
        operation_id="holder_balance_get",
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            400: problem(Code.INVALID_DATETIME, Code.UNSUPPORTED_CURRENCY),
            **HOLDER_ERRORS,
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


# --- Credits ----------------------------------------------------------------


class CreditCreateApi(APIView):
    """POST /holders/{user_id}/credits: money in, split by plan."""

    class InputSerializer(serializers.Serializer):
        """The request."""

        amount = fields.AmountField()
        currency = fields.CurrencyField(required=False)
        source = serializers.CharField(
            max_length=100, required=False, allow_blank=True, default=""
        )
        description = serializers.CharField(
            max_length=500, required=False, allow_blank=True, default=""
        )

        class Meta:
            """Names the schema component."""

            ref_name = "CreditInput"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """Converts the amount to minor units of the currency."""
            currency = attrs.get("currency") or settings.DEFAULT_CURRENCY
            try:
                amount = money.to_minor(attrs["amount"], currency)
            except money.MoneyError as error:
                raise serializers.ValidationError(
                    {"amount": [str(error)]}, code=error.code
                ) from error
            return {**attrs, "currency": currency, "amount": amount}

    class OutputSerializer(serializers.Serializer):
        """The response."""

        transaction = TransactionSerializer()
        balances = BalancesSerializer()

        class Meta:
            """Names the schema component."""

            ref_name = "Credit"

    @extend_schema(
        operation_id="holder_credits_create",
        parameters=[IDEMPOTENCY_KEY],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            400: problem(
                Code.INVALID_AMOUNT,
                Code.UNSUPPORTED_CURRENCY,
                Code.INVALID_IDEMPOTENCY_KEY,
                Code.VALIDATION_ERROR,
            ),
            401: problem(errors.ErrorCode.USER_INACTIVE),
            409: problem(
                errors.ErrorCode.ACCOUNT_NOT_READY,
                Code.IDEMPOTENCY_KEY_IN_FLIGHT,
            ),
            422: problem(
                errors.ErrorCode.AMOUNT_NOT_ABOVE_FLAT_AMOUNT,
                errors.ErrorCode.ACCOUNT_NOT_OPEN,
                Code.IDEMPOTENCY_KEY_REUSED,
            ),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Credits the holder; replays carry ``Idempotent-Replayed``."""
        key = idempotency.key_parse(request.headers.get("Idempotency-Key"))
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credit = serializer.validated_data
        result = services.credit_apply(
            holder_id=user_id,
            idempotency_key=key,
            request_hash=idempotency.request_hash(credit) if key else "",
            **credit,
        )
        headers = {"Idempotent-Replayed": "true"} if result.replayed else None
        return Response(result.body, status=result.status, headers=headers)


# --- Transactions -----------------------------------------------------------


class TransactionListApi(APIView):
    """GET /holders/{user_id}/transactions: keyset-paginated history."""

    class InputSerializer(serializers.Serializer):
        """The request."""

        to = fields.InstantField(required=False, end_of_day=True)
        kind = serializers.ChoiceField(
            choices=models.Transaction.Kind.choices, required=False
        )
        currency = fields.CurrencyField(required=False)
        limit = serializers.IntegerField(
            min_value=1,
            max_value=selectors.MAX_PAGE_SIZE,
            default=selectors.DEFAULT_PAGE_SIZE,
        )
        cursor = serializers.CharField(required=False)
        order = serializers.ChoiceField(choices=["desc", "asc"], default="desc")

        class Meta:
            """Names the schema component."""

            ref_name = "TransactionQuery"

        def get_fields(self) -> dict[str, serializers.Field]:
            """Adds ``from``, a Python keyword, as a field name."""
            return {
                "from": fields.InstantField(required=False),
                **super().get_fields(),
            }

    class OutputSerializer(serializers.Serializer):
        """The response."""

        results = TransactionSerializer(many=True)
        next_cursor = serializers.CharField(allow_null=True)

        class Meta:
            """Names the schema component."""

            ref_name = "TransactionPage"

    @extend_schema(
        operation_id="holder_transactions_list",
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            400: problem(
                Code.INVALID_DATETIME,
                Code.INVALID_RANGE,
                Code.INVALID_CURSOR,
                Code.VALIDATION_ERROR,
            ),
            **HOLDER_ERRORS,
        },
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        """Returns one page of transactions and the next cursor."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = serializer.validated_data
        holder = selectors.holder_get(user_id=user_id)
        page = selectors.transactions_page(
            holder=holder,
            date_from=query.get("from"),
            date_to=query.get("to"),
            kind=query.get("kind"),
            currency=query.get("currency"),
            limit=query["limit"],
            cursor=query.get("cursor"),
            order=query["order"],
        )
        return Response(
            {
                "results": [
                    selectors.transaction_data(t) for t in page.results
                ],
                "next_cursor": page.next_cursor,
            }
        )


class TransactionDetailApi(APIView):
    """GET /holders/{user_id}/transactions/{id}: one transaction."""

    @extend_schema(
        operation_id="holder_transactions_get",
        responses={
            200: TransactionSerializer,
            404: problem(errors.ErrorCode.TRANSACTION_NOT_FOUND),
            **HOLDER_ERRORS,
        },
    )
    def get(
        self, request: Request, user_id: uuid.UUID, transaction_id: str
    ) -> Response:
        """Returns the transaction if it is the holder's."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        found = selectors.transaction_get(
            holder=holder, transaction_id=transaction_id
        )
        return Response(selectors.transaction_data(found))


# --- Operations -------------------------------------------------------------
