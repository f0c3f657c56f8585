"""The ledger: an append-only, double-entry journal and its projections.

Design (after django-hordak, TigerBeetle and Formance):

* Every money movement is one :class:`Transaction` (the journal header) with
  two or more :class:`Entry` rows (postings). A transaction's entries sum to
  zero per currency: money never appears from nowhere; it enters through a
  per-currency system account (``world``) whose balance goes negative.
* The journal is the event store. Transactions and entries are never updated
  or deleted: the models refuse it, and on PostgreSQL triggers refuse it too
  (``migrations/0002_ledger_triggers``), together with a deferred constraint
  trigger that checks the zero-sum rule when the database transaction
  commits. ``manage.py verify_ledger`` replays the journal to prove it.
* ``Account.balance`` and ``Account.last_sequence`` are projections of the
  journal, kept for customer accounts only. Each customer entry carries the
  account's ``sequence`` (1, 2, 3, ...) and ``balance_after``, so the
  balance as of any instant is one index probe on
  ``(account, occurred_at, sequence)``: the last entry at or before it.
* System accounts keep no running balance (their entries have no sequence),
  so no two customers' credits ever queue behind one hot row; a system
  balance is the sum of its entries.
* Amounts are integers in the currency's minor unit; the wire format lives
  in ``config.money``.
"""

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from config import audit, bounds, money
from config.append_only import AppendOnlyModel
from config.idempotency import keys as idempotency_keys


class Plan(models.Model):
    """A savings plan: how much of each credit goes to savings.

    A ``percentage`` plan moves ``p`` percent of a credit (rounded half to
    even to the minor unit); a ``flat_amount`` plan moves a fixed amount of
    the plan's currency and requires credits above it. Exactly the field of
    the plan's kind is set (a database CHECK).
    """

    class Kind(models.TextChoices):
        """The kinds, stored as lowercase codes."""

        FLAT_AMOUNT = "flat_amount", "Flat amount"
        PERCENTAGE = "percentage", "Percentage"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=bounds.NAME_MAX_LENGTH)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    percentage = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    flat_amount = models.BigIntegerField(
        null=True, blank=True, help_text="In minor units of the currency."
    )
    description = models.TextField(blank=True)
    savings_hold_days = models.PositiveIntegerField(
        default=0,
        help_text=(
            "Savings credited less than this many days ago cannot be "
            "released back to main (0: no holding period)."
        ),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="percentage",
                        percentage__gt=0,
                        percentage__lte=100,
                        flat_amount__isnull=True,
                    )
                    | Q(
                        kind="flat_amount",
                        flat_amount__gt=0,
                        percentage__isnull=True,
                    )
                ),
                name="accounting_plan_value_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.value_display})"

    @property
    def value(self) -> str:
        """The plan's value on the wire: ``"12.50"`` or ``"5.00"``."""
        if self.kind == self.Kind.PERCENTAGE:
            return f"{decimal.Decimal(self.percentage):.2f}"
        return money.format_amount(self.flat_amount, self.currency)

    @property
    def value_display(self) -> str:
        """The value for people: ``12.50%`` or ``5.00 USD``."""
        if self.kind == self.Kind.PERCENTAGE:
            return f"{self.value}%"
        return money.format_money(self.flat_amount, self.currency)


