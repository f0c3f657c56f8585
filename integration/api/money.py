"""Money endpoints: accounts, money movements, rates, balances, history.

Accounting owns the ledger. Everything the gateway can judge on its own is
refused here, before any upstream call: amounts (exact decimals only, in
the currency's precision, above zero, at most the per-operation maximum),
currencies, account ids, a conversion into its own currency, instants and
ranges, page sizes. What reaches accounting is normalised (``"100.5"``
becomes ``"100.50"``, a transfer always names its ``kind``, ids and
instants take their canonical form), so that the same request always
hashes the same for idempotency. Accounting's own judgements (balances,
recipients, rates, holding periods) come back as problems and are passed
through unchanged.
"""

import uuid

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import bounds, timeparse, transfers
from config.fields import (
    AmountField,
    CurrencyField,
    EffectiveAtField,
    InstantField,
    LabelField,
    NoValueField,
    UUIDStringField,
)
from config.idempotency import keys as idempotency_keys
from config.openapi import links
from config.problems import Code
from config.serializers import StrictInputSerializer
from integration import errors, limits, selectors, services
from integration.api import common
from integration.api.schema import (
    FIRST_TRANSACTION_LINKS,
    IDEMPOTENT_PARAMETERS,
    MOVES_MONEY,
    NOT_READY,
    RETRY_AFTER_HEADER,
    TAG_MONEY,
    TRANSACTION_LINKS,
    problem_responses,
)
from integration.api.serializers import (
    EXAMPLE_AT,
    TRANSACTION_KINDS,
    AccountListSerializer,
    BalanceSerializer,
    ConversionResultSerializer,
    OpenedAccountsSerializer,
    RateListSerializer,
    TransactionPageSerializer,
    TransactionResultSerializer,
    TransactionSerializer,
    transaction_example,
)
from integration.errors import ErrorCode

# An id of the examples.
_EXAMPLE_RECIPIENT = "3f2e1d0c-9b8a-4f6e-8d5c-4b3a2f1e0d9c"


def _description() -> serializers.CharField:
    """Returns the optional free-text description of a money movement."""
    return serializers.CharField(
        max_length=bounds.DESCRIPTION_MAX_LENGTH,
        required=False,
        allow_blank=True,
    )


class _AmountSerializer(StrictInputSerializer):
    """An amount in a currency, the deployment's default if omitted."""

    amount = AmountField()
    currency = CurrencyField(
        required=False,
        help_text="ISO 4217; the deployment's default (USD) if omitted.",
    )

    def validate(self, attrs: dict) -> dict:
        """Checks the amount against its currency and normalises both.

        Args:
            attrs: The field-validated values.

        Returns:
            The values to forward, with the currency set and the amount in
            its precision.

        Raises:
            ValidationError: ``invalid_amount``: too many decimals for the
                currency, or above the per-operation maximum.
        """
        currency = attrs.get("currency", settings.DEFAULT_CURRENCY)
        return {
            **attrs,
            "amount": common.amount_in(attrs["amount"], currency),
            "currency": currency,
        }


class _DatedSerializer(_AmountSerializer):
    """A record of income or expense, maybe of an earlier day."""

    effective_at = EffectiveAtField()

    def validate(self, attrs: dict) -> dict:
        """Normalises the amount and writes the date as an instant in UTC.

        One spelling per instant, so that a retry of the same record always
        forwards the same body (and hashes the same for idempotency).
        """
        attrs = super().validate(attrs)
        if "effective_at" in attrs:
            attrs["effective_at"] = timeparse.format_instant(
                attrs["effective_at"]
            )
        return attrs


