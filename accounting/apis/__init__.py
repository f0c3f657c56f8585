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
    PolymorphicProxySerializer,
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
from accounting.apis import callers
from accounting.selectors import catalog
from config import fields, money, timeparse
from config import idempotency as idempotency_keys
from config.openapi import (
    IDEMPOTENCY_KEY_PARAMETER,
    IDEMPOTENT_REPLAYED_HEADER,
    IDEMPOTENT_WRITE,
    UNKNOWN_PATH,
    StatusCodes,
    internal_problems,
    links,
)
from config.problems import Code
from config.serializers import StrictInputSerializer

# What every operation on a holder (``holders/{user_id}/...``) may answer:
# the holder is closed, not created yet (its user's event is on its way),
# or the id is not a UUID.
HOLDER = {
    401: [errors.ErrorCode.USER_INACTIVE],
    409: [errors.ErrorCode.ACCOUNT_NOT_READY],
    **UNKNOWN_PATH,
}


def holder_link(operation: str, **parameters: str) -> dict[str, Any]:
    """Returns an OpenAPI link to another operation on the same holder.

    Args:
        operation: The target's ``operationId``.
        **parameters: Its other parameters, as runtime expressions.
    """
    return {
        "operationId": operation,
        "parameters": {"user_id": "$request.path.user_id", **parameters},
    }


# From a movement's answer to the transaction it wrote.
TRANSACTION_LINKS = {
    "GetTransaction": holder_link(
        "holder_transactions_get",
        transaction_id="$response.body#/transaction/id",
    )
}

# What a POST that takes an Idempotency-Key documents.
IDEMPOTENT = [IDEMPOTENCY_KEY_PARAMETER, IDEMPOTENT_REPLAYED_HEADER]


class PlanSerializer(serializers.Serializer):
    """A savings plan."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=models.Plan.Kind.choices)
    value = serializers.CharField(help_text='"12.50" percent or an amount.')
    currency = serializers.CharField()
    description = serializers.CharField()
    savings_hold_days = serializers.IntegerField(min_value=0)


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
    closed_at = serializers.DateTimeField(
        allow_null=True, help_text="Closed accounts accept nothing."
    )


class SplitSerializer(serializers.Serializer):
    """The part of a transaction on one customer account."""

    account_kind = serializers.ChoiceField(
        choices=models.Account.CUSTOMER_KINDS
    )
    currency = serializers.CharField()
    amount = serializers.CharField(help_text="Signed: + into the account.")


class ConversionDetailSerializer(serializers.Serializer):
    """What a conversion bought, and the rate it applied."""

    to_amount = serializers.CharField()
    to_currency = serializers.CharField()
    rate = serializers.CharField(help_text="The rate applied, a decimal.")


class TransactionGroupSerializer(serializers.Serializer):
    """The group a contribution went to."""

    id = serializers.UUIDField()
    name = serializers.CharField()


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
    counterparty_account = serializers.UUIDField(
        allow_null=True,
        help_text=(
            "Transfers: the other side's main account id. Group "
            "contributions: the group's pot."
        ),
    )
    conversion = ConversionDetailSerializer(allow_null=True)
    group = TransactionGroupSerializer(
        allow_null=True, help_text="Group contributions: the group."
    )


class BalancesSerializer(serializers.Serializer):
    """Balances right after a transaction, in one currency."""

    main = serializers.CharField()
    savings = serializers.CharField()


class RateSerializer(serializers.Serializer):
    """An FX rate: 1 ``base`` buys ``rate`` ``quote`` from ``valid_from``."""

    base = serializers.CharField()
    quote = serializers.CharField()
    rate = serializers.CharField()
    valid_from = serializers.DateTimeField()


class MovementSerializer(serializers.Serializer):
    """A money movement's transaction and the balances right after it."""

    transaction = TransactionSerializer()
    balances = BalancesSerializer()


def amount_in(
    attrs: dict[str, Any], currency: str, field: str = "amount"
) -> int:
    """Returns ``attrs[field]`` in minor units of ``currency``.

    Raises:
        ValidationError: ``invalid_amount``: more decimals than the
            currency has, or above the per-operation maximum.
    """
    try:
        return money.to_minor(attrs[field], currency)
    except money.MoneyError as error:
        raise serializers.ValidationError(
            {field: [str(error)]}, code=error.code
        ) from error


