"""The shapes several answers of the internal API share."""

from rest_framework import serializers

from accounting import models


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


class HolderSerializer(serializers.Serializer):
    """The accounting side of a user: names, plan, whether closed."""

    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    plan = PlanSerializer(allow_null=True)
    plan_selected_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(
        allow_null=True, help_text="Set when the user was deleted."
    )


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
    occurred_at = serializers.DateTimeField(
        help_text="When the ledger booked it (the clock of balances)."
    )
    effective_at = serializers.DateTimeField(
        help_text=(
            "When it happened for the holder (the clock of reports and "
            "history): a dated credit's or withdrawal's date, else "
            "`occurred_at`."
        )
    )
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
    reverses = serializers.UUIDField(
        allow_null=True,
        required=False,
        help_text="Reversals: the transaction undone, else null.",
    )
    reversed_by = serializers.UUIDField(
        allow_null=True,
        required=False,
        help_text=(
            "The reversal that undid it, else null (always null in a "
            "movement's own answer: it was just written)."
        ),
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