class Holder(models.Model):
    """The accounting side of a user, kept in step by user events.

    The primary key is the user's id in the users service. ``version`` is
    the newest user version applied; older events are ignored.
    """

    user_id = models.UUIDField(primary_key=True)
    email = models.EmailField(db_index=True)
    first_name = models.CharField(
        max_length=bounds.PERSON_NAME_MAX_LENGTH, blank=True
    )
    last_name = models.CharField(
        max_length=bounds.PERSON_NAME_MAX_LENGTH, blank=True
    )
    version = models.PositiveBigIntegerField()
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holders",
    )
    plan_selected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Read with the holder's locked wallets: a movement of a holder without
    # webhooks writes no event and asks nothing more.
    # Defaults in the database too: bulk SQL (bench/service_db.py) and
    # older code writing holders leave them at 0.
    webhooks_in_use = models.PositiveSmallIntegerField(
        db_default=0, help_text="Webhook endpoints in use."
    )
    webhook_sequence = models.PositiveBigIntegerField(
        db_default=0, help_text="The sequence of the holder's last event."
    )

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["email"]
        indexes = [
            # Groups add members by email, whatever its case.
            models.Index(Lower("email"), name="accounting_holder_email_ci")
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_closed(self) -> bool:
        """Whether the user was deleted."""
        return self.closed_at is not None


class ProcessedEvent(models.Model):
    """A user event already applied: redeliveries change nothing.

    ``occurred_at`` is when users wrote the event (NULL for events recorded
    before it was kept): with ``processed_at`` it measures how long a
    change of a user takes to reach accounting (the admin's dashboard).
    """

    event_id = models.UUIDField(primary_key=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        """Table options, indexes and constraints."""

        indexes = [
            # The dashboard reads the events of a period.
            models.Index(
                fields=["processed_at"], name="accounting_event_processed"
            )
        ]

    def __str__(self) -> str:
        return str(self.event_id)


class Account(models.Model):
    """A customer wallet (main, savings) or a system account.

    Customer accounts belong to a holder and keep ``balance`` and
    ``last_sequence`` as projections of their entries (``balance >= 0`` is
    a CHECK). System accounts have no holder, one per kind and currency, a
    deterministic id (:meth:`system_id`) and no running balance:

    * ``world``: money entering (credits) and leaving (withdrawals).
    * ``fx``: the other side of conversions; per currency it holds what
      customers sold minus what they bought, so that every currency's
      ledger sums to zero.
    * ``clearing``: the transit account between the two halves of a
      transfer (``transfer_out`` and ``transfer_in``, one journal header
      per holder); it returns to zero with every transfer.

    A ``pot`` is the shared account of a group savings challenge
    (:class:`SavingsGroup`): no holder, but a running balance like a
    customer account (members' contributions lock it, its total and its
    history are index reads) and the same ``balance >= 0`` CHECK.
    """

    class Kind(models.TextChoices):
        """The kinds, stored as lowercase codes."""

        MAIN = "main", "Main"
        SAVINGS = "savings", "Savings"
        WORLD = "world", "World (money in and out)"
        FX = "fx", "FX (conversions)"
        CLEARING = "clearing", "Clearing (transfers in transit)"
        POT = "pot", "Group pot"

    CUSTOMER_KINDS = (Kind.MAIN, Kind.SAVINGS)
    SYSTEM_KINDS = (Kind.WORLD, Kind.FX, Kind.CLEARING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    holder = models.ForeignKey(
        Holder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    balance = models.BigIntegerField(default=0)
    last_sequence = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # What the freezes in force (:class:`Freeze`) stop, kept by the freeze
    # services under this row's lock: the latest expiry of those that stop
    # money leaving (debits) or entering (credits), ``Freeze.FOREVER`` for
    # one without expiry, NULL for none. A movement reads them with the
    # row it locks, so that a freeze costs it nothing more (decision 25).
    debits_frozen_until = models.DateTimeField(
        null=True, blank=True, editable=False
    )
    credits_frozen_until = models.DateTimeField(
        null=True, blank=True, editable=False
    )

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["currency", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "kind", "currency"],
                condition=Q(holder__isnull=False),
                name="accounting_account_unique_customer",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(
                    holder__isnull=True, kind__in=["world", "fx", "clearing"]
                ),
                name="accounting_account_unique_system",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        holder__isnull=True,
                        kind__in=["world", "fx", "clearing", "pot"],
                    )
                    | Q(holder__isnull=False, kind__in=["main", "savings"])
                ),
                name="accounting_account_kind_matches_owner",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["world", "fx", "clearing"]) | Q(balance__gte=0)
                ),
                name="accounting_account_balance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        owner = self.holder_id or "system"
        return f"{owner} {self.kind} {self.currency}"

    @property
    def is_closed(self) -> bool:
        """Whether the account accepts no more money movements."""
        return self.closed_at is not None

    @staticmethod
    def system_id(kind: str, currency: str) -> uuid.UUID:
        """Returns the fixed id of a system account.

        Deterministic ids let a money movement post to ``world`` without
        looking it up or locking it.

        Args:
            kind: A system kind such as ``world``.
            currency: An ISO 4217 code.

        Returns:
            The account id.
        """
        return uuid.uuid5(
            uuid.NAMESPACE_URL, f"savings:account:{kind}:{currency}"
        )


