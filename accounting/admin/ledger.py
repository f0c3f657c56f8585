"""The ledger (accounts, transactions, entries): read-only here.

And the runs of ``verify_ledger``, which staff start from the dashboard
(``accounting/admin/dashboard.py``).
"""

import uuid

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounting import errors, models, selectors, services
from accounting.admin import exports
from accounting.admin.columns import (
    ReadOnlyInline,
    admin_link,
    money_column,
    staff_of,
)
from accounting.admin.freezes import freezes_column
from accounting.admin.reversals import TransactionReversalMixin
from config import money
from config.admin import (
    ReadOnlyModelAdmin,
    action_reason,
    asks_confirmation,
)
from config.exports import CsvExportMixin

# How many of its newest entries an account's page shows.
STATEMENT_ENTRIES = 20


class ClosedListFilter(admin.SimpleListFilter):
    """Open or closed accounts."""

    title = "closed"
    parameter_name = "closed"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        """Yes or no."""
        del request, model_admin
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Filters on ``closed_at``."""
        del request
        if self.value() in {"yes", "no"}:
            return queryset.filter(closed_at__isnull=self.value() == "no")
        return queryset


@admin.register(models.Account)
class AccountAdmin(CsvExportMixin, ReadOnlyModelAdmin):
    """Customer and system accounts; staff can close customer wallets."""

    list_display = [
        "id",
        "holder",
        "kind",
        "currency",
        "balance_amount",
        "closed_at",
    ]
    fields = [
        "id",
        "holder",
        "kind",
        "currency",
        "balance_now",
        "last_sequence",
        "created_at",
        "closed_at",
        "freezes",
        "statement",
    ]
    readonly_fields = fields
    list_filter = ["kind", "currency", ClosedListFilter, "created_at"]
    search_fields = ["holder__email", "id"]
    list_select_related = ["holder"]
    actions = ["close_wallets"]
    export_columns = exports.ACCOUNT_COLUMNS

    @admin.display(description="balance", ordering="balance")
    def balance_amount(self, account: models.Account) -> str:
        """A running balance (customers, pots); system balances are derived.

        A system account keeps no running balance (no hot row), and summing
        its entries for every row of a list would cost a scan each, so the
        list points to the account's page, which shows the sum. A group's
        pot has no holder either, but keeps a running balance.
        """
        if account.holder_id is None and account.kind != account.Kind.POT:
            return "derived (open the account)"
        return money.format_money(account.balance, account.currency)

    @admin.display(description="balance")
    def balance_now(self, account: models.Account) -> str:
        """The balance now: stored for customers, summed for system."""
        balance = selectors.account_balance(account=account)
        return money.format_money(balance, account.currency)

    @admin.display(description="statement")
    def statement(self, account: models.Account) -> SafeString:
        """The account's newest entries, and a link to all of them.

        What staff open an account for: what moved on it and when, each
        entry linked to its transaction; the full list is the entry list
        filtered on the account (searchable, filtered by date).
        """
        entries = selectors.account_entries_recent(
            account=account, limit=STATEMENT_ENTRIES
        )
        return render_to_string(
            "admin/accounting/account/statement.html",
            {
                "rows": [
                    {
                        "entry": entry,
                        "amount": money.format_money(
                            entry.amount, entry.currency
                        ),
                        "balance_after": "-"
                        if entry.balance_after is None
                        else money.format_money(
                            entry.balance_after, entry.currency
                        ),
                        "transaction": admin_link(
                            entry.transaction, str(entry.transaction_id)
                        ),
                    }
                    for entry in entries
                ],
                "limit": STATEMENT_ENTRIES,
                "all_entries": admin_link(
                    models.Entry,
                    "All entries of this account",
                    f"account__id__exact={account.pk}",
                ),
            },
        )

    @admin.display(description="freezes in force")
    def freezes(self, account: models.Account) -> str:
        """A wallet's freezes that apply now, and a link to freeze it."""
        if account.holder_id is None:
            return "-"
        return freezes_column(account.holder_id, account.currency)

    def has_close_permission(self, request: HttpRequest) -> bool:
        """Closing needs the change permission on accounts."""
        return request.user.has_perm("accounting.change_account")

    @admin.action(
        description="Close the selected wallets",
        permissions=["close"],
    )
    @asks_confirmation
    def close_wallets(self, request: HttpRequest, accounts: QuerySet) -> None:
        """Closes each selected account's wallet (main and savings).

        Through ``account_close``, as deleting a user does; a wallet
        holding more than the four-eyes limit is only asked for, for
        another staff member to approve. System accounts never close: the
        service refuses them and they are skipped.
        """
        wallets, asked, skipped = set(), set(), 0
        for account in accounts:
            wallet = (account.holder_id, account.currency)
            if account.holder_id is None:
                skipped += 1
            elif wallet not in wallets | asked:
                done = self._close_wallet(request, account)
                (wallets if done else asked).add(wallet)
        if wallets:
            self.message_user(
                request,
                f"{len(wallets)} wallet(s) closed (main and savings).",
                messages.SUCCESS,
            )
        if asked:
            self.message_user(
                request,
                f"{len(asked)} wallet(s) hold more than one staff member "
                "may close alone: asked for approval by another.",
                messages.WARNING,
            )
        if skipped:
            self.message_user(
                request,
                f"{skipped} system account(s) skipped: they never close.",
                messages.WARNING,
            )

    @staticmethod
    def _close_wallet(request: HttpRequest, account: models.Account) -> bool:
        """Closes the wallet, or asks for it: True when closed now."""
        try:
            done = services.closure_submit(
                account=account,
                reason=action_reason(request),
                staff=staff_of(request),
            )
        except errors.StaffRequestPendingError:
            return False
        return isinstance(done, dict)


