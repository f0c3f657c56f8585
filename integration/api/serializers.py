"""The public shapes the gateway renders (``docs/api.md``), shared by views.

Each is also an OpenAPI component. Amounts and instants arrive from the
services already formatted (decimal strings, RFC 3339 UTC with ``Z``), so
output fields render them as they are: no re-parsing on the money path.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from config import webhook_events
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
    "group_contribution",
    "reversal",
]
# Where a job of a worker stands (a statement import, a credit batch).
JOB_STATUSES = ["queued", "running", "completed", "failed"]
# The instant of the OpenAPI examples.
EXAMPLE_AT = "2026-11-21T10:00:00.000000Z"


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


@extend_schema_serializer(component_name="TransactionGroup")
class TransactionGroupSerializer(serializers.Serializer):
    """The savings group a contribution went to."""

    id = serializers.UUIDField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="Transaction")
class TransactionSerializer(serializers.Serializer):
    """One transaction of the caller's ledger."""

    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=TRANSACTION_KINDS)
    amount = DecimalStringField(
        help_text="Positive, in `currency` (a conversion's source)."
    )
    currency = serializers.CharField()
    occurred_at = serializers.DateTimeField(
        help_text=(
            "When the ledger booked it: balances as of an instant count "
            "it from here."
        )
    )
    effective_at = serializers.DateTimeField(
        help_text=(
            "When it happened for me: the date a credit or withdrawal was "
            "given (never after `occurred_at`), else `occurred_at`. "
            "Reports and `GET /transactions` go by this clock."
        )
    )
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
            "the sender's; `group_contribution`: the group's pot; else null."
        ),
    )
    conversion = ConversionDetailSerializer(
        allow_null=True, help_text="Set on conversions, else null."
    )
    # Nullable, so a body without it renders null: an idempotent replay
    # stored before groups existed has no ``group`` key.
    group = TransactionGroupSerializer(
        allow_null=True,
        help_text="The group a `group_contribution` went to, else null.",
    )
    # Nullable for the same reason: answers stored before reversals.
    reverses = serializers.UUIDField(
        allow_null=True,
        help_text=(
            "`reversal`: the transaction it undoes (staff's correction of "
            "a mistake: the same amount, every posting the other way), "
            "else null."
        ),
    )
    reversed_by = serializers.UUIDField(
        allow_null=True,
        help_text=(
            "The `reversal` that undid this transaction, else null (null "
            "in a movement's own answer)."
        ),
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


# --- Personal finance -------------------------------------------------------

# How a report may group its transactions (``group_by``).
REPORT_GROUPINGS = ["category", "source", "month"]


@extend_schema_serializer(component_name="ReportGroup")
class ReportGroupSerializer(serializers.Serializer):
    """One row of a report: the totals of the transactions of one key."""

    key = serializers.CharField(
        allow_null=True,
        help_text=(
            "The category, the source or the month (`YYYY-MM`, UTC); null "
            "for transactions without a category (or source), and for the "
            "kinds that have none."
        ),
    )
    income = DecimalStringField()
    expenses = DecimalStringField()
    saved = DecimalStringField(help_text="May be negative.")
    savings_rate = DecimalStringField(
        allow_null=True,
        help_text="`saved / income * 100`, 2 decimals; null if no income.",
    )
    transactions = serializers.IntegerField(
        help_text="How many transactions fell into this row."
    )


@extend_schema_serializer(component_name="Report")
class ReportSerializer(serializers.Serializer):
    """Income, expenses and savings over a range, in one currency."""

    to = serializers.DateTimeField(help_text="The range's end (inclusive).")
    currency = serializers.CharField()
    group_by = serializers.ChoiceField(choices=REPORT_GROUPINGS)
    income = DecimalStringField(help_text="Credits and incoming transfers.")
    expenses = DecimalStringField(
        help_text="Withdrawals and outgoing transfers."
    )
    saved = DecimalStringField(
        help_text=(
            "Net change of my savings account, group contributions aside; "
            'may be negative ("-5.00").'
        )
    )
    savings_rate = DecimalStringField(
        allow_null=True,
        help_text="`saved / income * 100`, 2 decimals; null if no income.",
    )
    groups = ReportGroupSerializer(
        many=True,
        help_text=(
            "The totals are exactly the sums of these rows. By month: "
            "oldest first; else by key, null last."
        ),
    )

    def get_fields(self) -> dict:
        """Adds ``from``, a Python keyword, to the declared fields."""
        return {
            "from": serializers.DateTimeField(
                allow_null=True,
                help_text="The range's start (inclusive); null: the start.",
            ),
            **super().get_fields(),
        }


@extend_schema_serializer(component_name="Category")
class CategorySerializer(serializers.Serializer):
    """An expense category staff suggest."""

    name = serializers.CharField(
        help_text="Lower case, single spaces: as withdrawals store it."
    )


@extend_schema_serializer(component_name="CategoryList")
class CategoryListSerializer(serializers.Serializer):
    """The suggested categories, by name (never a next page)."""

    results = CategorySerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="Always null: there is no next page."
    )