class Freeze(models.Model):
    """Staff stop money leaving, entering, or both, a wallet or a holder.

    A wallet freeze names a currency (the holder's main and savings in
    it); a holder freeze has none and stops every wallet, present and
    future. It applies from its creation until it expires
    (``expires_at``, judged by each movement: no job runs) or staff lift
    it; it is never deleted, and lifting keeps who and why. Written by
    ``services.freeze_create`` and ``freeze_lift``, which also keep the
    accounts' ``debits_frozen_until`` and ``credits_frozen_until``, the
    state movements read.
    """

    class Mode(models.TextChoices):
        """What the freeze stops."""

        DEBIT = "debit", "Debit-only (no money out)"
        CREDIT = "credit", "Credit-only (no money in)"
        FULL = "full", "Full (no money in or out)"

    # The expiry of a freeze without one, as the accounts store it.
    FOREVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    holder = models.ForeignKey(
        Holder, on_delete=models.PROTECT, related_name="freezes"
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        help_text="The wallet frozen; blank: every wallet of the holder.",
    )
    mode = models.CharField(max_length=10, choices=Mode.choices)
    reason = models.CharField(
        max_length=bounds.DESCRIPTION_MAX_LENGTH,
        help_text="Why, for staff; never shown to the holder.",
    )
    created_by = models.CharField(max_length=bounds.EMAIL_MAX_LENGTH)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Blank: until lifted."
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=bounds.EMAIL_MAX_LENGTH, blank=True)
    lift_reason = models.CharField(
        max_length=bounds.DESCRIPTION_MAX_LENGTH, blank=True
    )

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["-created_at"]
        indexes = [
            # The freezes not lifted, read again whenever one changes.
            models.Index(
                fields=["holder", "currency"],
                condition=Q(lifted_at__isnull=True),
                name="accounting_freeze_unlifted",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="accounting_freeze_reason"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True)
                | Q(expires_at__gt=models.F("created_at")),
                name="accounting_freeze_expires_after_creation",
            ),
            # Lifted with who and why, or not lifted at all.
            models.CheckConstraint(
                condition=Q(
                    lifted_at__isnull=True, lifted_by="", lift_reason=""
                )
                | (
                    Q(lifted_at__isnull=False)
                    & ~Q(lifted_by="")
                    & ~Q(lift_reason="")
                ),
                name="accounting_freeze_lifted_whole",
            ),
        ]

    def __str__(self) -> str:
        wallet = self.currency or "every wallet"
        return f"{self.holder_id} {wallet}: {self.get_mode_display()}"

    def state(self, at: dt.datetime) -> str:
        """Returns ``active``, ``expired`` or ``lifted`` at an instant."""
        if self.lifted_at is not None:
            return "lifted"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active"


class Rate(AppendOnlyModel):
    """An FX rate from an instant on: 1 ``base`` buys ``rate`` ``quote``.

    Rates are history: staff add a newer rate, never edit an old one, so a
    conversion can always show the rate it used. A conversion at instant T
    uses the pair's rate with the greatest ``valid_from <= T``.
    """

    id = models.BigAutoField(primary_key=True)
    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=24, decimal_places=10)
    valid_from = models.DateTimeField()
    created_by = models.CharField(
        max_length=bounds.EMAIL_MAX_LENGTH, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["base", "quote", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "valid_from"],
                name="accounting_rate_unique_validity",
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0), name="accounting_rate_positive"
            ),
            models.CheckConstraint(
                condition=~Q(base=models.F("quote")),
                name="accounting_rate_distinct_currencies",
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate_display} {self.quote}"

    @property
    def rate_display(self) -> str:
        """The rate without trailing zeros: ``"0.92"``, ``"150"``."""
        return format_rate(self.rate)


