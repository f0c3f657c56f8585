"""Money movements: credits, transfers, withdrawals, conversions.

Each view mirrors its service in ``accounting.services.movements``: it
parses the body, fingerprints it for its Idempotency-Key, calls the
service and renders the keyed result (a replay says so in a header).
"""

import uuid
from typing import Any

from django.conf import settings
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import errors, services
from accounting.api.inputs import amount_in
from accounting.api.keyed import keyed_hash, keyed_response
from accounting.api.openapi import (
    IDEMPOTENT,
    TRANSACTION_LINKS,
    movement_errors,
)
from accounting.api.outputs import (
    BalancesSerializer,
    MovementSerializer,
    RateSerializer,
    TransactionSerializer,
)
from config import bounds, fields, transfers
from config.idempotency import fingerprints
from config.idempotency import keys as idempotency_keys
from config.openapi import (
    links,
)
from config.serializers import StrictInputSerializer


class _DatedInput(StrictInputSerializer):
    """An income or an expense: amount, currency, a note and its date."""

    amount = fields.AmountField()
    currency = fields.CurrencyField(required=False)
    description = serializers.CharField(
        max_length=bounds.DESCRIPTION_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
    )
    effective_at = fields.EffectiveAtField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Converts the amount to minor units of the currency."""
        currency = attrs.get("currency") or settings.DEFAULT_CURRENCY
        amount = amount_in(attrs, currency)
        return {**attrs, "currency": currency, "amount": amount}


class CreditCreateApi(APIView):
    """POST /holders/{user_id}/credits: money in, split by plan."""

    @extend_schema_serializer(component_name="CreditInput")
    class InputSerializer(_DatedInput):
        """A credit: amount, currency, its source, a note and its date."""

        source = fields.LabelField(
            required=False,
            allow_blank=True,
            default="",
            help_text="Where the money came from.",
        )

    @extend_schema_serializer(component_name="Credit")
    class OutputSerializer(MovementSerializer):
        """The credit and the balances right after it."""

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
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credit = serializer.validated_data
        # Credits hash without an operation name (as they always did, so
        # stored keys keep replaying); their fields (``source``) already
        # tell them apart from every other movement's fingerprint.
        result = services.credit_apply(
            holder_id=user_id,
            idempotency_key=key,
            request_hash=fingerprints.request_hash(credit) if key else "",
            **credit,
        )
        return keyed_response(result)


class TransferCreateApi(APIView):
    """POST /holders/{user_id}/transfers: to another holder, or savings out.

    ``kind: "transfer"`` (the default) moves money from the holder's main
    account to another holder's main account ``to_account``;
    ``kind: "savings_release"`` moves it from the holder's savings back to
    main, within what the plan's holding period allows.
    """

    @extend_schema_serializer(component_name="TransferInput")
    class InputSerializer(StrictInputSerializer):
        """A transfer to another holder, or a release of savings to main."""

        kind = serializers.ChoiceField(
            choices=transfers.KINDS, default=transfers.TRANSFER
        )
        to_account = fields.UUIDStringField(
            required=False,
            allow_null=True,
            default=None,
            help_text=transfers.TO_ACCOUNT_HELP,
        )
        amount = fields.AmountField()
        currency = fields.CurrencyField(required=False)
        description = serializers.CharField(
            max_length=bounds.DESCRIPTION_MAX_LENGTH,
            required=False,
            allow_blank=True,
            default="",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """Checks ``to_account`` against the kind; amount to minor units.

            Raises:
                ValidationError: ``validation_error`` on ``to_account``
                    (missing for a transfer, given for a release), or
                    ``invalid_amount``.
            """
            transfers.recipient_check(attrs["kind"], attrs["to_account"])
            currency = attrs.get("currency") or settings.DEFAULT_CURRENCY
            amount = amount_in(attrs, currency)
            return {**attrs, "currency": currency, "amount": amount}

    @extend_schema_serializer(component_name="TransferToInput")
    class TransferDocument(InputSerializer):
        """A transfer: to another holder's main account (documents only)."""

        kind = serializers.ChoiceField(
            choices=[transfers.TRANSFER], default=transfers.TRANSFER
        )
        to_account = fields.UUIDStringField(
            help_text="The recipient's main account id."
        )

    @extend_schema_serializer(component_name="SavingsReleaseInput")
    class ReleaseDocument(InputSerializer):
        """A savings release: no recipient (documents only)."""

        kind = serializers.ChoiceField(choices=[transfers.SAVINGS_RELEASE])
        to_account = fields.NoValueField(
            required=False, help_text="Absent or null: no recipient."
        )

    @extend_schema_serializer(component_name="Transfer")
    class OutputSerializer(MovementSerializer):
        """The response: the holder's ``transfer_out`` or release."""

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
        key = idempotency_keys.from_headers(request.headers)
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
        if kind == transfers.SAVINGS_RELEASE:
            result = services.savings_release_apply(**movement)
        else:
            result = services.transfer_apply(to_account=to_account, **movement)
        return keyed_response(result)


class WithdrawalCreateApi(APIView):
    """POST /holders/{user_id}/withdrawals: money out of main (an expense)."""

    @extend_schema_serializer(component_name="WithdrawalInput")
    class InputSerializer(_DatedInput):
        """A withdrawal: amount, currency, its category, a note, its date."""

        category = fields.LabelField(
            required=False,
            allow_blank=True,
            allow_null=True,
            default=None,
            help_text="What the money was for; blank or null: none.",
        )

        def validate_category(self, value: str | None) -> str | None:
            """A blank category is none."""
            return value or None

    @extend_schema_serializer(component_name="Withdrawal")
    class OutputSerializer(MovementSerializer):
        """The withdrawal and the balances right after it."""

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
        key = idempotency_keys.from_headers(request.headers)
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

    @extend_schema_serializer(component_name="ConversionInput")
    class InputSerializer(StrictInputSerializer):
        """A conversion: from and to which currency, and how much."""

        from_currency = fields.CurrencyField()
        to_currency = fields.CurrencyField()
        amount = fields.AmountField(help_text="In `from_currency`.")
        description = serializers.CharField(
            max_length=bounds.DESCRIPTION_MAX_LENGTH,
            required=False,
            allow_blank=True,
            default="",
        )

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

    @extend_schema_serializer(component_name="Conversion")
    class OutputSerializer(serializers.Serializer):
        """The conversion, its rate and both currencies' balances after it."""

        transaction = TransactionSerializer()
        rate = RateSerializer(help_text="The rate the conversion applied.")
        balances = BalancesSerializer(help_text="In `from_currency`.")
        to_balances = BalancesSerializer(help_text="In `to_currency`.")

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
        key = idempotency_keys.from_headers(request.headers)
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
