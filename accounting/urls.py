"""Routes of the accounting service: health and the internal API.

Health endpoints answer without a credential; everything under
``/internal/v1/`` (the schema too) needs the accounting service token. The
path names the view and the view names the service
(``docs/architecture.md``, "Layout of an app").
"""

from django.urls import include, path

from accounting.api import (
    accounts,
    categories,
    goals,
    groups,
    holders,
    imports,
    movements,
    partners,
    plans,
    rates,
    reports,
    transactions,
    webhooks,
)
from config import contracts, health, schema

HOLDER = "holders/<uuid:user_id>/"
PARTNER = "partners/<uuid:partner_id>/"

internal_urlpatterns = [
    path("plans", plans.PlanListApi.as_view(), name="plans"),
    path(f"{HOLDER}plan", plans.HolderPlanApi.as_view(), name="holder-plan"),
    path(
        f"{HOLDER}summary",
        holders.HolderSummaryApi.as_view(),
        name="holder-summary",
    ),
    path(
        f"{HOLDER}accounts",
        accounts.AccountListApi.as_view(),
        name="holder-accounts",
    ),
    path(
        f"{HOLDER}credits",
        movements.CreditCreateApi.as_view(),
        name="holder-credits",
    ),
    path(
        f"{HOLDER}transfers",
        movements.TransferCreateApi.as_view(),
        name="holder-transfers",
    ),
    path(
        f"{HOLDER}withdrawals",
        movements.WithdrawalCreateApi.as_view(),
        name="holder-withdrawals",
    ),
    path(
        f"{HOLDER}conversions",
        movements.ConversionCreateApi.as_view(),
        name="holder-conversions",
    ),
    path("rates", rates.RateListApi.as_view(), name="rates"),
    path(
        f"{HOLDER}balance", accounts.BalanceApi.as_view(), name="holder-balance"
    ),
    path(
        f"{HOLDER}transactions",
        transactions.TransactionListApi.as_view(),
        name="holder-transactions",
    ),
    path(
        f"{HOLDER}transactions/<str:transaction_id>",
        transactions.TransactionDetailApi.as_view(),
        name="holder-transaction",
    ),
    path(
        f"{HOLDER}groups",
        groups.GroupListApi.as_view(),
        name="holder-groups",
    ),
    path(
        f"{HOLDER}groups/<str:group_id>",
        groups.GroupDetailApi.as_view(),
        name="holder-group",
    ),
    path(
        f"{HOLDER}groups/<str:group_id>/members",
        groups.GroupMemberCreateApi.as_view(),
        name="holder-group-members",
    ),
    path(
        f"{HOLDER}groups/<str:group_id>/membership",
        groups.GroupMembershipApi.as_view(),
        name="holder-group-membership",
    ),
    path(
        f"{HOLDER}groups/<str:group_id>/contributions",
        groups.GroupContributionCreateApi.as_view(),
        name="holder-group-contributions",
    ),
    path(
        "categories",
        categories.CategoryListApi.as_view(),
        name="categories",
    ),
    path(
        f"{HOLDER}reports/summary",
        reports.ReportSummaryApi.as_view(),
        name="holder-reports-summary",
    ),
    path(f"{HOLDER}goals", goals.GoalListApi.as_view(), name="holder-goals"),
    path(
        f"{HOLDER}goals/<str:goal_id>",
        goals.GoalDetailApi.as_view(),
        name="holder-goal",
    ),
    path(
        f"{HOLDER}imports",
        imports.ImportCreateApi.as_view(),
        name="holder-imports",
    ),
    path(
        f"{HOLDER}imports/<str:import_id>",
        imports.ImportDetailApi.as_view(),
        name="holder-import",
    ),
    path(
        "partner-keys/verify",
        partners.PartnerKeyVerifyApi.as_view(),
        name="partner-keys-verify",
    ),
    path(
        "partner-keys/<uuid:key_id>/credit-batches",
        partners.CreditBatchCreateApi.as_view(),
        name="partner-credit-batches",
    ),
    path(
        "partners/<uuid:partner_id>/credit-batches/<str:batch_id>",
        partners.CreditBatchDetailApi.as_view(),
        name="partner-credit-batch",
    ),
    path(
        "partners/<uuid:partner_id>/credit-batches/<str:batch_id>/items",
        partners.CreditBatchItemListApi.as_view(),
        name="partner-credit-batch-items",
    ),
    *(
        route
        for owner, prefix, views in (
            ("holder", HOLDER, webhooks.HOLDER_VIEWS),
            ("partner", PARTNER, webhooks.PARTNER_VIEWS),
        )
        for route in (
            path(
                f"{prefix}webhooks",
                views["list"].as_view(),
                name=f"{owner}-webhooks",
            ),
            path(
                f"{prefix}webhooks/<str:webhook_id>",
                views["detail"].as_view(),
                name=f"{owner}-webhook",
            ),
            path(
                f"{prefix}webhooks/<str:webhook_id>/secret",
                views["secret"].as_view(),
                name=f"{owner}-webhook-secret",
            ),
            path(
                f"{prefix}webhooks/<str:webhook_id>/deliveries",
                views["deliveries"].as_view(),
                name=f"{owner}-webhook-deliveries",
            ),
            path(
                f"{prefix}webhooks/<str:webhook_id>/deliveries/"
                "<str:delivery_id>/resend",
                views["resend"].as_view(),
                name=f"{owner}-webhook-resend",
            ),
        )
    ),
    path("schema/", schema.internal_schema_view(), name="schema"),
]

urlpatterns = [
    path("healthz", health.HealthzApi.as_view(), name="healthz"),
    path("readyz", health.ReadyzApi.as_view(), name="readyz"),
    path(contracts.INTERNAL_API_PREFIX, include(internal_urlpatterns)),
]