def format_rate(rate: decimal.Decimal) -> str:
    """Returns a rate as a plain decimal string without trailing zeros."""
    text = format(decimal.Decimal(rate), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class Transaction(AppendOnlyModel):
    """A journal header: one money movement as one holder sees it.

    Two clocks: ``occurred_at`` is when the ledger booked it (entries carry
    it, and balances as of T are judged by it); ``effective_at`` is when it
    happened for the holder, the day a dated credit or withdrawal names
    (the same instant for every other kind), by which reports and the
    history group and filter. The past of the ledger never changes; the
    past of a holder's budget may gain a record they enter late.

    ``plan_snapshot`` keeps the plan as it was applied, so later plan edits
    never rewrite history. A transfer is two headers, ``transfer_out`` for
    the sender and ``transfer_in`` for the recipient, written together and
    pointing at each other (``related``) through the ``clearing`` account,
    so that each holder's history is an index range of its own. A group
    contribution moves savings into a group's pot, named by
    ``counterparty_account``; its ``description`` is the member's message. A
    conversion keeps what it bought (``to_amount``, ``to_currency``) and
    the rate it used (``rate`` and its value ``fx_rate``).

    A ``reversal`` undoes one header (``reverses``): the same holder, amount
    and currency, and the exact mirror of its entries. A transfer is
    reversed by two, one per half, written together; why and by whom is a
    :class:`Reversal`.
    """

    class Kind(models.TextChoices):
        """The kinds, stored as lowercase codes."""

        CREDIT = "credit", "Credit"
        TRANSFER_OUT = "transfer_out", "Transfer out"
        TRANSFER_IN = "transfer_in", "Transfer in"
        WITHDRAWAL = "withdrawal", "Withdrawal"
        CONVERSION = "conversion", "Conversion"
        SAVINGS_RELEASE = "savings_release", "Savings release"
        GROUP_CONTRIBUTION = "group_contribution", "Group contribution"
        REVERSAL = "reversal", "Reversal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    holder = models.ForeignKey(
        Holder, on_delete=models.PROTECT, related_name="transactions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    occurred_at = models.DateTimeField(
        help_text="When the ledger booked it: the clock of balances as of T."
    )
    effective_at = models.DateTimeField(
        help_text=(
            "When it happened for the holder (a dated credit or withdrawal "
            "may be earlier than its booking): the clock of reports and "
            "history."
        )
    )
    description = models.CharField(
        max_length=bounds.DESCRIPTION_MAX_LENGTH, blank=True
    )
    source = models.CharField(max_length=bounds.LABEL_MAX_LENGTH, blank=True)
    # NULL: not categorised (credits never are); "" would be a category.
    category = models.CharField(  # noqa: DJ001
        max_length=bounds.LABEL_MAX_LENGTH, null=True, blank=True
    )
    plan_snapshot = models.JSONField(null=True, blank=True)
    counterparty_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=(
            "Transfers: the other side's main account. Group "
            "contributions: the group's pot."
        ),
    )
    related = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Transfers: the other half (transfer_in / transfer_out).",
    )
    # Its own field, not ``related``: a transfer's reversal is two headers,
    # each undoing one half while the halves keep naming each other; and
    # one-to-one, so the database itself refuses a second reversal of a
    # header, however many staff click at once.
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text="Reversals: the transaction this one undoes.",
    )
    to_amount = models.BigIntegerField(null=True, blank=True)
    to_currency = models.CharField(max_length=3, blank=True)
    rate = models.ForeignKey(
        Rate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
    )
    fx_rate = models.DecimalField(
        max_digits=24, decimal_places=10, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["holder", "effective_at", "id"],
                name="accounting_txn_holder_date",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="accounting_transaction_amount_positive",
            ),
            # Only credits and withdrawals are dated by their caller, and
            # never later than their booking.
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=["credit", "withdrawal"],
                        effective_at__lte=models.F("occurred_at"),
                    )
                    | Q(effective_at=models.F("occurred_at"))
                ),
                name="accounting_transaction_effective_not_after_booking",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="conversion",
                        # NULL > 0 is NULL, which a CHECK lets through.
                        to_amount__isnull=False,
                        to_amount__gt=0,
                        fx_rate__isnull=False,
                        fx_rate__gt=0,
                        rate__isnull=False,
                    )
                    & ~Q(to_currency="")
                    & ~Q(to_currency=models.F("currency"))
                )
                | Q(
                    ~Q(kind="conversion"),
                    to_amount__isnull=True,
                    to_currency="",
                    fx_rate__isnull=True,
                    rate__isnull=True,
                ),
                name="accounting_transaction_conversion_fields",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=["transfer_out", "transfer_in"],
                        related__isnull=False,
                        counterparty_account__isnull=False,
                    )
                    | Q(
                        kind="group_contribution",
                        related__isnull=True,
                        counterparty_account__isnull=False,
                    )
                    | Q(
                        ~Q(
                            kind__in=[
                                "transfer_out",
                                "transfer_in",
                                "group_contribution",
                            ]
                        ),
                        related__isnull=True,
                        counterparty_account__isnull=True,
                    )
                ),
                name="accounting_transaction_transfer_fields",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="reversal", reverses__isnull=False)
                    | Q(~Q(kind="reversal"), reverses__isnull=True)
                ),
                name="accounting_transaction_reversal_fields",
            ),
        ]
        permissions = [
            ("reverse_transaction", "Can reverse a transaction"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {money.format_money(self.amount, self.currency)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saves a new header; undated, it takes effect when booked."""
        if self.effective_at is None:
            self.effective_at = self.occurred_at
        super().save(*args, **kwargs)


class Reversal(AppendOnlyModel):
    """Why staff reversed a movement, and who: one per movement.

    The movement is named by its first header (a transfer by its
    ``transfer_out``, whichever half staff opened); the reversal headers
    name what they undo (``Transaction.reverses``). Kept apart from the
    journal so that every header does not carry two staff-only columns.
    """

    original = models.OneToOneField(
        Transaction,
        on_delete=models.PROTECT,
        related_name="reversal",
        help_text="The movement reversed (a transfer: its transfer_out).",
    )
    reason = models.CharField(max_length=bounds.REVERSAL_REASON_MAX_LENGTH)
    created_by = models.CharField(
        max_length=bounds.EMAIL_MAX_LENGTH,
        help_text="The staff member who reversed it (email, else username).",
    )
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"reversal of {self.original_id}"


class Entry(AppendOnlyModel):
    """A posting: a signed amount on one account, part of one transaction.

    Customer entries carry the account's ``sequence`` and ``balance_after``;
    system entries carry neither (no running balance, no hot row).

    ``holder`` repeats the transaction's holder on each of its entries,
    system postings included, so that every ledger row is reachable by
    its holder: the key a sharded ledger distributes by (docs/scaling.md).
    It has no foreign key of its own: the transaction's already guards the
    holder, a second check on the journal's busiest insert would add a
    lookup per row and no safety, and ``verify_ledger`` proves the two
    agree (``entry-holder-key``).
    """

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries"
    )
    holder = models.ForeignKey(
        Holder,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    sequence = models.BigIntegerField(null=True, blank=True)
    balance_after = models.BigIntegerField(null=True, blank=True)

    class Meta:
        """Table options, indexes and constraints."""

        verbose_name_plural = "entries"
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["account", "occurred_at", "sequence"],
                name="accounting_entry_account_time",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "sequence"],
                name="accounting_entry_unique_sequence",
            ),
            models.CheckConstraint(
                condition=~Q(amount=0),
                name="accounting_entry_amount_not_zero",
            ),
            models.CheckConstraint(
                condition=(
                    Q(sequence__isnull=True, balance_after__isnull=True)
                    | Q(sequence__gte=1, balance_after__isnull=False)
                ),
                name="accounting_entry_sequence_with_balance",
            ),
        ]

    def __str__(self) -> str:
        amount = money.format_money(self.amount, self.currency)
        return f"{self.account_id} {'+' if self.amount > 0 else ''}{amount}"


class IdempotencyKey(models.Model):
    """A request that moved money, stored with the ledger write it made.

    Unique per holder and key; ``request_hash`` tells a retry (same body:
    replay ``response_body``, the answer of a write that created something)
    from a reuse of the key for another request.
    """

    id = models.BigAutoField(primary_key=True)
    holder = models.ForeignKey(
        Holder, on_delete=models.PROTECT, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=idempotency_keys.MAX_LENGTH)
    request_hash = models.CharField(max_length=64)
    response_body = models.JSONField()
    transaction = models.ForeignKey(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="idempotency_keys",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        """Table options, indexes and constraints."""

        constraints = [
            models.UniqueConstraint(
                fields=["holder", "key"],
                name="accounting_idempotency_unique_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.holder_id} {self.key}"


class Category(models.Model):
    """A suggested expense category, kept by staff in the admin.

    Withdrawals accept any category; these are the ones a client offers
    first. Names are stored normalised (:func:`config.labels.normalize`),
    the way withdrawals store theirs, so a report groups both alike.
    """

    name = models.CharField(max_length=bounds.LABEL_MAX_LENGTH, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        """Table options, indexes and constraints."""

        verbose_name_plural = "categories"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""), name="accounting_category_name_set"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Goal(models.Model):
    """A savings goal: an amount to reach in a currency, maybe by a date.

    A goal holds no money and no counter: what it has ``saved`` is read
    from the holder's savings balance in its currency, shared out among
    the holder's goals in order (see ``accounting.selectors``), so it can
    never drift from the ledger.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    holder = models.ForeignKey(
        Holder, on_delete=models.PROTECT, related_name="goals"
    )
    name = models.CharField(max_length=bounds.NAME_MAX_LENGTH)
    target_amount = models.BigIntegerField(
        help_text="In minor units of the currency."
    )
    currency = models.CharField(max_length=3)
    target_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["holder", "currency"], name="accounting_goal_holder"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_amount__gt=0),
                name="accounting_goal_target_positive",
            )
        ]

    def __str__(self) -> str:
        target = money.format_money(self.target_amount, self.currency)
        return f"{self.name} ({target})"