@extend_schema_serializer(component_name="Goal")
class GoalSerializer(serializers.Serializer):
    """A savings goal and how much of my savings it has."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    target_amount = DecimalStringField()
    currency = serializers.CharField()
    saved = DecimalStringField(
        help_text="The part of my savings allocated to this goal."
    )
    progress_percent = DecimalStringField(
        help_text='`saved / target_amount * 100`, rounded down ("42.50").'
    )
    target_date = serializers.DateField(allow_null=True)
    on_track = serializers.BooleanField(
        allow_null=True, help_text="Null when the goal has no date."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="GoalList")
class GoalListSerializer(serializers.Serializer):
    """My goals, in the order my savings are allocated to them."""

    results = GoalSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="Always null: there is no next page."
    )


@extend_schema_serializer(component_name="GroupMember")
class GroupMemberSerializer(serializers.Serializer):
    """A member of a savings group and what they put in."""

    user_id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    contributed = DecimalStringField(
        help_text="The sum of their contributions, in the group's currency."
    )
    contributions = serializers.IntegerField(
        help_text="How many contributions they made."
    )
    joined_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            "When a former member left; null for a current member. A "
            "former member is listed only if they contributed: their "
            "money stays in the pot."
        ),
    )


@extend_schema_serializer(component_name="Group")
class GroupSerializer(serializers.Serializer):
    """A savings group: its pot, its progress and its leaderboard."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    currency = serializers.CharField()
    target_amount = DecimalStringField()
    target_date = serializers.DateField(allow_null=True)
    total = DecimalStringField(help_text="What the group's pot holds.")
    progress_percent = DecimalStringField(
        help_text=(
            "`total / target_amount * 100`, rounded down; may exceed 100."
        )
    )
    created_at = serializers.DateTimeField()
    created_by = serializers.UUIDField(help_text="The user who started it.")
    members = GroupMemberSerializer(
        many=True,
        help_text=(
            "The leaderboard: every member, and every former member who "
            "contributed (so the rows add up to `total`), most contributed "
            "first, then the earliest to join."
        ),
    )


@extend_schema_serializer(component_name="GroupList")
class GroupListSerializer(serializers.Serializer):
    """The groups I am a member of, newest first (never a next page)."""

    results = GroupSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="Always null: there is no next page."
    )


@extend_schema_serializer(component_name="ContributionResult")
class ContributionResultSerializer(serializers.Serializer):
    """A contribution, my balances after it and the group after it."""

    transaction = TransactionSerializer()
    balances = BalancesSerializer(
        help_text="Mine, in the group's currency, right after it."
    )
    group = GroupSerializer(help_text="The group, right after it.")


def transaction_example(**fields: Any) -> dict[str, Any]:
    """Returns an OpenAPI example transaction: a credit, ``fields`` changed.

    Every example of every view starts from here, so that each has the
    ``Transaction`` component's exact keys.
    """
    return {
        "id": "0b7c6d5e-4f3a-4b2c-9d1e-0f9a8b7c6d5e",
        "kind": "credit",
        "amount": "100.50",
        "currency": "USD",
        "occurred_at": EXAMPLE_AT,
        "effective_at": EXAMPLE_AT,
        "description": "",
        "source": "",
        "category": None,
        "splits": [],
        "plan": None,
        "counterparty_account": None,
        "conversion": None,
        "group": None,
        "reverses": None,
        "reversed_by": None,
        **fields,
    }


