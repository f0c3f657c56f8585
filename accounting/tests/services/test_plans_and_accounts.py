import pytest

from accounting import errors, models, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db


def test_plan_assign_selects_and_clears(holder):
    plan = factories.PlanFactory()

    services.plan_assign(holder=holder, plan=plan)
    holder.refresh_from_db()
    assert holder.plan == plan
    assert holder.plan_selected_at is not None

    services.plan_assign(holder=holder, plan=None)
    holder.refresh_from_db()
    assert (holder.plan, holder.plan_selected_at) == (None, None)


def test_plan_assign_refuses_inactive_plans_and_closed_holders(holder):
    inactive = factories.PlanFactory(is_active=False)
    with pytest.raises(errors.PlanNotFoundError):
        services.plan_assign(holder=holder, plan=inactive)

    holder.closed_at = holder.created_at
    holder.save()
    with pytest.raises(errors.HolderClosedError):
        services.plan_assign(holder=holder, plan=factories.PlanFactory())
    holder.refresh_from_db()
    assert holder.plan is None


def test_account_open_is_idempotent_per_currency(holder):
    first = services.account_open(holder=holder, currency="EUR")
    again = services.account_open(holder=holder, currency="EUR")

    assert [a.kind for a in first] == ["main", "savings"]
    assert [a.pk for a in again] == [a.pk for a in first]
    assert holder.accounts.count() == 4
    # Each currency's system accounts exist once, however many wallets.
    system = models.Account.objects.filter(holder=None)
    assert sorted(system.values_list("currency", "kind")) == [
        (currency, kind)
        for currency in ("EUR", "USD")
        for kind in ("clearing", "fx", "world")
    ]
    assert all(
        account.id == models.Account.system_id(account.kind, account.currency)
        for account in system
    )


def test_account_open_refuses_a_closed_holder(holder):
    holder.closed_at = holder.created_at
    holder.save()

    with pytest.raises(errors.HolderClosedError):
        services.account_open(holder=holder, currency="EUR")
    assert holder.accounts.count() == 2