def target_in(attrs: dict[str, Any]) -> dict[str, Any]:
    """Returns a goal's or a group's fields with its target in minor units.

    The currency defaults to the deployment's; the target is read in it.

    Raises:
        ValidationError: ``invalid_amount`` (see :func:`amount_in`).
    """
    currency = attrs.get("currency") or settings.DEFAULT_CURRENCY
    target = amount_in(attrs, currency, "target_amount")
    return {**attrs, "currency": currency, "target_amount": target}


LABEL_MAX_LENGTH = 100


def label_in(value: str | None) -> str:
    """Returns a credit's source or a withdrawal's category, normalised.

    Labels are stored in one spelling (:func:`models.normalize_label`), so
    the limit applies to what is stored: surrounding and repeated spaces
    do not count, and case folding may lengthen a label (``"ß"`` becomes
    ``"ss"``). Normalising here also makes equivalent bodies share one
    idempotency fingerprint.

    Raises:
        ValidationError: ``validation_error``: longer than
            :data:`LABEL_MAX_LENGTH` once normalised.
    """
    label = models.normalize_label(value)
    if len(label) > LABEL_MAX_LENGTH:
        raise serializers.ValidationError(
            f"At most {LABEL_MAX_LENGTH} characters (after removing extra "
            "spaces)."
        )
    return label


def keyed_hash(operation: str, request: dict[str, Any]) -> str:
    """Returns the fingerprint of a keyed request, for its key.

    A holder's keys are shared by every endpoint that takes one (money
    movements, goals, groups), so the operation is part of the
    fingerprint: a key reused on another endpoint is a reuse even where
    the fields happen to match. ``request`` holds every field that changes
    the outcome, normalised (minor units, upper case currencies, ids as
    strings), so that equivalent bodies (``"5"`` and ``"5.00"``) hash the
    same.
    """
    return idempotency.request_hash({"operation": operation, **request})


def keyed_response(result: services.KeyedResult) -> Response:
    """Renders a keyed write's result; a replay says so in a header."""
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return Response(result.body, status=result.status, headers=headers)


# Every POST that moves money may answer these, besides its own judgements
# (and the key's, IDEMPOTENT_WRITE).
MOVEMENT = {
    400: [Code.INVALID_AMOUNT, Code.UNSUPPORTED_CURRENCY],
    422: [errors.ErrorCode.ACCOUNT_NOT_OPEN, errors.ErrorCode.ACCOUNT_CLOSED],
}


def movement_errors(own: StatusCodes) -> dict[tuple[int, str], Any]:
    """Documents a movement's problems: its own codes, then the shared ones.

    Args:
        own: The codes only this movement answers, per status.

    Returns:
        The error responses for ``extend_schema(responses=...)``.
    """
    return internal_problems(
        own, MOVEMENT, IDEMPOTENT_WRITE, HOLDER, json_body=True
    )


# --- Plans ------------------------------------------------------------------


class PlanListApi(APIView):
    """GET /plans: the active plans."""

    class OutputSerializer(serializers.Serializer):
        """The response."""

        results = PlanSerializer(many=True)

        class Meta:
            """Names the schema component."""

            ref_name = "PlanList"

    @extend_schema(
        operation_id="plans_list",
        parameters=[callers.HOLDER_PARAMETER],
        responses={200: OutputSerializer, **internal_problems(callers.CALLER)},
    )
    def get(self, request: Request) -> Response:
        """Lists the plans on offer."""
        callers.caller_check(request)
        return Response({"results": catalog.plans_active_data()})


