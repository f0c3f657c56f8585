"""Savings groups in the admin: read-only groups, pots and contributions."""

import decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import formats, timezone

from accounting import models, services
from accounting.tests import factories
from accounting.tests.test_admin_ledger import listed, shown

pytestmark = pytest.mark.django_db

GROUPS = "admin:accounting_savingsgroup_changelist"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


@pytest.fixture
def summer():
    """Ana's group (target 120.00 USD): Ben 30.00 + 15.00, Ana nothing."""
    ana, ben = (
        factories.HolderFactory(email=f"{n}@example.com")
        for n in ("ana", "ben")
    )
    services.plan_assign(
        holder=ben,
        plan=factories.PlanFactory(percentage=decimal.Decimal("50")),
    )
    services.credit_apply(holder_id=ben.pk, amount=10_000, currency="USD")
    group = services.group_create(
        holder=ana, name="Summer <b>", target_amount=12_000, currency="USD"
    )
    services.member_add(
        holder_id=ana.pk, group_id=group.id, email="ben@example.com"
    )
    for amount in (3_000, 1_500):
        services.contribution_apply(
            holder_id=ben.pk, group_id=group.id, amount=amount, currency="USD"
        )
    return group


def test_groups_are_listed_with_total_progress_and_members(staff, summer):
    response = staff.get(reverse(GROUPS))

    assert response.status_code == 200
    [row] = response.context["cl"].result_list
    admin = response.context["cl"].model_admin
    assert row.pk == summer.pk
    assert admin.total(row) == "45.00 USD"
    assert admin.progress(row) == "37.50%"
    assert admin.member_count(row) == 2
    assert admin.target(row) == "120.00 USD"
    assert listed(staff, GROUPS, q="summer") == {summer.pk}
    assert listed(staff, GROUPS, q="ana@example") == {summer.pk}
    assert listed(staff, GROUPS, q="winter") == set()


def test_a_group_page_shows_its_members_and_links_its_pot(staff, summer):
    page = staff.get(
        reverse("admin:accounting_savingsgroup_change", args=[summer.pk])
    )

    assert page.status_code == 200
    assert shown(page, "total") == "45.00 USD"
    pot_url = reverse("admin:accounting_account_change", args=[summer.pot_id])
    assert pot_url in shown(page, "pot_link")
    entries = shown(page, "pot_entries")
    assert "2 entries" in entries
    entries_url = reverse("admin:accounting_entry_changelist")
    assert f"{entries_url}?account__id__exact={summer.pot_id}" in entries
    inline = page.context["inline_admin_formsets"][0]
    rows = [
        (form.original.holder.email, field.contents())
        for form in inline
        for fieldset in form
        for line in fieldset
        for field in line
        if field.field["name"] in {"contributed", "count"}
    ]
    assert rows == [
        ("ben@example.com", "45.00 USD"),
        ("ben@example.com", "2"),
        ("ana@example.com", "0.00 USD"),
        ("ana@example.com", "0"),
    ]
    # The pot's entries, one link away, are its contributions.
    assert listed(
        staff,
        "admin:accounting_entry_changelist",
        account__id__exact=summer.pot_id,
    ) == set(
        models.Entry.objects.filter(account_id=summer.pot_id).values_list(
            "pk", flat=True
        )
    )


def test_groups_are_read_only(staff, summer):
    change = reverse("admin:accounting_savingsgroup_change", args=[summer.pk])
    assert (
        staff.get(reverse("admin:accounting_savingsgroup_add")).status_code
        == 403
    )
    assert staff.post(change, {"name": "Renamed"}).status_code == 403
    summer.refresh_from_db()
    assert summer.name == "Summer <b>"


def test_a_pot_shows_its_running_balance(staff, summer):
    accounts = staff.get(
        reverse("admin:accounting_account_changelist"), {"kind__exact": "pot"}
    )
    [pot] = accounts.context["cl"].result_list
    admin = accounts.context["cl"].model_admin

    assert pot.pk == summer.pot_id
    assert admin.balance_amount(pot) == "45.00 USD"
    page = staff.get(reverse("admin:accounting_account_change", args=[pot.pk]))
    assert shown(page, "balance_now") == "45.00 USD"
    world = models.Account.objects.get(
        pk=models.Account.system_id("world", "USD")
    )
    assert admin.balance_amount(world) == "derived (open the account)"


def test_a_contribution_shows_its_group(staff, summer):
    made = models.Transaction.objects.filter(kind="group_contribution").first()
    credit = models.Transaction.objects.get(kind="credit")

    page = staff.get(
        reverse("admin:accounting_transaction_change", args=[made.pk])
    )
    other = staff.get(
        reverse("admin:accounting_transaction_change", args=[credit.pk])
    )

    group_url = reverse(
        "admin:accounting_savingsgroup_change", args=[summer.pk]
    )
    assert shown(page, "group") == f'<a href="{group_url}">Summer &lt;b&gt;</a>'
    pot_url = reverse("admin:accounting_account_change", args=[summer.pot_id])
    assert pot_url in shown(page, "counterparty_account")
    assert shown(other, "group") == "-"


def test_the_members_inline_shows_who_left_and_when(staff, summer):
    ben = models.Holder.objects.get(email="ben@example.com")
    left = services.member_leave(holder_id=ben.pk, group_id=summer.id)

    page = staff.get(
        reverse("admin:accounting_savingsgroup_change", args=[summer.pk])
    )
    listing = staff.get(reverse(GROUPS))

    inline = page.context["inline_admin_formsets"][0]
    rows = {
        form.original.holder.email: {
            field.field["name"]: field.contents()
            for fieldset in form
            for line in fieldset
            for field in line
            if field.field["name"] in {"left_at", "contributed"}
        }
        for form in inline
    }
    assert rows["ben@example.com"]["contributed"] == "45.00 USD"
    assert rows["ben@example.com"]["left_at"] == formats.localize(
        timezone.template_localtime(left.left_at)
    )
    assert rows["ana@example.com"] == {
        "left_at": "-",
        "contributed": "0.00 USD",
    }
    # The list counts the members the group has now.
    [row] = listing.context["cl"].result_list
    assert listing.context["cl"].model_admin.member_count(row) == 1
