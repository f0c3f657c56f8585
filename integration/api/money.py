"""Money endpoints: accounts, credits, balances and transactions.

Accounting owns the ledger. Everything the gateway can judge on its own is
refused here, before any upstream call: amounts (exact decimals only, in
the currency's precision, above zero, at most the per-operation maximum),
currencies, instants and ranges, page sizes. What reaches accounting is
normalised (``"100.5"`` becomes ``"100.50"``, instants become UTC with
``Z``), so that the same request always hashes the same for idempotency.
"""

import uuid

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import money, timeparse
from config.fields import CurrencyField
from config.problems import Code
from integration import selectors, services
from integration.api import common
from integration.api.schema import (
    IDEMPOTENCY_KEY_PARAMETER,
    IDEMPOTENT_REPLAYED_HEADER,
    NOT_READY,
    RETRY_AFTER_HEADER,
    TAG_MONEY,
    QueryInstantField,
    RequestAmountField,
    problem_responses,
)
from integration.api.serializers import (
    AccountListSerializer,
    BalanceSerializer,
    CreditResultSerializer,
    TransactionPageSerializer,
    TransactionSerializer,
)
from integration.errors import ErrorCode

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


class AccountListApi(APIView):
    """GET /accounts: the caller's accounts and their balances."""

    OutputSerializer = AccountListSerializer

    @extend_schema(
        operation_id="accounts_list",
        summary="List my accounts",
        tags=[TAG_MONEY],
        parameters=[RETRY_AFTER_HEADER],
        responses={200: OutputSerializer, **problem_responses(NOT_READY)},
    )
    def get(self, request: Request) -> Response:
        """Returns the caller's accounts."""
        upstream = selectors.account_list(user_id=common.caller_id(request))
        return common.render(
            self.OutputSerializer, upstream, extra=common.NO_NEXT_PAGE
        )