class SavingsGroup(models.Model):
    """A group savings challenge: members pool savings towards a target.

    The money is in ``pot``, a ledger account of kind ``pot``; each
    contribution is a ``group_contribution`` transaction from a member's
    savings into it, so the total, the progress and the leaderboard are
    all read from the journal.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=bounds.NAME_MAX_LENGTH)
    target_amount = models.BigIntegerField(
        help_text="In minor units of the currency."
    )
    currency = models.CharField(max_length=3)
    target_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        Holder, on_delete=models.PROTECT, related_name="+"
    )
    pot = models.OneToOneField(
        Account, on_delete=models.PROTECT, related_name="savings_group"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_amount__gt=0),
                name="accounting_group_target_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name


class GroupMemberQuerySet(models.QuerySet):
    """Memberships, told apart by whether the member is still in."""

    def current(self) -> "GroupMemberQuerySet":
        """Members who are in their group: they have not left it."""
        return self.filter(left_at__isnull=True)

    def former(self) -> "GroupMemberQuerySet":
        """Members who left their group."""
        return self.filter(left_at__isnull=False)


class GroupMember(models.Model):
    """A holder's membership of a savings group (once per group).

    Leaving keeps the row and sets ``left_at``: what the member put in the
    pot stays the group's, the ledger still names them, and the
    leaderboard still shows what they gave. Being added back clears
    ``left_at`` on the same row (one row per group and holder), so
    ``joined_at`` and ``added_by`` keep saying how they first joined.
    """

    id = models.BigAutoField(primary_key=True)
    group = models.ForeignKey(
        SavingsGroup, on_delete=models.PROTECT, related_name="members"
    )
    holder = models.ForeignKey(
        Holder, on_delete=models.PROTECT, related_name="group_memberships"
    )
    added_by = models.ForeignKey(
        Holder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The member who added this one (empty: the creator).",
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the member left (empty: a current member).",
    )

    objects = GroupMemberQuerySet.as_manager()

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "holder"],
                name="accounting_group_member_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.holder_id} in {self.group_id}"

    @property
    def is_current(self) -> bool:
        """Whether the member is in the group (has not left it)."""
        return self.left_at is None


class Job(models.Model):
    """Work a worker does in the background: an import, a credit batch.

    What every such job has: where it stands, how many runs it took (a
    run may stop anywhere and start again), why it failed, and when it
    last moved (beat wakes a job silent for too long).
    """

    class Status(models.TextChoices):
        """Where the job stands."""

        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Runs started, the one under way included."
    )
    error_code = models.CharField(max_length=50, blank=True)
    error_detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        """Fields only: each job has its own table."""

        abstract = True

    @property
    def is_finished(self) -> bool:
        """Whether nothing more will happen to it."""
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)


class Import(Job):
    """A bank statement a holder sent as CSV, applied by a worker.

    The file is kept as :class:`ImportChunk` rows while the import runs
    (never in one piece in memory); each row of it becomes a dated credit
    or withdrawal, a duplicate of a row applied before (the same
    :class:`ImportedRecord` fingerprint), or a refusal with its reason.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    holder = models.ForeignKey(
        Holder, on_delete=models.PROTECT, related_name="imports"
    )
    currency = models.CharField(
        max_length=3, help_text="Of rows without a currency column."
    )
    delimiter = models.CharField(max_length=1, default=",")
    columns = models.JSONField(
        help_text="Each field read and the index of its column."
    )
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    # NULL: sent without a key; unique per holder only when set.
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=idempotency_keys.MAX_LENGTH, null=True, blank=True
    )
    rows_read = models.PositiveIntegerField(default=0)
    rows_applied = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_refused = models.PositiveIntegerField(default=0)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(
                fields=["holder", "created_at"], name="accounting_import_holder"
            ),
            models.Index(
                fields=["status", "updated_at"], name="accounting_import_status"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "idempotency_key"],
                name="accounting_import_unique_key",
            )
        ]

    def __str__(self) -> str:
        return f"import {self.id} ({self.status})"


