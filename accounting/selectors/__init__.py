"""Every read of the accounting service, one module per subject.

Reads never lock. Callers use ``from accounting import selectors`` and
``selectors.holder_get(...)``; the functions live in:

- ``holders``: a user's holder, whether it is open, and its summary for
  staff;
- ``accounts``: accounts and their balances, now and as of an instant;
- ``transactions``: one transaction, or a page of them by cursor;
- ``catalog``: the plans on offer and the current rates (cached);
- ``categories``: the suggested expense categories (cached);
- ``goals``, ``groups``, ``reports``: savings goals, group challenges and
  the income/expenses report;
- ``freezes``: the staff freezes that apply now;
- ``imports``: statement imports and where each stands;
- ``statements``: a holder's statement for a period (opening, entries,
  closing per wallet account);
- ``batches``: partners' credit batches and their items;
- ``webhooks``: an account's webhook endpoints and their delivery log;
- ``reversals``: what a reversal would undo and post;
- ``ledger_checks``: the ledger's invariants, run by ``verify_ledger``.
"""

from accounting.selectors.accounts import (
    Balance,
    account_balance,
    account_entries_recent,
    accounts_list,
    balance_at,
    balance_query,
    wallet_balances,
)
from accounting.selectors.batches import (
    ItemPage,
    credit_batch_get,
    credit_batch_items,
    partner_key_live,
)
from accounting.selectors.catalog import (
    plan_get_active,
    plans_active,
    rates_current,
)
from accounting.selectors.categories import categories_active
from accounting.selectors.freezes import freezes_in_force
from accounting.selectors.goals import (
    GoalStatus,
    goal_data,
    goal_get,
    goal_of_holder,
    goals_list,
)
from accounting.selectors.groups import (
    GroupStanding,
    group_data,
    group_get,
    group_of_member,
    groups_list,
    member_standing,
    members_data,
    membership_of,
    memberships_of,
)
from accounting.selectors.holders import (
    SUMMARY_TRANSACTIONS,
    SUMMARY_TRANSACTIONS_MAX,
    HolderSummary,
    holder_check_open,
    holder_get,
    holder_summary,
)
from accounting.selectors.imports import ImportStatus, import_get
from accounting.selectors.ledger_checks import (
    LEDGER_CHECKS,
    Check,
    LedgerFinding,
    ledger_findings,
    ledger_size,
    ledger_verify,
)
from accounting.selectors.reports import Report, ReportGroup, report_summary
from accounting.selectors.reversals import (
    REVERSIBLE_KINDS,
    PreviewLine,
    reversal_movement,
    reversal_preview,
)
from accounting.selectors.statements import (
    Statement,
    WalletStatement,
    statement_get,
)
from accounting.selectors.transactions import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    cursor_decode,
    cursor_encode,
    transaction_data,
    transaction_get,
    transactions_page,
    transactions_query,
)
from accounting.selectors.webhooks import (
    DeliveryPage,
    deliveries_page,
    delivery_get,
    webhook_get,
    webhooks_list,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "LEDGER_CHECKS",
    "MAX_PAGE_SIZE",
    "REVERSIBLE_KINDS",
    "SUMMARY_TRANSACTIONS",
    "SUMMARY_TRANSACTIONS_MAX",
    "Balance",
    "Check",
    "DeliveryPage",
    "GoalStatus",
    "GroupStanding",
    "HolderSummary",
    "ImportStatus",
    "ItemPage",
    "LedgerFinding",
    "Page",
    "PreviewLine",
    "Report",
    "ReportGroup",
    "Statement",
    "WalletStatement",
    "account_balance",
    "account_entries_recent",
    "accounts_list",
    "balance_at",
    "balance_query",
    "categories_active",
    "credit_batch_get",
    "credit_batch_items",
    "cursor_decode",
    "cursor_encode",
    "deliveries_page",
    "delivery_get",
    "freezes_in_force",
    "goal_data",
    "goal_get",
    "goal_of_holder",
    "goals_list",
    "group_data",
    "group_get",
    "group_of_member",
    "groups_list",
    "holder_check_open",
    "holder_get",
    "holder_summary",
    "import_get",
    "ledger_findings",
    "ledger_size",
    "ledger_verify",
    "member_standing",
    "members_data",
    "membership_of",
    "memberships_of",
    "partner_key_live",
    "plan_get_active",
    "plans_active",
    "rates_current",
    "report_summary",
    "reversal_movement",
    "reversal_preview",
    "statement_get",
    "transaction_data",
    "transaction_get",
    "transactions_page",
    "transactions_query",
    "wallet_balances",
    "webhook_get",
    "webhooks_list",
]
