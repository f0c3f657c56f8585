"""The accounting admin's audit trail: every staff action, bulk included."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounting import models, services
from accounting.tests import factories
from accounting.tests.test_admin import plan_form
from config.testing import run_confirmed_action

pytestmark = pytest.mark.django_db

ACCOUNTS = "admin:accounting_account_changelist"


@pytest.fixture
def staff_user():
    return get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )


@pytest.fixture
def staff(client, staff_user):
    client.force_login(staff_user)
    return client


def test_closing_wallets_records_each_account_with_the_reason(
    staff, staff_user, holder
):
    other = factories.HolderFactory()
    services.account_open(holder=other, currency="USD")
    accounts = [
        holder.accounts.get(kind="main", currency="USD"),
        other.accounts.get(kind="main", currency="USD"),
    ]

    run_confirmed_action(
        staff,
        reverse(ACCOUNTS),
        "close_wallets",
        [a.pk for a in accounts],
        reason="Customer asked to leave",
    )

    rows = models.StaffAction.objects.order_by("object_id")
    assert sorted(r.object_id for r in rows) == sorted(
        str(a.pk) for a in accounts
    )
    for row in rows:
        assert (row.action, row.object_type) == (
            "close_wallets",
            "accounting.account",
        )
        assert row.before["closed_at"] is None
        assert row.after["closed_at"] is not None
        assert row.reason == "Customer asked to leave"
        assert row.staff_id == str(staff_user.pk)
        assert row.staff_email == "staff@example.com"
        assert row.ip_address == "127.0.0.1"


def test_a_confirmation_lists_the_selection_and_closes_nothing(staff):
    holders = factories.HolderFactory.create_batch(3)
    for holder in holders:
        services.account_open(holder=holder, currency="USD")

    asked = staff.post(
        reverse(ACCOUNTS),
        {
            "action": "close_wallets",
            "_selected_action": [str(holders[0].accounts.first().pk)],
            "select_across": "1",
            "index": 0,
        },
    )

    page = asked.content.decode()
    assert asked.status_code == 200
    assert asked.context["count"] == models.Account.objects.count()
    assert 'name="select_across" value="1"' in page
    assert not models.Account.objects.filter(closed_at__isnull=False).exists()
    assert not models.StaffAction.objects.exists()


def test_a_plan_change_keeps_before_and_after(staff):
    plan = factories.PlanFactory(name="Starter")

    response = staff.post(
        reverse("admin:accounting_plan_change", args=[plan.pk]),
        plan_form(name="Starter plus", currency=plan.currency),
    )

    assert response.status_code == 302
    row = models.StaffAction.objects.get()
    assert (row.action, row.before["name"], row.after["name"]) == (
        "change",
        "Starter",
        "Starter plus",
    )


def test_a_deactivation_is_confirmed_and_recorded(staff):
    plan = factories.PlanFactory()

    run_confirmed_action(
        staff,
        reverse("admin:accounting_plan_changelist"),
        "deactivate",
        [plan.pk],
        reason="Replaced by the 2027 plans",
    )

    row = models.StaffAction.objects.get()
    assert (row.before["is_active"], row.after["is_active"]) == (True, False)
    assert row.reason == "Replaced by the 2027 plans"


def test_granting_a_staff_account_is_recorded(staff, staff_user):
    clerk = get_user_model().objects.create_user(
        username="clerk", email="clerk@example.com", password="pw"
    )
    page = staff.get(reverse("admin:auth_user_change", args=[clerk.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"groups", "user_permissions"}
    }
    data.update(
        is_staff="on",
        is_active="on",
        date_joined_0=clerk.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=clerk.date_joined.strftime("%H:%M:%S"),
    )
    data.pop("date_joined")
    data.pop("last_login", None)

    response = staff.post(
        reverse("admin:auth_user_change", args=[clerk.pk]), data
    )

    assert response.status_code == 302
    row = models.StaffAction.objects.get()
    assert (row.object_type, row.object_id) == ("auth.user", str(clerk.pk))
    assert (row.before["is_staff"], row.after["is_staff"]) == (False, True)
    assert "password" not in row.after
    assert row.staff_email == staff_user.email


def test_the_trail_is_listed_read_only(staff, holder):
    run_confirmed_action(
        staff,
        reverse(ACCOUNTS),
        "close_wallets",
        [holder.accounts.get(kind="main", currency="USD").pk],
    )

    listing = staff.get(
        reverse("admin:accounting_staffaction_changelist"),
        {"action": "close_wallets"},
    )

    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert not listing.context["has_add_permission"]


def test_nothing_of_the_ledger_can_be_deleted_in_the_admin(rf, staff_user):
    request = rf.get("/admin/")
    request.user = staff_user

    deletable = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "accounting"
        and model_admin.has_delete_permission(request)
    ]

    assert deletable == []