class AccountsApi(APIView):
    """GET and POST /accounts: the caller's accounts; open a currency."""

    ListOutputSerializer = AccountListSerializer

    @extend_schema_serializer(component_name="AccountOpen")
    class OpenInputSerializer(StrictInputSerializer):
        """The currency to open accounts in."""

        currency = CurrencyField(help_text="ISO 4217, a supported currency.")

    OpenOutputSerializer = OpenedAccountsSerializer

    @extend_schema(
        operation_id="accounts_list",
        summary="List my accounts",
        tags=[TAG_MONEY],
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: ListOutputSerializer,
            **problem_responses(NOT_READY),
        },
    )
    def get(self, request: Request) -> Response:
        """Returns the caller's accounts."""
        upstream = selectors.account_list(user_id=common.caller_id(request))
        return common.render(
            self.ListOutputSerializer, upstream, extra=common.NO_NEXT_PAGE
        )

    @extend_schema(
        operation_id="accounts_open",
        summary="Open my accounts in a currency",
        description=(
            "Opens the `main` and `savings` accounts in `currency` and "
            "answers both. Idempotent per currency: opening a currency "
            "again opens nothing and answers the same accounts. A wallet "
            "staff closed stays closed: opening it again is refused "
            "(422 `account_closed`)."
        ),
        tags=[TAG_MONEY],
        request=OpenInputSerializer,
        parameters=[RETRY_AFTER_HEADER],
        responses={
            201: OpenOutputSerializer,
            **problem_responses(
                {
                    400: [Code.UNSUPPORTED_CURRENCY],
                    422: [ErrorCode.ACCOUNT_CLOSED],
                },
                NOT_READY,
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Open EUR", value={"currency": "EUR"}, request_only=True
            ),
            OpenApiExample(
                "Opened",
                value={
                    "results": [
                        {
                            "id": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
                            "kind": "main",
                            "currency": "EUR",
                            "balance": "0.00",
                            "closed_at": None,
                        },
                        {
                            "id": "8b7c6d5e-4f3a-4b2c-8d1e-9f0a1b2c3d4e",
                            "kind": "savings",
                            "currency": "EUR",
                            "balance": "0.00",
                            "closed_at": None,
                        },
                    ]
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Opens the currency's accounts (or finds them) in accounting."""
        serializer = self.OpenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.account_open(
            user_id=common.caller_id(request),
            currency=serializer.validated_data["currency"],
        )
        return common.render(self.OpenOutputSerializer, upstream)


class CreditCreateApi(APIView):
    """POST /credits: money in, split between main and savings by plan."""

    rate_limit_scope = limits.MONEY

    @extend_schema_serializer(component_name="Credit")
    class InputSerializer(_DatedSerializer):
        """A credit as the caller sends it."""

        source = LabelField(
            required=False,
            allow_blank=True,
            help_text="Where the money came from, such as `salary`.",
        )
        description = _description()

    OutputSerializer = TransactionResultSerializer

    @links(201, **TRANSACTION_LINKS)
    @extend_schema(
        operation_id="credits_create",
        summary="Credit my accounts",
        description=(
            "No plan: all to `main`. Percentage plan p: `savings = "
            "round_half_even(amount * p / 100)`, `main = amount - savings`. "
            "Flat plan f (in its currency): the credit must be above f; "
            "`savings = f`. A credit in another currency than the plan's is "
            "not split. `main + savings == amount`, always.\n\n"
            "`effective_at` dates an income received earlier (a date or "
            "a date-time, never in the future): the money arrives now, "
            "split by my plan now, and reports and `GET /transactions` "
            "count it on that day."
        ),
        tags=[TAG_MONEY],
        request=InputSerializer,
        parameters=IDEMPOTENT_PARAMETERS,
        responses={
            201: OutputSerializer,
            **problem_responses(
                {
                    400: [Code.INVALID_DATETIME, Code.VALIDATION_ERROR],
                    422: [
                        ErrorCode.AMOUNT_NOT_ABOVE_FLAT_AMOUNT,
                        ErrorCode.ACCOUNT_NOT_OPEN,
                        ErrorCode.ACCOUNT_FROZEN,
                    ],
                },
                MOVES_MONEY,
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
                "Credit received earlier",
                value={
                    "amount": "40.00",
                    "source": "freelance",
                    "effective_at": "2026-11-03",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Credited",
                value={
                    "transaction": transaction_example(
                        description="November salary",
                        source="salary",
                        splits=[
                            {
                                "account_kind": "main",
                                "currency": "USD",
                                "amount": "90.45",
                            },
                            {
                                "account_kind": "savings",
                                "currency": "USD",
                                "amount": "10.05",
                            },
                        ],
                        plan={
                            "id": "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
                            "name": "Save 10%",
                            "kind": "percentage",
                            "value": "10.00",
                            "currency": "USD",
                            "description": "10% of every credit to savings.",
                        },
                    ),
                    "balances": {"main": "90.45", "savings": "10.05"},
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Validates the credit and forwards it to accounting."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.credit_create(
            user_id=common.caller_id(request),
            data=serializer.validated_data,
            idempotency_key=key,
        )
        return common.render(self.OutputSerializer, upstream)


class TransferCreateApi(APIView):
    """POST /transfers: to a recipient's main account, or savings to main."""

    rate_limit_scope = limits.MONEY

    @extend_schema_serializer(component_name="Transfer")
    class InputSerializer(_AmountSerializer):
        """A transfer or a savings release as the caller sends it."""

        kind = serializers.ChoiceField(
            choices=transfers.KINDS,
            default=transfers.TRANSFER,
            help_text=(
                "`transfer`: to `to_account`; `savings_release`: from my "
                "savings to my main account."
            ),
        )
        to_account = UUIDStringField(
            required=False, allow_null=True, help_text=transfers.TO_ACCOUNT_HELP
        )
        description = _description()

        def validate(self, attrs: dict) -> dict:
            """Checks ``to_account`` against the kind; normalises the rest.

            Args:
                attrs: The field-validated values.

            Returns:
                The values to forward: ``kind`` always, ``to_account`` (a
                canonical UUID string) for a ``transfer`` only.

            Raises:
                ValidationError: ``invalid_amount`` (as for every amount);
                    ``validation_error`` on ``to_account``: missing for a
                    ``transfer``, or given for a ``savings_release``.
            """
            attrs = super().validate(attrs)
            to_account = attrs.pop("to_account", None)
            transfers.recipient_check(attrs["kind"], to_account)
            if to_account is None:
                return attrs
            return {**attrs, "to_account": str(to_account)}

    @extend_schema_serializer(component_name="TransferTo")
    class TransferDocument(InputSerializer):
        """A transfer: to another user's main account (documents only)."""

        kind = serializers.ChoiceField(
            choices=[transfers.TRANSFER],
            default=transfers.TRANSFER,
            help_text="`transfer`: to `to_account`.",
        )
        to_account = UUIDStringField(
            help_text="The recipient's main account id."
        )

    @extend_schema_serializer(component_name="SavingsRelease")
    class ReleaseDocument(InputSerializer):
        """A savings release: my savings to my main (documents only)."""

        kind = serializers.ChoiceField(
            choices=[transfers.SAVINGS_RELEASE],
            help_text="`savings_release`: from my savings to my main account.",
        )
        to_account = NoValueField(
            required=False, help_text="Absent or null: no recipient."
        )

    OutputSerializer = TransactionResultSerializer

    @links(201, **TRANSACTION_LINKS)
    @extend_schema(
        operation_id="transfers_create",
        summary="Transfer money, or release my savings",
        description=(
            "`transfer` (the default) moves `amount` from my `main` account "
            "to the recipient's `main` account `to_account`, in the same "
            "currency (a recipient in another currency: 422 "
            "`currency_mismatch`; my own account: 422 `same_account`; an "
            "unknown or closed account, or one that is not a main account: "
            "404 `account_not_found`). The transaction is my "
            "`transfer_out`; the recipient sees a `transfer_in`.\n\n"
            "`savings_release` moves `amount` from my `savings` back to my "
            "`main` account, in `currency`, and takes no `to_account`. It is "
            "subject to my plan's holding period: savings credited less "
            "than the plan's `savings_hold_days` days ago stay locked (422 "
            "`savings_locked`).\n\n"
            "Not enough money to move: 422 `insufficient_funds`. A wallet "
            "staff froze: 422 `account_frozen` (mine, or the recipient's "
            "for a transfer; a release is refused by any freeze of the "
            "wallet). Nothing is applied when an error is answered."
        ),
        tags=[TAG_MONEY],
        # What InputSerializer reads, as the two shapes its kind allows.
        request=PolymorphicProxySerializer(
            component_name="Transfer",
            serializers=[TransferDocument, ReleaseDocument],
            resource_type_field_name=None,
        ),
        parameters=IDEMPOTENT_PARAMETERS,
        responses={
            201: OutputSerializer,
            **problem_responses(
                {
                    400: [Code.VALIDATION_ERROR],
                    404: [ErrorCode.ACCOUNT_NOT_FOUND],
                    422: [
                        ErrorCode.SAME_ACCOUNT,
                        ErrorCode.CURRENCY_MISMATCH,
                        ErrorCode.INSUFFICIENT_FUNDS,
                        ErrorCode.SAVINGS_LOCKED,
                        ErrorCode.ACCOUNT_NOT_OPEN,
                        ErrorCode.ACCOUNT_CLOSED,
                        ErrorCode.ACCOUNT_FROZEN,
                    ],
                },
                MOVES_MONEY,
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Transfer",
                value={
                    "to_account": _EXAMPLE_RECIPIENT,
                    "amount": "25.00",
                    "currency": "USD",
                    "description": "Dinner",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Savings release",
                value={
                    "kind": transfers.SAVINGS_RELEASE,
                    "amount": "10.00",
                    "currency": "USD",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Transferred",
                value={
                    "transaction": transaction_example(
                        kind="transfer_out",
                        amount="25.00",
                        description="Dinner",
                        splits=[
                            {
                                "account_kind": "main",
                                "currency": "USD",
                                "amount": "-25.00",
                            }
                        ],
                        counterparty_account=_EXAMPLE_RECIPIENT,
                    ),
                    "balances": {"main": "65.45", "savings": "10.05"},
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Validates the transfer and forwards it to accounting."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.transfer_create(
            user_id=common.caller_id(request),
            data=serializer.validated_data,
            idempotency_key=key,
        )
        return common.render(self.OutputSerializer, upstream)


class WithdrawalCreateApi(APIView):
    """POST /withdrawals: money out of the caller's main account."""

    rate_limit_scope = limits.MONEY

    @extend_schema_serializer(component_name="Withdrawal")
    class InputSerializer(_DatedSerializer):
        """A withdrawal as the caller sends it."""

        category = LabelField(
            required=False,
            allow_blank=True,
            help_text="What the money was for, such as `groceries`.",
        )
        description = _description()

    OutputSerializer = TransactionResultSerializer

    @links(201, **TRANSACTION_LINKS)
    @extend_schema(
        operation_id="withdrawals_create",
        summary="Withdraw money",
        description=(
            "Takes `amount` out of my `main` account in `currency`. Not "
            "enough in `main`: 422 `insufficient_funds` (savings are not "
            "withdrawn: release them first with a `savings_release` "
            "transfer).\n\n"
            "`effective_at` dates an expense paid earlier (a date or a "
            "date-time, never in the future): the money leaves `main` now, "
            "and reports and `GET /transactions` count it on that day."
        ),
        tags=[TAG_MONEY],
        request=InputSerializer,
        parameters=IDEMPOTENT_PARAMETERS,
        responses={
            201: OutputSerializer,
            **problem_responses(
                {
                    400: [Code.INVALID_DATETIME, Code.VALIDATION_ERROR],
                    422: [
                        ErrorCode.INSUFFICIENT_FUNDS,
                        ErrorCode.ACCOUNT_NOT_OPEN,
                        ErrorCode.ACCOUNT_CLOSED,
                        ErrorCode.ACCOUNT_FROZEN,
                    ],
                },
                MOVES_MONEY,
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Withdrawal",
                value={
                    "amount": "10.00",
                    "currency": "USD",
                    "category": "groceries",
                    "description": "Market",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Expense paid earlier",
                value={
                    "amount": "12.40",
                    "category": "transport",
                    "effective_at": "2026-11-20T08:15:00+01:00",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Withdrawn",
                value={
                    "transaction": transaction_example(
                        kind="withdrawal",
                        amount="10.00",
                        description="Market",
                        category="groceries",
                        splits=[
                            {
                                "account_kind": "main",
                                "currency": "USD",
                                "amount": "-10.00",
                            }
                        ],
                    ),
                    "balances": {"main": "80.45", "savings": "10.05"},
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Validates the withdrawal and forwards it to accounting."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.withdrawal_create(
            user_id=common.caller_id(request),
            data=serializer.validated_data,
            idempotency_key=key,
        )
        return common.render(self.OutputSerializer, upstream)


class ConversionCreateApi(APIView):
    """POST /conversions: money from one currency into another."""

    rate_limit_scope = limits.MONEY

    @extend_schema_serializer(component_name="Conversion")
    class InputSerializer(StrictInputSerializer):
        """A conversion as the caller sends it."""

        from_currency = CurrencyField(help_text="ISO 4217: what I sell.")
        to_currency = CurrencyField(
            help_text="ISO 4217: what I buy; not `from_currency`."
        )
        amount = AmountField()
        description = _description()

        def validate(self, attrs: dict) -> dict:
            """Refuses a conversion into its own currency; checks the amount.

            Args:
                attrs: The field-validated values.

            Returns:
                The values to forward, the amount in the precision of
                ``from_currency``.

            Raises:
                SameCurrencyError: Nothing to convert.
                ValidationError: ``invalid_amount``: too many decimals for
                    ``from_currency``, or above the per-operation maximum.
            """
            if attrs["from_currency"] == attrs["to_currency"]:
                message = "`to_currency` is `from_currency`: nothing to do."
                raise errors.SameCurrencyError(
                    message, errors={"to_currency": [message]}
                )
            return {
                **attrs,
                "amount": common.amount_in(
                    attrs["amount"], attrs["from_currency"]
                ),
            }

    OutputSerializer = ConversionResultSerializer

    @links(201, **TRANSACTION_LINKS)
    @extend_schema(
        operation_id="conversions_create",
        summary="Convert money to another currency",
        description=(
            "Sells `amount` of `from_currency` from my `main` account and "
            "buys `to_currency` into my `main` account at the current rate "
            "(`GET /rates`; none for the pair: 422 `rate_unavailable`). "
            "Rounding: `to_amount = round_half_even(amount x rate)` to the "
            "target currency's minor unit; a `to_amount` of zero: 422 "
            "`amount_too_small`. Both currencies' accounts must be open "
            "(`POST /accounts`; else 422 `account_not_open`). "
            "`from_currency` = `to_currency`: 400 `same_currency`. "
            "`balances` are in `from_currency`, `to_balances` in "
            "`to_currency`, right after the conversion."
        ),
        tags=[TAG_MONEY],
        request=InputSerializer,
        parameters=IDEMPOTENT_PARAMETERS,
        responses={
            201: OutputSerializer,
            **problem_responses(
                {
                    400: [ErrorCode.SAME_CURRENCY],
                    422: [
                        ErrorCode.RATE_UNAVAILABLE,
                        ErrorCode.AMOUNT_TOO_SMALL,
                        ErrorCode.INSUFFICIENT_FUNDS,
                        ErrorCode.ACCOUNT_NOT_OPEN,
                        ErrorCode.ACCOUNT_CLOSED,
                        ErrorCode.ACCOUNT_FROZEN,
                    ],
                },
                MOVES_MONEY,
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Conversion",
                value={
                    "from_currency": "USD",
                    "to_currency": "EUR",
                    "amount": "50.00",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Converted",
                value={
                    "transaction": transaction_example(
                        kind="conversion",
                        amount="50.00",
                        splits=[
                            {
                                "account_kind": "main",
                                "currency": "USD",
                                "amount": "-50.00",
                            },
                            {
                                "account_kind": "main",
                                "currency": "EUR",
                                "amount": "46.00",
                            },
                        ],
                        conversion={
                            "to_amount": "46.00",
                            "to_currency": "EUR",
                            "rate": "0.92",
                        },
                    ),
                    "rate": {
                        "base": "USD",
                        "quote": "EUR",
                        "rate": "0.92",
                        "valid_from": "2026-11-21T00:00:00.000000Z",
                    },
                    "balances": {"main": "40.45", "savings": "10.05"},
                    "to_balances": {"main": "46.00", "savings": "0.00"},
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Validates the conversion and forwards it to accounting."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.conversion_create(
            user_id=common.caller_id(request),
            data=serializer.validated_data,
            idempotency_key=key,
        )
        return common.render(self.OutputSerializer, upstream)


class RateListApi(APIView):
    """GET /rates: the exchange rates valid now."""

    @extend_schema_serializer(component_name="RateQuery")
    class InputSerializer(StrictInputSerializer):
        """The query string of /rates."""

        base = CurrencyField(
            required=False,
            help_text="ISO 4217: only the rates from this currency.",
        )

    OutputSerializer = RateListSerializer

    @extend_schema(
        operation_id="rates_list",
        summary="List the current exchange rates",
        description=(
            "Per currency pair, the newest rate valid now, sorted by `base` "
            "then `quote`: one unit of `base` buys `rate` units of `quote`. "
            "Staff maintain them; conversions apply them."
        ),
        tags=[TAG_MONEY],
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            **problem_responses({400: [Code.UNSUPPORTED_CURRENCY]}),
        },
        examples=[
            OpenApiExample(
                "Rates",
                value={
                    "at": EXAMPLE_AT,
                    "results": [
                        {
                            "base": "USD",
                            "quote": "EUR",
                            "rate": "0.92",
                            "valid_from": "2026-11-21T00:00:00.000000Z",
                        },
                        {
                            "base": "USD",
                            "quote": "JPY",
                            "rate": "151.2",
                            "valid_from": "2026-11-21T00:00:00.000000Z",
                        },
                    ],
                },
                response_only=True,
                status_codes=[200],
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        """Returns the current rates, from one base if asked."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        upstream = selectors.rate_list(
            user_id=common.caller_id(request),
            params=serializer.validated_data,
        )
        return common.render(self.OutputSerializer, upstream)


class BalanceApi(APIView):
    """GET /balance: balances now or exactly as of an instant."""

    @extend_schema_serializer(component_name="BalanceQuery")
    class InputSerializer(StrictInputSerializer):
        """The query string of /balance."""

        at = InstantField(
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
    class InputSerializer(StrictInputSerializer):
        """The query string of /transactions."""

        to = InstantField(
            required=False,
            end_of_day=True,
            help_text="Up to this instant; a date means its end.",
        )
        kind = serializers.ChoiceField(
            choices=TRANSACTION_KINDS, required=False
        )
        currency = CurrencyField(required=False)
        limit = serializers.IntegerField(
            min_value=1,
            max_value=bounds.MAX_PAGE_SIZE,
            default=bounds.DEFAULT_PAGE_SIZE,
        )
        cursor = serializers.CharField(
            max_length=bounds.CURSOR_MAX_LENGTH,
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
                "from": InstantField(
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
            common.range_check(attrs)
            return {
                name: timeparse.format_instant(value)
                if name in ("from", "to")
                else str(value)
                for name, value in attrs.items()
            }

    OutputSerializer = TransactionPageSerializer

    @links(200, **FIRST_TRANSACTION_LINKS)
    @extend_schema(
        operation_id="transactions_list",
        summary="List my transactions",
        description=(
            "By `effective_at` (when each happened for me; a dated credit "
            "or withdrawal takes its place among its days), then by id: "
            "newest first unless `order=asc`. `from` and `to` bound "
            "`effective_at` too; balances as of an instant go by "
            "`occurred_at` instead (`GET /balance`). A `reversal` is "
            "staff's correction of a mistaken movement, never an edit: it "
            "names what it undoes (`reverses`), which names it back "
            "(`reversed_by`)."
        ),
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
        return common.render(
            self.OutputSerializer,
            upstream,
            extra=common.next_page(request, upstream),
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