class HolderPlanApi(APIView):
    """GET and PUT /holders/{user_id}/plan: the holder's plan choice."""

    class InputSerializer(StrictInputSerializer):
        """The request."""

        plan_id = serializers.CharField(allow_null=True)

        class Meta:
            """Names the schema component."""

            ref_name = "HolderPlanInput"

    @extend_schema(
        operation_id="holder_plan_get",
        responses={200: HolderPlanSerializer, **internal_problems(HOLDER)},
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
            **internal_problems(
                {404: [errors.ErrorCode.PLAN_NOT_FOUND]}, HOLDER, json_body=True
            ),
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

    class InputSerializer(StrictInputSerializer):
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
                {400: [Code.UNSUPPORTED_CURRENCY]}, HOLDER, json_body=True
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

    class InputSerializer(StrictInputSerializer):
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


# --- Money movements --------------------------------------------------------


class CreditCreateApi(APIView):
    """POST /holders/{user_id}/credits: money in, split by plan."""

    class InputSerializer(StrictInputSerializer):
        """The request."""

        amount = fields.AmountField()
        currency = fields.CurrencyField(required=False)
        source = serializers.CharField(
            required=False,
            allow_blank=True,
            default="",
            help_text=(
                "Where the money came from; stored normalised (spaces "
                "collapsed, case folded), at most 100 characters."
            ),
        )
        description = serializers.CharField(
            max_length=500, required=False, allow_blank=True, default=""
        )

        class Meta:
            """Names the schema component."""

            ref_name = "CreditInput"

        def validate_source(self, value: str) -> str:
            """Normalises the label (see :func:`label_in`)."""
            return label_in(value)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """Converts the amount to minor units of the currency."""
            currency = attrs.get("currency") or settings.DEFAULT_CURRENCY
            amount = amount_in(attrs, currency)
            return {**attrs, "currency": currency, "amount": amount}

    class OutputSerializer(MovementSerializer):
        """The response."""

        class Meta:
            """Names the schema component."""

            ref_name = "Credit"

    @links(201, **TRANSACTION_LINKS)
    @extend_schema(
        operation_id="holder_credits_create",
        parameters=IDEMPOTENT,
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **movement_errors(
                {422: (errors.ErrorCode.AMOUNT_NOT_ABOVE_FLAT_AMOUNT,)}
            ),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Credits the holder; replays carry ``Idempotent-Replayed``."""
        key = idempotency_keys.key_from(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credit = serializer.validated_data
        # Credits hash without an operation name (as they always did, so
        # stored keys keep replaying); their fields (``source``) already
        # tell them apart from every other movement's fingerprint.
        result = services.credit_apply(
            holder_id=user_id,
            idempotency_key=key,
            request_hash=idempotency.request_hash(credit) if key else "",
            **credit,
        )
        return keyed_response(result)


TRANSFER = "transfer"
SAVINGS_RELEASE = models.Transaction.Kind.SAVINGS_RELEASE.value


class TransferCreateApi(APIView):
    """POST /holders/{user_id}/transfers: to another holder, or savings out.

    ``kind: "transfer"`` (the default) moves money from the holder's main
    account to another holder's main account ``to_account``;
    ``kind: "savings_release"`` moves it from the holder's savings back to
    main, within what the plan's holding period allows.
    """

    class InputSerializer(StrictInputSerializer):
        """The request."""

        kind = serializers.ChoiceField(
            choices=[TRANSFER, SAVINGS_RELEASE], default=TRANSFER
        )
        to_account = fields.UUIDStringField(
            required=False,
            allow_null=True,
            default=None,
            help_text=(
                "The recipient's main account id: required for `transfer`, "
                "absent or null for `savings_release`."
            ),
        )
        amount = fields.AmountField()
        currency = fields.CurrencyField(required=False)
        description = serializers.CharField(
            max_length=500, required=False, allow_blank=True, default=""
        )

        class Meta:
            """Names the schema component."""

            ref_name = "TransferInput"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """Checks ``to_account`` against the kind; amount to minor units.

            Raises:
                ValidationError: ``validation_error`` on ``to_account``
                    (missing for a transfer, given for a release), or
                    ``invalid_amount``.
            """
            if attrs["kind"] == TRANSFER and attrs["to_account"] is None:
                raise serializers.ValidationError(
                    {"to_account": ["A transfer needs the recipient's id."]},
                    code="required",
                )
            if (
                attrs["kind"] == SAVINGS_RELEASE
                and attrs["to_account"] is not None
            ):
                raise serializers.ValidationError(
                    {
                        "to_account": [
                            "A savings release moves the holder's own "
                            "savings to main: it takes no recipient."
                        ]
                    }
                )
            currency = attrs.get("currency") or settings.DEFAULT_CURRENCY
            amount = amount_in(attrs, currency)
            return {**attrs, "currency": currency, "amount": amount}

    class TransferDocument(InputSerializer):
        """A transfer: to another holder's main account (documents only)."""

        kind = serializers.ChoiceField(choices=[TRANSFER], default=TRANSFER)
        to_account = fields.UUIDStringField(
            help_text="The recipient's main account id."
        )

        class Meta:
            """Names the schema component."""

            ref_name = "TransferToInput"

    class ReleaseDocument(InputSerializer):
        """A savings release: no recipient (documents only)."""

        kind = serializers.ChoiceField(choices=[SAVINGS_RELEASE])
        to_account = fields.NoValueField(
            required=False, help_text="Absent or null: no recipient."
        )

        class Meta:
            """Names the schema component."""

            ref_name = "SavingsReleaseInput"

    class OutputSerializer(MovementSerializer):
        """The response: the holder's ``transfer_out`` or release."""

        class Meta:
            """Names the schema component."""

            ref_name = "Transfer"

    @links(201, **TRANSACTION_LINKS)
    @extend_schema(
        operation_id="holder_transfers_create",
        parameters=IDEMPOTENT,
        # What InputSerializer reads, as the two shapes its kind allows.
        request=PolymorphicProxySerializer(
            component_name="TransferInput",
            serializers=[TransferDocument, ReleaseDocument],
            resource_type_field_name=None,
        ),
        responses={
            201: OutputSerializer,
            **movement_errors(
                {
                    404: (errors.ErrorCode.ACCOUNT_NOT_FOUND,),
                    422: (
                        errors.ErrorCode.SAME_ACCOUNT,
                        errors.ErrorCode.CURRENCY_MISMATCH,
                        errors.ErrorCode.INSUFFICIENT_FUNDS,
                        errors.ErrorCode.SAVINGS_LOCKED,
                    ),
                }
            ),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Transfers or releases savings; replays carry the header."""
        key = idempotency_keys.key_from(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        kind, to_account = data.pop("kind"), data.pop("to_account")
        request_hash = ""
        if key:
            request_hash = keyed_hash(
                "transfer",
                {
                    "kind": kind,
                    "to_account": str(to_account) if to_account else None,
                    **data,
                },
            )
        movement = {
            "holder_id": user_id,
            "idempotency_key": key,
            "request_hash": request_hash,
            **data,
        }
        if kind == SAVINGS_RELEASE:
            result = services.savings_release_apply(**movement)
        else:
            result = services.transfer_apply(to_account=to_account, **movement)
        return keyed_response(result)


class WithdrawalCreateApi(APIView):
    """POST /holders/{user_id}/withdrawals: money out of main (an expense)."""

    class InputSerializer(StrictInputSerializer):
        """The request."""

        amount = fields.AmountField()
        currency = fields.CurrencyField(required=False)
        category = serializers.CharField(
            required=False,
            allow_blank=True,
            allow_null=True,
            default=None,
            help_text=(
                "What the money was for; blank or null: none. Stored "
                "normalised (spaces collapsed, case folded), at most 100 "
                "characters."
            ),
        )
        description = serializers.CharField(
            max_length=500, required=False, allow_blank=True, default=""
        )

        class Meta:
            """Names the schema component."""

            ref_name = "WithdrawalInput"

        def validate_category(self, value: str | None) -> str | None:
            """Normalises the label; blank once normalised is none."""
            return label_in(value) or None

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """Converts the amount to minor units of the currency."""
            currency = attrs.get("currency") or settings.DEFAULT_CURRENCY
            amount = amount_in(attrs, currency)
            return {**attrs, "currency": currency, "amount": amount}

    class OutputSerializer(MovementSerializer):
        """The response."""

        class Meta:
            """Names the schema component."""

            ref_name = "Withdrawal"

    @links(201, **TRANSACTION_LINKS)
    @extend_schema(
        operation_id="holder_withdrawals_create",
        parameters=IDEMPOTENT,
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **movement_errors({422: (errors.ErrorCode.INSUFFICIENT_FUNDS,)}),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Withdraws from main; replays carry ``Idempotent-Replayed``."""
        key = idempotency_keys.key_from(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        withdrawal = serializer.validated_data
        request_hash = keyed_hash("withdrawal", withdrawal) if key else ""
        result = services.withdrawal_apply(
            holder_id=user_id,
            idempotency_key=key,
            request_hash=request_hash,
            **withdrawal,
        )
        return keyed_response(result)


class ConversionCreateApi(APIView):
    """POST /holders/{user_id}/conversions: between the holder's wallets."""

    class InputSerializer(StrictInputSerializer):
        """The request."""

        from_currency = fields.CurrencyField()
        to_currency = fields.CurrencyField()
        amount = fields.AmountField(help_text="In `from_currency`.")
        description = serializers.CharField(
            max_length=500, required=False, allow_blank=True, default=""
        )

        class Meta:
            """Names the schema component."""

            ref_name = "ConversionInput"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """Refuses one currency; amount to minor units of the source.

            Raises:
                SameCurrencyError: ``from_currency`` is ``to_currency``.
                ValidationError: ``invalid_amount``.
            """
            services.check_distinct_currencies(
                from_currency=attrs["from_currency"],
                to_currency=attrs["to_currency"],
            )
            amount = amount_in(attrs, attrs["from_currency"])
            return {**attrs, "amount": amount}

    class OutputSerializer(serializers.Serializer):
        """The response."""

        transaction = TransactionSerializer()
        rate = RateSerializer(help_text="The rate the conversion applied.")
        balances = BalancesSerializer(help_text="In `from_currency`.")
        to_balances = BalancesSerializer(help_text="In `to_currency`.")

        class Meta:
            """Names the schema component."""

            ref_name = "Conversion"

    @links(201, **TRANSACTION_LINKS)
    @extend_schema(
        operation_id="holder_conversions_create",
        parameters=IDEMPOTENT,
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **movement_errors(
                {
                    400: (errors.ErrorCode.SAME_CURRENCY,),
                    422: (
                        errors.ErrorCode.RATE_UNAVAILABLE,
                        errors.ErrorCode.AMOUNT_TOO_SMALL,
                        errors.ErrorCode.INSUFFICIENT_FUNDS,
                    ),
                }
            ),
        },
    )
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        """Converts at the current rate; replays carry the header."""
        key = idempotency_keys.key_from(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversion = serializer.validated_data
        request_hash = keyed_hash("conversion", conversion) if key else ""
        result = services.conversion_apply(
            holder_id=user_id,
            idempotency_key=key,
            request_hash=request_hash,
            **conversion,
        )
        return keyed_response(result)


# --- Rates ------------------------------------------------------------------


class RateListApi(APIView):
    """GET /rates: per currency pair, the rate valid now."""

    class InputSerializer(StrictInputSerializer):
        """The request."""

        base = fields.CurrencyField(required=False)
        holder = serializers.UUIDField(required=False)

        class Meta:
            """Names the schema component."""

            ref_name = "RateQuery"

    class OutputSerializer(serializers.Serializer):
        """The response."""

        at = serializers.DateTimeField()
        results = RateSerializer(many=True)

        class Meta:
            """Names the schema component."""

            ref_name = "RateList"

    @extend_schema(
        operation_id="rates_list",
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            **internal_problems(
                {400: [Code.UNSUPPORTED_CURRENCY]}, callers.CALLER
            ),
        },
    )
    def get(self, request: Request) -> Response:
        """Returns the rates valid now, sorted by base then quote."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        callers.caller_check(request)
        at = timezone.now()
        rates = catalog.rates_current_data(
            base=serializer.validated_data.get("base"), at=at
        )
        return Response({"at": timeparse.format_instant(at), "results": rates})


# --- Transactions -----------------------------------------------------------


class TransactionListApi(APIView):
    """GET /holders/{user_id}/transactions: keyset-paginated history."""

    class InputSerializer(StrictInputSerializer):
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
            **internal_problems(
                {
                    400: [
                        Code.INVALID_DATETIME,
                        Code.INVALID_RANGE,
                        Code.INVALID_CURSOR,
                        Code.VALIDATION_ERROR,
                    ]
                },
                HOLDER,
            ),
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
            **internal_problems(
                {404: [errors.ErrorCode.TRANSACTION_NOT_FOUND]}, HOLDER
            ),
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