class ImportChunk(models.Model):
    """A consecutive piece of an import's file, in upload order."""

    id = models.BigAutoField(primary_key=True)
    import_job = models.ForeignKey(
        Import, on_delete=models.CASCADE, related_name="chunks"
    )
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["import_job", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["import_job", "index"],
                name="accounting_import_chunk_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.import_job_id} #{self.index}"


class ImportRefusal(models.Model):
    """A row of an import that was not applied, and why (a stable code)."""

    id = models.BigAutoField(primary_key=True)
    import_job = models.ForeignKey(
        Import, on_delete=models.CASCADE, related_name="refusals"
    )
    line = models.PositiveIntegerField()
    code = models.CharField(max_length=50)
    detail = models.CharField(max_length=500)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["import_job", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["import_job", "line"],
                name="accounting_import_refusal_once",
            )
        ]

    def __str__(self) -> str:
        return f"line {self.line}: {self.code}"


class ImportedRecord(models.Model):
    """A statement row that became a transaction: never applied again.

    ``fingerprint`` names the row whichever file brings it again (its
    bank ``reference``, or its content and its rank among identical rows
    of its file); unique per holder.
    """

    id = models.BigAutoField(primary_key=True)
    # The unique index leads with the fingerprint, so a batch's thousand
    # fingerprints are a thousand index probes whatever the planner knows
    # of the table; an index on the holder first would tempt it into
    # reading all of a holder's records to find them.
    holder = models.ForeignKey(
        Holder, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    fingerprint = models.CharField(max_length=80)
    import_job = models.ForeignKey(
        Import, on_delete=models.PROTECT, related_name="records"
    )
    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="imported_from"
    )

    class Meta:
        """Table options, indexes and constraints."""

        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint", "holder"],
                name="accounting_imported_record_once",
            )
        ]

    def __str__(self) -> str:
        return self.fingerprint


