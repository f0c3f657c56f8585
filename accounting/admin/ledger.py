"""The ledger (accounts, transactions, entries): read-only here.

And the runs of ``verify_ledger``, which staff start from the dashboard
(``accounting/admin/dashboard.py``).
"""

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounting import errors, models, selectors, services
from accounting.admin.columns import (
    ReadOnlyInline,
    admin_link,
    money_column,
)
from config import money
from config.admin import ReadOnlyModelAdmin


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
class AccountAdmin(ReadOnlyModelAdmin):
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
    ]
    readonly_fields = fields
    list_filter = ["kind", "currency", ClosedListFilter, "created_at"]
    search_fields = ["holder__email", "id"]
    list_select_related = ["holder"]
    actions = ["close_wallets"]

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
        return money.format_amount(account.balance, account.currency)

    @admin.display(description="balance")
    def balance_now(self, account: models.Account) -> str:
        """The balance now: stored for customers, summed for system."""
        balance = selectors.account_balance(account=account)
        return money.format_amount(balance, account.currency)

    def has_close_permission(self, request: HttpRequest) -> bool:
        """Closing needs the change permission on accounts."""
        return request.user.has_perm("accounting.change_account")

    @admin.action(
        description="Close the selected wallets",
        permissions=["close"],
    )
    def close_wallets(self, request: HttpRequest, accounts: QuerySet) -> None:
        """Closes each selected account's wallet (main and savings).

        Through ``account_close``, as deleting a user does. System accounts
        never close: the service refuses them and they are skipped.
        """
        wallets, skipped = set(), 0
        for account in accounts:
            wallet = (account.holder_id, account.currency)
            if wallet in wallets:
                continue
            try:
                services.account_close(account=account)
            except errors.AccountNotFoundError:
                skipped += 1
                continue
            wallets.add(wallet)
        if wallets:
            self.message_user(
                request,
                f"{len(wallets)} wallet(s) closed (main and savings).",
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"{skipped} system account(s) skipped: they never close.",
                messages.WARNING,
            )


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
        "currency",
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
class TransactionAdmin(ReadOnlyModelAdmin):
    """Journal headers with their entries; search by holder email or id."""

    list_display = [
        "id",
        "holder",
        "kind",
        "transaction_amount",
        "currency",
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
class EntryAdmin(EntryMoneyColumns, ReadOnlyModelAdmin):
    """Postings."""

    list_display = [
        "id",
        "transaction",
        "account",
        "entry_amount",
        "currency",
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
