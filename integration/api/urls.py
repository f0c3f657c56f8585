"""Routes of the public API, mounted under ``/api/v1/``.

Paths have no trailing slash, as written in ``API.md``.
"""

from django.urls import path

from integration.api import identity, money, plans

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
]