class ImportRowsSerializer(serializers.Serializer):
    """How many data rows were read, applied, already there, refused."""

    read = serializers.IntegerField()
    applied = serializers.IntegerField(
        help_text="Became a dated credit or withdrawal."
    )
    duplicate = serializers.IntegerField(
        help_text="Applied before, by this import or an earlier one."
    )
    refused = serializers.IntegerField()


class ImportRefusalSerializer(serializers.Serializer):
    """A row not applied: its line and why."""

    line = serializers.IntegerField(help_text="Its line in the file.")
    code = serializers.CharField(
        help_text="A problem code: `invalid_datetime`, `invalid_amount`, "
        "`insufficient_funds`, `account_not_open`, ..."
    )
    detail = serializers.CharField()


class ImportErrorSerializer(serializers.Serializer):
    """Why a whole import stopped."""

    code = serializers.CharField(
        help_text="`invalid_import` (the file stops being CSV) or "
        "`user_inactive`."
    )
    detail = serializers.CharField()


@extend_schema_serializer(component_name="Import")
class ImportSerializer(serializers.Serializer):
    """A statement import and where it stands."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=JOB_STATUSES)
    currency = serializers.CharField(
        help_text="Of rows without a currency column."
    )
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="Of the file as received.")
    rows = ImportRowsSerializer()
    refusals = ImportRefusalSerializer(
        many=True, help_text="The first 100 refused rows, by line."
    )
    error = ImportErrorSerializer(
        allow_null=True, help_text="Why a `failed` import stopped."
    )
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


# --- Partners ---------------------------------------------------------------

CREDIT_BATCH_ITEM_STATUSES = ["pending", "applied", "refused"]


class CreditBatchItemsSerializer(serializers.Serializer):
    """How many items a batch has, and what became of them so far."""

    total = serializers.IntegerField()
    applied = serializers.IntegerField(
        help_text="Credited to their user, split by the user's plan."
    )
    refused = serializers.IntegerField(
        help_text="Not credited: each says why (its `error`)."
    )
    pending = serializers.IntegerField(help_text="Not yet applied.")


class CreditBatchErrorSerializer(serializers.Serializer):
    """Why a whole batch stopped, or why one item was refused."""

    code = serializers.CharField(help_text="A problem code.")
    detail = serializers.CharField()


@extend_schema_serializer(component_name="CreditBatch")
class CreditBatchSerializer(serializers.Serializer):
    """A partner's credit batch and where it stands."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=JOB_STATUSES)
    items = CreditBatchItemsSerializer()
    error = CreditBatchErrorSerializer(
        allow_null=True,
        help_text="Why a `failed` batch stopped (`internal_error`: it "
        "stopped too many times); null otherwise.",
    )
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="CreditBatchItem")
class CreditBatchItemSerializer(serializers.Serializer):
    """One credit of a batch, as it was sent, and what became of it."""

    position = serializers.IntegerField(
        help_text="Its index in the request's `items`, from 0."
    )
    user = serializers.CharField(help_text="The user's id or email, as sent.")
    amount = DecimalStringField()
    currency = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=CREDIT_BATCH_ITEM_STATUSES)
    transaction_id = serializers.UUIDField(
        allow_null=True,
        help_text="The user's credit transaction, once applied.",
    )
    error = CreditBatchErrorSerializer(
        allow_null=True,
        help_text="Why it was refused: `user_not_found`, `user_inactive`, "
        "`account_not_open`, `account_closed`, `account_frozen`, "
        "`amount_not_above_flat_amount` or `duplicate_reference`; null "
        "otherwise.",
    )


@extend_schema_serializer(component_name="CreditBatchItemPage")
class CreditBatchItemPageSerializer(serializers.Serializer):
    """One page of a batch's items and the URL of the next one."""

    results = CreditBatchItemSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="The next page, or null on the last."
    )


# --- Webhooks ---------------------------------------------------------------