class Partner(models.Model):
    """An employer or payroll provider that credits many users at once.

    Staff create partners and issue their :class:`PartnerKey` s in the
    admin; a partner's batches credit users, each by the user's own plan.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(
        max_length=bounds.NAME_MAX_LENGTH,
        unique=True,
        help_text="Shown as the source of its credits.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    webhook_sequence = models.PositiveBigIntegerField(
        db_default=0, help_text="The sequence of the partner's last event."
    )

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerKey(models.Model):
    """A partner's API key: only its SHA-256 is kept, never the key.

    The key is 256 random bits: a fast hash is as safe as a slow one (no
    dictionary reaches it) and lets a request find its key with one index
    probe. Revoked keys stay, so that what they did keeps its author.
    """

    class Scope(models.TextChoices):
        """What a key may do."""

        CREDITS_WRITE = "credits:write", "Send credit batches"
        WEBHOOKS_MANAGE = "webhooks:manage", "Manage webhooks"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="keys"
    )
    name = models.CharField(
        max_length=bounds.NAME_MAX_LENGTH, help_text="What the key is for."
    )
    prefix = models.CharField(
        max_length=16, help_text="The key's first characters, to tell it."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    rate_limit = models.CharField(
        max_length=20,
        blank=True,
        help_text='Requests per window, such as "600/min"; blank: the '
        "gateway's default for a client.",
    )
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["partner", "-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_revoked(self) -> bool:
        """Whether the key was revoked (it authenticates nothing)."""
        return self.revoked_at is not None


class CreditBatch(Job):
    """A partner's batch of credits to many users, applied by a worker.

    Stored whole when it arrives (its :class:`CreditBatchItem` s), then
    applied in chunks; each item's outcome commits with its money.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="batches"
    )
    key = models.ForeignKey(
        PartnerKey,
        on_delete=models.PROTECT,
        related_name="batches",
        help_text="The key that sent it.",
    )
    idempotency_key = models.CharField(max_length=idempotency_keys.MAX_LENGTH)
    request_hash = models.CharField(max_length=64)
    items_total = models.PositiveIntegerField()
    items_applied = models.PositiveIntegerField(default=0)
    items_refused = models.PositiveIntegerField(default=0)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["-created_at", "id"]
        verbose_name_plural = "credit batches"
        indexes = [
            models.Index(
                fields=["partner", "created_at"],
                name="accounting_batch_partner",
            ),
            models.Index(
                fields=["status", "updated_at"], name="accounting_batch_status"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "idempotency_key"],
                name="accounting_batch_unique_key",
            )
        ]

    def __str__(self) -> str:
        return f"batch {self.id} ({self.status})"


