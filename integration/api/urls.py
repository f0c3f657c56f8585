"""Routes of the public API, mounted under ``/api/v1/``.

Paths have no trailing slash, as ``docs/api.md`` writes them.
"""

from django.urls import path

from integration.api import (
    groups,
    identity,
    imports,
    money,
    partners,
    personal,
    plans,
    webhooks,
)

app_name = "api"

urlpatterns = [
    path("auth/signup", identity.SignupApi.as_view(), name="signup"),
    path("auth/token", identity.TokenObtainApi.as_view(), name="token"),
    path(
        "auth/token/refresh",
        identity.TokenRefreshApi.as_view(),
        name="token-refresh",
    ),
    path("me", identity.MeApi.as_view(), name="me"),
    path("plans", plans.PlanListApi.as_view(), name="plans"),
    path("me/plan", plans.MyPlanApi.as_view(), name="me-plan"),
    path("accounts", money.AccountsApi.as_view(), name="accounts"),
    path("credits", money.CreditCreateApi.as_view(), name="credits"),
    path("transfers", money.TransferCreateApi.as_view(), name="transfers"),
    path(
        "withdrawals",
        money.WithdrawalCreateApi.as_view(),
        name="withdrawals",
    ),
    path(
        "conversions",
        money.ConversionCreateApi.as_view(),
        name="conversions",
    ),
    path("rates", money.RateListApi.as_view(), name="rates"),
    path("balance", money.BalanceApi.as_view(), name="balance"),
    path(
        "transactions",
        money.TransactionListApi.as_view(),
        name="transactions",
    ),
    path(
        "transactions/<uuid:id>",
        money.TransactionDetailApi.as_view(),
        name="transaction",
    ),
    path(
        "reports/summary",
        personal.ReportSummaryApi.as_view(),
        name="report-summary",
    ),
    path("categories", personal.CategoryListApi.as_view(), name="categories"),
    path("imports", imports.ImportCreateApi.as_view(), name="imports"),
    path("imports/<uuid:id>", imports.ImportDetailApi.as_view(), name="import"),
    path("goals", personal.GoalsApi.as_view(), name="goals"),
    path("goals/<uuid:id>", personal.GoalDetailApi.as_view(), name="goal"),
    path("groups", groups.GroupsApi.as_view(), name="groups"),
    path("groups/<uuid:id>", groups.GroupDetailApi.as_view(), name="group"),
    path(
        "groups/<uuid:id>/members",
        groups.GroupMemberCreateApi.as_view(),
        name="group-members",
    ),
    path(
        "groups/<uuid:id>/members/me",
        groups.GroupMembershipApi.as_view(),
        name="group-membership",
    ),
    path(
        "groups/<uuid:id>/contributions",
        groups.GroupContributionCreateApi.as_view(),
        name="group-contributions",
    ),
    path(
        "partner/credit-batches",
        partners.CreditBatchCreateApi.as_view(),
        name="partner-credit-batches",
    ),
    path(
        "partner/credit-batches/<uuid:id>",
        partners.CreditBatchDetailApi.as_view(),
        name="partner-credit-batch",
    ),
    path(
        "partner/credit-batches/<uuid:id>/items",
        partners.CreditBatchItemListApi.as_view(),
        name="partner-credit-batch-items",
    ),
    path("webhooks", webhooks.WebhooksApi.as_view(), name="webhooks"),
    path(
        "webhooks/<uuid:id>",
        webhooks.WebhookDetailApi.as_view(),
        name="webhook",
    ),
    path(
        "webhooks/<uuid:id>/secret",
        webhooks.WebhookSecretApi.as_view(),
        name="webhook-secret",
    ),
    path(
        "webhooks/<uuid:id>/deliveries",
        webhooks.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/<uuid:id>/deliveries/<uuid:delivery_id>/resend",
        webhooks.WebhookDeliveryResendApi.as_view(),
        name="webhook-delivery-resend",
    ),
    path(
        "partner/webhooks",
        webhooks.PartnerWebhooksApi.as_view(),
        name="partner-webhooks",
    ),
    path(
        "partner/webhooks/<uuid:id>",
        webhooks.PartnerWebhookDetailApi.as_view(),
        name="partner-webhook",
    ),
    path(
        "partner/webhooks/<uuid:id>/secret",
        webhooks.PartnerWebhookSecretApi.as_view(),
        name="partner-webhook-secret",
    ),
    path(
        "partner/webhooks/<uuid:id>/deliveries",
        webhooks.PartnerWebhookDeliveryListApi.as_view(),
        name="partner-webhook-deliveries",
    ),
    path(
        "partner/webhooks/<uuid:id>/deliveries/<uuid:delivery_id>/resend",
        webhooks.PartnerWebhookDeliveryResendApi.as_view(),
        name="partner-webhook-delivery-resend",
    ),
]