class EntryMoneyColumns:
    """An entry's amount and running balance, shown as money."""

    entry_amount = staticmethod(money_column("amount", "amount"))
    balance_after_amount = staticmethod(
        money_column("balance_after", "balance after")
    )


class EntryInline(EntryMoneyColumns, ReadOnlyInline):
    """A transaction's postings."""

    model = models.Entry
    fields = [
        "account",
        "entry_amount",
        "sequence",
        "balance_after_amount",
    ]
    readonly_fields = fields


class TransactionCurrencyFilter(admin.SimpleListFilter):
    """A currency: a conversion is in both of its currencies."""

    title = "currency"
    parameter_name = "currency"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        """The supported currencies."""
        del request, model_admin
        return [(code, code) for code in money.supported_currencies()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Transactions in the currency, or converted into it."""
        del request
        if self.value():
            return queryset.filter(
                Q(currency=self.value()) | Q(to_currency=self.value())
            )
        return queryset


@admin.register(models.Transaction)
class TransactionAdmin(
    TransactionReversalMixin, CsvExportMixin, ReadOnlyModelAdmin
):
    """Journal headers with their entries; search by holder email or id.

    Staff who may reverse find "Reverse…" on a movement's page
    (``admin.reversals``).
    """

    list_display = [
        "id",
        "holder",
        "kind",
        "transaction_amount",
        "occurred_at",
        "effective_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "holder",
                    "kind",
                    "transaction_amount",
                    "currency",
                    "occurred_at",
                    "effective_at",
                    "description",
                    "source",
                    "category",
                    "plan_snapshot",
                    "created_at",
                ]
            },
        ),
        (
            "Transfer or group contribution",
            {"fields": ["counterparty_account", "related", "group"]},
        ),
        (
            "Conversion",
            {
                "fields": [
                    "to_amount_money",
                    "to_currency",
                    "fx_rate_value",
                    "rate",
                ]
            },
        ),
        ("Reversal", {"fields": ["reversal_info"]}),
    ]
    readonly_fields = [
        field for _, options in fieldsets for field in options["fields"]
    ]
    transaction_amount = staticmethod(money_column("amount", "amount"))
    to_amount_money = staticmethod(
        money_column("to_amount", "to amount", currency_field="to_currency")
    )
    list_filter = ["kind", TransactionCurrencyFilter, "occurred_at"]
    search_fields = ["holder__email", "holder__user_id", "id"]
    list_select_related = ["holder"]
    date_hierarchy = "occurred_at"
    inlines = [EntryInline]
    export_columns = exports.TRANSACTION_COLUMNS

    @admin.display(description="fx rate")
    def fx_rate_value(self, transaction: models.Transaction) -> str:
        """The rate a conversion applied: ``0.92``, not ``0.9200000000``."""
        rate = transaction.fx_rate
        return "-" if rate is None else models.format_rate(rate)

    @admin.display(description="group")
    def group(self, transaction: models.Transaction) -> str:
        """A contribution's group (whose pot is the counterparty), linked."""
        if transaction.kind != models.Transaction.Kind.GROUP_CONTRIBUTION:
            return "-"
        group = models.SavingsGroup.objects.get(
            pot_id=transaction.counterparty_account_id
        )
        return admin_link(group, group.name)


@admin.register(models.Entry)
class EntryAdmin(EntryMoneyColumns, CsvExportMixin, ReadOnlyModelAdmin):
    """Postings; found by holder email, transaction id or account id."""

    list_display = [
        "id",
        "transaction_link",
        "kind",
        "account_link",
        "entry_amount",
        "sequence",
        "balance_after_amount",
        "occurred_at",
    ]
    fields = [
        "id",
        "transaction",
        "account",
        "entry_amount",
        "currency",
        "sequence",
        "balance_after_amount",
        "occurred_at",
    ]
    readonly_fields = fields
    list_filter = ["currency", "account__kind", "occurred_at"]
    list_select_related = ["transaction", "account__holder"]
    export_columns = exports.ENTRY_COLUMNS
    search_fields = ["account__holder__email"]
    search_help_text = (
        "A holder's email (part of it will do), or the id of a transaction "
        "or of an account."
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """An id finds its transaction's or account's entries, else emails.

        Ids are matched exactly, on the entries' indexes (a transaction's,
        an account's); an email through the holder's accounts, whose
        entries are indexed by account, so no search scans the journal.
        """
        try:
            key = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(Q(transaction_id=key) | Q(account_id=key)), False

    @admin.display(description="transaction", ordering="transaction")
    def transaction_link(self, entry: models.Entry) -> str:
        """The entry's transaction page."""
        return admin_link(entry.transaction, str(entry.transaction_id))

    @admin.display(description="kind", ordering="transaction__kind")
    def kind(self, entry: models.Entry) -> str:
        """What moved the money (the transaction's kind)."""
        return entry.transaction.get_kind_display()

    @admin.display(description="account", ordering="account")
    def account_link(self, entry: models.Entry) -> str:
        """The account's page, named by its holder, kind and currency."""
        account = entry.account
        owner = f"{account.holder.email} " if account.holder else ""
        return admin_link(account, f"{owner}{account.kind} {account.currency}")


@admin.register(models.LedgerCheckRun)
class LedgerCheckRunAdmin(ReadOnlyModelAdmin):
    """Runs of ``verify_ledger``: started from the dashboard, or by beat."""

    list_display = [
        "created_at",
        "status",
        "requested_by",
        "checks_done",
        "failed",
        "finished_at",
    ]
    list_filter = ["status", "created_at"]
    fields = [
        "id",
        "status",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "checks_done",
        "checks_total",
        "entries_walked",
        "entries_total",
        "failed_checks",
        "error",
    ]
    readonly_fields = fields

    @admin.display(description="failed checks")
    def failed(self, run: models.LedgerCheckRun) -> str:
        """The checks that did not hold, or a dash."""
        return ", ".join(run.failed_checks) or "—"