class CreditCreateApi(APIView):
    """POST /credits: money in, split between main and savings by plan."""

    @extend_schema_serializer(component_name="Credit")
    class InputSerializer(serializers.Serializer):
        """A credit as the caller sends it."""

        amount = RequestAmountField()
        currency = CurrencyField(
            required=False,
            help_text="ISO 4217; the deployment's default (USD) if omitted.",
        )
        source = serializers.CharField(
            max_length=100, required=False, allow_blank=True
        )
        # The ledger's limit (accounting's Transaction.description).
        description = serializers.CharField(
            max_length=500, required=False, allow_blank=True
        )

        def validate(self, attrs: dict) -> dict:
            """Checks the amount against its currency and normalises both.

            Args:
                attrs: The field-validated values.

            Returns:
                The values to forward, all strings, with the currency set.

            Raises:
                ValidationError: ``invalid_amount``: too many decimals for
                    the currency, or above the per-operation maximum.
            """
            currency = attrs.get("currency", settings.DEFAULT_CURRENCY)
            try:
                minor = money.to_minor(attrs["amount"], currency)
            except money.MoneyError as error:
                raise serializers.ValidationError(
                    {"amount": [ErrorDetail(str(error), code=error.code)]}
                ) from error
            return {
                **attrs,
                "amount": money.format_amount(minor, currency),
                "currency": currency,
            }

    OutputSerializer = CreditResultSerializer

    @extend_schema(
        operation_id="credits_create",
        summary="Credit my accounts",
        description=(
            "No plan: all to `main`. Percentage plan p: `savings = "
            "round_half_even(amount * p / 100)`, `main = amount - savings`. "
            "Flat plan f (in its currency): the credit must be above f; "
            "`savings = f`. A credit in another currency than the plan's is "
            "not split. `main + savings == amount`, always."
        ),
        tags=[TAG_MONEY],
        request=InputSerializer,
        parameters=[
            IDEMPOTENCY_KEY_PARAMETER,
            IDEMPOTENT_REPLAYED_HEADER,
            RETRY_AFTER_HEADER,
        ],
        responses={
            201: OutputSerializer,
            **problem_responses(
                {
                    400: [
                        Code.INVALID_AMOUNT,
                        Code.UNSUPPORTED_CURRENCY,
                        Code.INVALID_IDEMPOTENCY_KEY,
                    ],
                    409: [
                        ErrorCode.ACCOUNT_NOT_READY,
                        Code.IDEMPOTENCY_KEY_IN_FLIGHT,
                    ],
                    422: [
                        ErrorCode.AMOUNT_NOT_ABOVE_FLAT_AMOUNT,
                        ErrorCode.ACCOUNT_NOT_OPEN,
                        Code.IDEMPOTENCY_KEY_REUSED,
                    ],
                },
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Credit",
                value={
                    "amount": "100.50",
                    "currency": "USD",
                    "source": "salary",
                    "description": "November salary",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Credited",
                value={
                    "transaction": {
                        "id": "0b7c6d5e-4f3a-4b2c-9d1e-0f9a8b7c6d5e",
                        "kind": "credit",
                        "amount": "100.50",
                        "currency": "USD",
                        "occurred_at": "2026-11-21T10:00:00.000000Z",
                        "description": "November salary",
                        "source": "salary",
                        "category": None,
                        "splits": [
                            {"account_kind": "main", "amount": "90.45"},
                            {"account_kind": "savings", "amount": "10.05"},
                        ],
                        "plan": {
                            "id": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
                            "name": "Save 10%",
                            "kind": "percentage",
                            "value": "10.00",
                            "currency": "USD",
                            "description": "10% of every credit to savings.",
                        },
                    },
                    "balances": {"main": "90.45", "savings": "10.05"},
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Validates the credit and forwards it to accounting."""
        key = common.idempotency_key(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.credit_create(
            user_id=common.caller_id(request),
            data=serializer.validated_data,
            idempotency_key=key,
        )
        return common.render(self.OutputSerializer, upstream)


class BalanceApi(APIView):
    """GET /balance: balances now or exactly as of an instant."""

    @extend_schema_serializer(component_name="BalanceQuery")
    class InputSerializer(serializers.Serializer):
        """The query string of /balance."""

        at = QueryInstantField(
            required=False,
            end_of_day=True,
            help_text=(
                "RFC 3339 with an offset; a date means its end (the whole "
                "UTC day); default now."
            ),
        )
        currency = CurrencyField(
            required=False, help_text="ISO 4217; default USD."
        )

    OutputSerializer = BalanceSerializer

    @extend_schema(
        operation_id="balance_retrieve",
        summary="Read my balance",
        description=(
            "The balances exactly as they stood after every transaction "
            "with `occurred_at <= at` and none after; zeros before the "
            "first one. A date-only `at` is the whole UTC day: the balances "
            "at its end."
        ),
        tags=[TAG_MONEY],
        parameters=[InputSerializer, RETRY_AFTER_HEADER],
        responses={
            200: OutputSerializer,
            **problem_responses(
                {400: [Code.INVALID_DATETIME, Code.UNSUPPORTED_CURRENCY]},
                NOT_READY,
            ),
        },
    )
    def get(self, request: Request) -> Response:
        """Returns the caller's balances."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        params = dict(serializer.validated_data)
        if "at" in params:
            params["at"] = timeparse.format_instant(params["at"])
        upstream = selectors.balance_get(
            user_id=common.caller_id(request), params=params
        )
        return common.render(self.OutputSerializer, upstream)


class TransactionListApi(APIView):
    """GET /transactions: the caller's transactions, a page at a time."""

    @extend_schema_serializer(component_name="TransactionQuery")
    class InputSerializer(serializers.Serializer):
        """The query string of /transactions."""

        to = QueryInstantField(
            required=False,
            end_of_day=True,
            help_text="Up to this instant; a date means its end.",
        )
        kind = serializers.CharField(max_length=32, required=False)
        currency = CurrencyField(required=False)
        limit = serializers.IntegerField(
            min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
        )
        cursor = serializers.CharField(
            max_length=1024,
            required=False,
            help_text="Opaque; take it from `next`.",
        )
        order = serializers.ChoiceField(
            choices=["desc", "asc"],
            default="desc",
            help_text="Newest first unless `asc`.",
        )

        def get_fields(self) -> dict:
            """Adds ``from``, a Python keyword, to the declared fields."""
            return {
                "from": QueryInstantField(
                    required=False,
                    help_text="From this instant; a date means its start.",
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
            start, end = attrs.get("from"), attrs.get("to")
            if start is not None and end is not None and start > end:
                raise serializers.ValidationError(
                    "`from` is after `to`.", code=Code.INVALID_RANGE
                )
            return {
                name: timeparse.format_instant(value)
                if name in ("from", "to")
                else str(value)
                for name, value in attrs.items()
            }

    OutputSerializer = TransactionPageSerializer

    @extend_schema(
        operation_id="transactions_list",
        summary="List my transactions",
        tags=[TAG_MONEY],
        parameters=[InputSerializer, RETRY_AFTER_HEADER],
        responses={
            200: OutputSerializer,
            **problem_responses(
                {
                    400: [
                        Code.INVALID_DATETIME,
                        Code.INVALID_RANGE,
                        Code.INVALID_CURSOR,
                        Code.UNSUPPORTED_CURRENCY,
                        Code.VALIDATION_ERROR,
                    ]
                },
                NOT_READY,
            ),
        },
    )
    def get(self, request: Request) -> Response:
        """Returns one page, with the public URL of the next."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        upstream = selectors.transaction_list(
            user_id=common.caller_id(request),
            params=serializer.validated_data,
        )
        cursor = (
            upstream.body.get("next_cursor")
            if isinstance(upstream.body, dict)
            else None
        )
        return common.render(
            self.OutputSerializer,
            upstream,
            extra={"next": _next_url(request, cursor)},
        )


class TransactionDetailApi(APIView):
    """GET /transactions/{id}: one of the caller's transactions."""

    OutputSerializer = TransactionSerializer

    @extend_schema(
        operation_id="transactions_retrieve",
        summary="Read one of my transactions",
        description=(
            "Another user's transaction id answers 404 "
            "`transaction_not_found`; an id that is not a UUID, 404 "
            "`not_found`."
        ),
        tags=[TAG_MONEY],
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: OutputSerializer,
            **problem_responses(
                {404: [ErrorCode.TRANSACTION_NOT_FOUND, Code.NOT_FOUND]},
                NOT_READY,
            ),
        },
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        """Returns the transaction, if it is the caller's."""
        upstream = selectors.transaction_get(
            user_id=common.caller_id(request), transaction_id=str(id)
        )
        return common.render(self.OutputSerializer, upstream)


def _next_url(request: Request, cursor: str | None) -> str | None:
    """Returns this request's absolute URL with ``cursor`` replaced.

    Args:
        request: The current request; its other parameters are kept.
        cursor: The service's ``next_cursor``; None on the last page.

    Returns:
        The URL of the next page, or None.
    """
    if cursor is None:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