class CreditBatchItem(models.Model):
    """One credit of a batch: what was asked, then what became of it.

    An item is applied at most once: its outcome is written in the
    database transaction of its money, and a partner's ``reference`` is
    applied once across all its batches (a unique index over the applied
    items), so a payment sent again in another batch is refused.
    """

    class Status(models.TextChoices):
        """What became of the item."""

        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"

    id = models.BigAutoField(primary_key=True)
    batch = models.ForeignKey(
        CreditBatch, on_delete=models.PROTECT, related_name="items"
    )
    # The partner again, for the unique index of its applied references.
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    position = models.PositiveIntegerField(
        help_text="The item's index in the request, from 0."
    )
    user = models.CharField(
        max_length=bounds.EMAIL_MAX_LENGTH,
        help_text="As the partner named the user: an id or an email.",
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=bounds.REFERENCE_MAX_LENGTH)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    holder = models.ForeignKey(
        Holder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batch_item",
    )
    error_code = models.CharField(max_length=50, blank=True)
    error_detail = models.CharField(max_length=500, blank=True)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "position"],
                name="accounting_batch_item_position",
            ),
            # The reference leads: a chunk's thousand references are a
            # thousand index probes, however many the partner has applied.
            models.UniqueConstraint(
                fields=["reference", "partner"],
                condition=Q(status="applied"),
                name="accounting_batch_reference_once",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="accounting_batch_item_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} #{self.position}"


# --- Webhooks ----------------------------------------------------------------

# A webhook's account: exactly one of a holder and a partner.
_ONE_ACCOUNT = Q(holder__isnull=False, partner__isnull=True) | Q(
    holder__isnull=True, partner__isnull=False
)


class WebhookEndpoint(models.Model):
    """Where a holder's or a partner's events are sent, signed.

    The secret signs every delivery (``accounting.webhooks.signing``);
    after a rotation the previous one signs too, until
    ``previous_secret_until``, so a receiver can switch without a gap. An
    endpoint removed keeps its deliveries' log.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    holder = models.ForeignKey(
        Holder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
    )
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
    )
    url = models.CharField(max_length=2000)
    events = models.JSONField(
        default=list, help_text="The event types sent; empty: every one."
    )
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_ONE_ACCOUNT,
                name="accounting_webhook_endpoint_one_account",
            )
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def is_removed(self) -> bool:
        """Whether it was removed (nothing more is sent to it)."""
        return self.removed_at is not None


class WebhookEvent(models.Model):
    """Something that happened to an account, written with the change.

    The outbox of webhooks: an event commits in the database transaction
    of what it tells (the money of a credit), so none is lost and none is
    told of what rolled back. ``id`` is stable (receivers de-duplicate on
    it); ``sequence`` counts the account's events (receivers order them).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=50)
    holder = models.ForeignKey(
        Holder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    sequence = models.PositiveBigIntegerField()
    data = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_ONE_ACCOUNT,
                name="accounting_webhook_event_one_account",
            ),
            models.UniqueConstraint(
                fields=["holder", "sequence"],
                name="accounting_webhook_event_holder_sequence",
            ),
            models.UniqueConstraint(
                fields=["partner", "sequence"],
                name="accounting_webhook_event_partner_sequence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.sequence}"


class WebhookDelivery(models.Model):
    """One event to one endpoint: retried until delivered or given up."""

    class Status(models.TextChoices):
        """Where the delivery stands."""

        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(
        WebhookEvent, on_delete=models.PROTECT, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    retry_from = models.DateTimeField(
        help_text="When it was made or last resent: it is retried for "
        "72 hours from then."
    )
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=50, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["created_at", "id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                name="accounting_webhook_due",
            ),
            models.Index(
                fields=["endpoint", "created_at"],
                name="accounting_webhook_log",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One try of a delivery, as the receiver answered it (the log)."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="tries"
    )
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=50, blank=True)
    duration_ms = models.PositiveIntegerField()
    response_excerpt = models.CharField(max_length=1024, blank=True)

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["delivery", "at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at}"


class StaffAction(audit.StaffActionBase):
    """What staff did in this service's admin (config.audit); append-only."""


class StaffRequest(models.Model):
    """A staff action above the four-eyes limit, waiting for a second staff.

    One staff member asks (a reversal, a wallet's closure, a freeze of more
    than ``FOUR_EYES_LIMITS``); another approves or rejects it. Approval
    runs the same service the action would have run, in the approval's
    transaction. Both names are kept; requests are never deleted.
    """

    class Kind(models.TextChoices):
        """What is asked."""

        REVERSAL = "reversal", "Reversal"
        CLOSURE = "closure", "Wallet closure"
        FREEZE = "freeze", "Freeze"

    class Status(models.TextChoices):
        """Where the request stands."""

        PENDING = "pending", "Pending"
        DONE = "done", "Approved and done"
        FAILED = "failed", "Approved, refused by the ledger"
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    target = models.CharField(
        max_length=64, help_text="The id of what is acted on."
    )
    summary = models.CharField(max_length=200)
    params = models.JSONField(
        help_text="The service's arguments, as asked (JSON values)."
    )
    amount = models.BigIntegerField(help_text="In minor units.")
    currency = models.CharField(max_length=3)
    reason = models.TextField()
    requested_by = models.CharField(max_length=254)
    requested_by_id = models.CharField(max_length=64)
    requested_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_by = models.CharField(max_length=254, blank=True)
    decided_by_id = models.CharField(max_length=64, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    outcome = models.JSONField(
        null=True,
        blank=True,
        help_text="What the service did, or the code it refused with.",
    )

    class Meta:
        """Newest first; one pending request per action on a target."""

        ordering = ["-requested_at"]
        permissions = [
            ("decide_staffrequest", "Can approve or reject staff requests")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target"],
                condition=Q(status="pending"),
                name="one_pending_staff_request_per_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"


class LedgerCheckRun(models.Model):
    """One run of ``verify_ledger``'s checks, asked by staff or by beat.

    The worker records its progress here as it goes (checks done, entries
    of the replay walked, the checks that failed), so the admin's
    dashboard can show a run under way and the last outcome. One run at a
    time: a run not finished holds the only slot (a unique index over the
    unfinished rows), so a second request finds the first.
    """

    class Status(models.TextChoices):
        """Where the run stands."""

        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    requested_by = models.CharField(
        max_length=254, blank=True, help_text="Staff email; blank: beat."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checks_total = models.PositiveSmallIntegerField(default=0)
    checks_done = models.PositiveSmallIntegerField(default=0)
    entries_total = models.PositiveBigIntegerField(default=0)
    entries_walked = models.PositiveBigIntegerField(default=0)
    failed_checks = models.JSONField(
        default=list, help_text="Names of the checks that did not hold."
    )
    error = models.CharField(
        max_length=500, blank=True, help_text="Why the run could not end."
    )

    class Meta:
        """Table options, indexes and constraints."""

        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                models.Value(True),
                condition=Q(finished_at__isnull=True),
                name="accounting_ledger_check_one_at_a_time",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True)
                | Q(status__in=["completed", "failed"]),
                name="accounting_ledger_check_finished_status",
            ),
        ]

    def __str__(self) -> str:
        return f"verify_ledger {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def is_finished(self) -> bool:
        """Whether nothing more will happen to it."""
        return self.finished_at is not None
