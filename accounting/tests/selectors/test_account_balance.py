"""account_balance: stored for customers, summed for system accounts."""

import pytest

from accounting import models, selectors, services

pytestmark = pytest.mark.django_db


def system(kind, currency="USD"):
    return models.Account.objects.get(
        pk=models.Account.system_id(kind, currency)
    )


def test_customer_balances_are_stored_system_balances_summed(holder):
    services.credit_apply(holder_id=holder.pk, amount=500, currency="USD")
    services.credit_apply(holder_id=holder.pk, amount=250, currency="USD")
    main = holder.accounts.get(kind="main", currency="USD")

    assert selectors.account_balance(account=main) == 750
    assert selectors.account_balance(account=system("world")) == -750
    assert selectors.account_balance(account=system("clearing")) == 0
