"""The public shapes the gateway renders (``API.md``), shared by views.

Each is also an OpenAPI component. Amounts and instants arrive from the
services already formatted (decimal strings, RFC 3339 UTC with ``Z``), so
output fields render them as they are: no re-parsing on the money path.
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from integration.api.schema import DecimalStringField


@extend_schema_serializer(component_name="User")
class UserSerializer(serializers.Serializer):
    """A user, as the caller sees themselves."""

    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    date_joined = serializers.DateTimeField()


@extend_schema_serializer(component_name="Tokens")
class TokensSerializer(serializers.Serializer):
    """An access token and the refresh token to renew it."""

    access = serializers.CharField(help_text="The JWT for `Authorization`.")
    refresh = serializers.CharField()
    token_type = serializers.ChoiceField(
        choices=["Bearer"], help_text='Always "Bearer".'
    )
    expires_in = serializers.IntegerField(
        help_text="Seconds until the access token expires."
    )


@extend_schema_serializer(component_name="RefreshedTokens")
class RefreshedTokensSerializer(TokensSerializer):
    """A renewed access token; a new refresh token when they rotate."""

    refresh = serializers.CharField(required=False)


@extend_schema_serializer(component_name="Plan")
class PlanSerializer(serializers.Serializer):
    """A savings plan."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["flat_amount", "percentage"])
    value = DecimalStringField(
        help_text='A percent ("12.50") or an amount in `currency` ("5.00").'
    )
    currency = serializers.CharField()
    description = serializers.CharField(allow_blank=True)


@extend_schema_serializer(component_name="PlanList")
class PlanListSerializer(serializers.Serializer):
    """The active plans (the list is short: never a next page)."""

    results = PlanSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="Always null: there is no next page."
    )


@extend_schema_serializer(component_name="PlanSelection")
class PlanSelectionSerializer(serializers.Serializer):
    """The caller's plan, or null, and when it was chosen."""

    plan = PlanSerializer(allow_null=True)
    selected_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="Account")
class AccountSerializer(serializers.Serializer):
    """One of the caller's accounts."""

    id = serializers.UUIDField()
    kind = serializers.CharField(help_text='"main", "savings", ...')
    currency = serializers.CharField()
    balance = DecimalStringField()


@extend_schema_serializer(component_name="AccountList")
class AccountListSerializer(serializers.Serializer):
    """The caller's accounts (never a next page)."""

    results = AccountSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="Always null: there is no next page."
    )


@extend_schema_serializer(component_name="Split")
class SplitSerializer(serializers.Serializer):
    """The part of a transaction that went to one account."""

    account_kind = serializers.CharField()
    amount = DecimalStringField()


@extend_schema_serializer(component_name="Transaction")
class TransactionSerializer(serializers.Serializer):
    """One transaction of the caller's ledger."""

    id = serializers.UUIDField()
    kind = serializers.CharField(
        help_text='"credit", "transfer_in", "transfer_out", "withdrawal", ...'
    )
    amount = DecimalStringField()
    currency = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    description = serializers.CharField(allow_blank=True)
    source = serializers.CharField(allow_null=True, allow_blank=True)
    category = serializers.CharField(allow_null=True, allow_blank=True)
    splits = SplitSerializer(many=True)
    plan = PlanSerializer(
        allow_null=True, help_text="The plan applied, as it was then."
    )


@extend_schema_serializer(component_name="Balances")
class BalancesSerializer(serializers.Serializer):
    """Balances right after a transaction, in its currency."""

    main = DecimalStringField()
    savings = DecimalStringField()


@extend_schema_serializer(component_name="CreditResult")
class CreditResultSerializer(serializers.Serializer):
    """A credit: the transaction and the balances right after it."""

    transaction = TransactionSerializer()
    balances = BalancesSerializer()


@extend_schema_serializer(component_name="Balance")
class BalanceSerializer(serializers.Serializer):
    """The caller's balances in one currency as of an instant."""

    at = serializers.DateTimeField()
    currency = serializers.CharField()
    main = DecimalStringField()
    savings = DecimalStringField()
    total = DecimalStringField()


@extend_schema_serializer(component_name="TransactionPage")
class TransactionPageSerializer(serializers.Serializer):
    """One page of transactions and the URL of the next one."""

    results = TransactionSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="The next page, or null on the last."
    )