# What an account may subscribe to (config.webhook_events): a user's
# webhooks take their own events, a partner's its batches' only.
WEBHOOK_EVENT_TYPES = list(webhook_events.EVENT_TYPES)
USER_WEBHOOK_EVENT_TYPES = list(webhook_events.HOLDER_EVENT_TYPES)
PARTNER_WEBHOOK_EVENT_TYPES = list(webhook_events.PARTNER_EVENT_TYPES)
WEBHOOK_DELIVERY_STATUSES = ["pending", "delivered", "failed"]
# Why a try failed when no 2xx came (accounting.webhooks.sending).
WEBHOOK_TRY_ERRORS = (
    "`invalid_url`, `dns_error`, `address_refused` (the host resolves to "
    "an address that is not public), `connection_refused`, "
    "`connection_error`, `tls_error`, `timeout` (10 s in all), "
    "`protocol_error`, `redirect` (a 3xx: give the final URL), `http_4xx` "
    "or `http_5xx`"
)


@extend_schema_serializer(component_name="Webhook")
class WebhookSerializer(serializers.Serializer):
    """An endpoint events are posted to: where, which, since when."""

    id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WEBHOOK_EVENT_TYPES),
        help_text="The event types sent to it; empty: every type.",
    )
    created_at = serializers.DateTimeField()
    previous_secret_until = serializers.DateTimeField(
        allow_null=True,
        help_text=(
            "After a rotation: until when the previous secret signs too "
            "(a second `v1`); null otherwise."
        ),
    )


@extend_schema_serializer(component_name="WebhookWithSecret")
class WebhookWithSecretSerializer(WebhookSerializer):
    """An endpoint and its secret, shown in this answer only."""

    secret = serializers.CharField(
        help_text=(
            "`whsec_` and 43 characters: the key of `Webhook-Signature`'s "
            "HMAC. Shown now only, never again: keep it."
        )
    )


@extend_schema_serializer(component_name="WebhookList")
class WebhookListSerializer(serializers.Serializer):
    """The endpoints in use (at most 10: never a next page)."""

    results = WebhookSerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="Always null: there is no next page."
    )


class WebhookEventRefSerializer(serializers.Serializer):
    """The event a delivery carries."""

    id = serializers.UUIDField(
        help_text="Its `Webhook-Id`, the same on every delivery of it."
    )
    type = serializers.ChoiceField(choices=WEBHOOK_EVENT_TYPES)
    sequence = serializers.IntegerField(
        help_text="Its rank among the account's events, from 1."
    )
    created_at = serializers.DateTimeField()


class WebhookTrySerializer(serializers.Serializer):
    """One try, and how the receiver answered (or why it did not)."""

    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's status; null: none came."
    )
    error = serializers.CharField(
        allow_blank=True,
        help_text=f"Empty after a 2xx; else {WEBHOOK_TRY_ERRORS}.",
    )
    duration_ms = serializers.IntegerField()


@extend_schema_serializer(component_name="WebhookDelivery")
class WebhookDeliverySerializer(serializers.Serializer):
    """One event sent to one endpoint, and its tries."""

    id = serializers.UUIDField()
    event = WebhookEventRefSerializer()
    status = serializers.ChoiceField(
        choices=WEBHOOK_DELIVERY_STATUSES,
        help_text=(
            "`pending`: to be tried (again) at `next_attempt_at`; "
            "`delivered`: answered 2xx; `failed`: given up."
        ),
    )
    attempts = serializers.IntegerField(help_text="Tries made so far.")
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(
        allow_blank=True,
        help_text=(
            "As a try's `error`, or `endpoint_removed` (the webhook was "
            "removed before it was delivered)."
        ),
    )
    next_attempt_at = serializers.DateTimeField(
        allow_null=True, help_text="While `pending`; else null."
    )
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    tries = WebhookTrySerializer(
        many=True, help_text="The last 10 tries, newest first."
    )


@extend_schema_serializer(component_name="WebhookDeliveryPage")
class WebhookDeliveryPageSerializer(serializers.Serializer):
    """One page of an endpoint's deliveries and the URL of the next one."""

    results = WebhookDeliverySerializer(many=True)
    next = serializers.URLField(
        allow_null=True, help_text="The next page, or null on the last."
    )
