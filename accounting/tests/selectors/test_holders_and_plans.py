import uuid

import pytest

from accounting import errors, selectors, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db


def test_holder_get(holder):
    assert selectors.holder_get(user_id=holder.pk) == holder
    with pytest.raises(errors.HolderNotReadyError):
        selectors.holder_get(user_id=uuid.uuid4())
    holder.closed_at = holder.created_at
    holder.save()
    with pytest.raises(errors.HolderClosedError):
        selectors.holder_get(user_id=holder.pk)


def test_plans_active_and_plan_get_active():
    b = factories.PlanFactory(name="B")
    a = factories.PlanFactory(name="A", flat=True)
    hidden = factories.PlanFactory(name="C", is_active=False)

    assert list(selectors.plans_active()) == [a, b]
    assert selectors.plan_get_active(plan_id=str(a.pk)) == a
    for plan_id in (str(hidden.pk), str(uuid.uuid4()), "nope"):
        with pytest.raises(errors.PlanNotFoundError):
            selectors.plan_get_active(plan_id=plan_id)


def test_accounts_list(holder):
    services.account_open(holder=holder, currency="EUR")
    rows = selectors.accounts_list(holder=holder).values_list(
        "currency", "kind"
    )
    assert list(rows) == [
        ("EUR", "main"),
        ("EUR", "savings"),
        ("USD", "main"),
        ("USD", "savings"),
    ]
