"""The public shapes the gateway renders (``API.md``), shared by views.

Each is also an OpenAPI component. Amounts and instants arrive from the
services already formatted (decimal strings, RFC 3339 UTC with ``Z``), so
output fields render them as they are: no re-parsing on the money path.
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from integration.api.schema import DecimalStringField

# Every kind of transaction (``docs/internal-api.md``), for the output and
# for the ``kind`` filter of ``GET /transactions``.
TRANSACTION_KINDS = [
    "credit",
    "transfer_out",
    "transfer_in",
    "withdrawal",
    "conversion",
    "savings_release",
]


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
    # A snapshot taken before holding periods existed has none: 0 days.
    savings_hold_days = serializers.IntegerField(
        default=0,
        help_text=(
            "Savings credited less than this many days ago cannot be "
            "released back to main (0: no holding period)."
        ),
    )


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
    closed_at = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            "When it closed (it then accepts nothing); null while open."
        ),
    )


@extend_schema_serializer(component_name="AccountList")
class AccountListSerializer(serializers.Serializer):
    """The caller's accounts (never a next page)."""

    results = AccountSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="Always null: there is no next page."
    )


@extend_schema_serializer(component_name="OpenedAccounts")
class OpenedAccountsSerializer(serializers.Serializer):
    """The main and savings accounts of a currency, just opened or not."""

    results = AccountSerializer(many=True)


@extend_schema_serializer(component_name="Split")
class SplitSerializer(serializers.Serializer):
    """One posting of a transaction on one of the caller's accounts."""

    account_kind = serializers.CharField()
    currency = serializers.CharField()
    amount = DecimalStringField(
        help_text="Signed: positive into the account, negative out of it."
    )


@extend_schema_serializer(component_name="ConversionDetail")
class ConversionDetailSerializer(serializers.Serializer):
    """What a conversion bought: the target amount and the rate applied."""

    to_amount = DecimalStringField()
    to_currency = serializers.CharField()
    rate = DecimalStringField(
        help_text="Units of `to_currency` one unit of the source bought."
    )


@extend_schema_serializer(component_name="Transaction")
class TransactionSerializer(serializers.Serializer):
    """One transaction of the caller's ledger."""

    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=TRANSACTION_KINDS)
    amount = DecimalStringField(
        help_text="Positive, in `currency` (a conversion's source)."
    )
    currency = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    description = serializers.CharField(allow_blank=True)
    source = serializers.CharField(
        allow_null=True, allow_blank=True, help_text="Set on credits."
    )
    category = serializers.CharField(
        allow_null=True, allow_blank=True, help_text="Set on withdrawals."
    )
    splits = SplitSerializer(
        many=True,
        help_text=(
            "The caller's own postings; a conversion has one per currency."
        ),
    )
    plan = PlanSerializer(
        allow_null=True, help_text="The plan applied, as it was then."
    )
    counterparty_account = serializers.UUIDField(
        allow_null=True,
        help_text=(
            "`transfer_out`: the recipient's main account; `transfer_in`: "
            "the sender's; else null."
        ),
    )
    conversion = ConversionDetailSerializer(
        allow_null=True, help_text="Set on conversions, else null."
    )


@extend_schema_serializer(component_name="Balances")
class BalancesSerializer(serializers.Serializer):
    """Balances of one currency right after a transaction."""

    main = DecimalStringField()
    savings = DecimalStringField()


@extend_schema_serializer(component_name="TransactionResult")
class TransactionResultSerializer(serializers.Serializer):
    """A credit, transfer, release or withdrawal and the balances after it."""

    transaction = TransactionSerializer()
    balances = BalancesSerializer(
        help_text="In the transaction's currency, right after it."
    )


@extend_schema_serializer(component_name="Rate")
class RateSerializer(serializers.Serializer):
    """An exchange rate: one unit of ``base`` buys ``rate`` of ``quote``."""

    base = serializers.CharField()
    quote = serializers.CharField()
    rate = DecimalStringField()
    valid_from = serializers.DateTimeField()


@extend_schema_serializer(component_name="ConversionResult")
class ConversionResultSerializer(serializers.Serializer):
    """A conversion, its rate and the balances of both currencies after."""

    transaction = TransactionSerializer()
    rate = RateSerializer(
        help_text="The rate applied (`base` = `from_currency`, `quote` = "
        "`to_currency`), as `GET /rates` showed it."
    )
    balances = BalancesSerializer(help_text="In the source currency.")
    to_balances = BalancesSerializer(help_text="In the target currency.")


@extend_schema_serializer(component_name="RateList")
class RateListSerializer(serializers.Serializer):
    """The rates valid now, one per pair, sorted by base then quote."""

    at = serializers.DateTimeField(help_text="The instant they are valid at.")
    results = RateSerializer(many=True)


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
