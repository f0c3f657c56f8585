"""The back office: plans and holders' plans editable, the ledger not."""

import decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounting import errors, models, services
from accounting.tests import factories
from config.testing import assert_branded, run_confirmed_action

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


def plan_form(**overrides):
    data = {
        "name": "New plan",
        "kind": "percentage",
        "currency": "USD",
        "value": "12.50",
        "savings_hold_days": "0",
        "description": "",
    }
    return data | overrides


def test_site_header(staff):
    response = staff.get(reverse("admin:index"))
    assert_branded(response, "accounting")


def test_the_login_page_is_branded(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert_branded(response, "accounting")


def test_view_site_goes_to_the_gateway_and_prod_is_red(staff, settings):
    """The look both admins share: the users admin's tests check it too."""
    settings.ENVIRONMENT_NAME = "prod"

    response = staff.get(reverse("admin:index"))

    html = response.content.decode()
    assert response.context["site_url"] == settings.GATEWAY_PUBLIC_URL
    assert f'href="{settings.GATEWAY_PUBLIC_URL}">View site' in html
    assert '<span class="environment-badge environment-prod"' in html
    assert_branded(response, "accounting")


def test_create_a_percentage_and_a_flat_plan(staff):
    add = reverse("admin:accounting_plan_add")
    assert staff.get(add).status_code == 200

    staff.post(add, plan_form(name="Pct"))
    staff.post(add, plan_form(name="Flat", kind="flat_amount", value="5.25"))
    staff.post(
        add,
        plan_form(name="Yen", kind="flat_amount", value="300", currency="JPY"),
    )

    pct = models.Plan.objects.get(name="Pct")
    assert (str(pct.percentage), pct.flat_amount) == ("12.50", None)
    flat = models.Plan.objects.get(name="Flat")
    assert (flat.flat_amount, flat.percentage) == (525, None)
    assert models.Plan.objects.get(name="Yen").flat_amount == 300


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        # The service's rules, shown on their fields.
        ({"value": "100.01"}, "value", "A percentage is above 0, at most 100"),
        ({"value": "12.505"}, "value", "A percentage is above 0, at most 100"),
        ({"value": "0"}, "value", "A percentage is above 0, at most 100"),
        (
            {"kind": "flat_amount", "value": "5.001"},
            "value",
            "USD amounts have at most 2 decimal places.",
        ),
        (
            {"kind": "flat_amount", "value": "1.5", "currency": "JPY"},
            "value",
            "JPY amounts have at most 0 decimal places.",
        ),
        (
            {"kind": "flat_amount", "value": "1000000000000"},
            "value",
            "An amount is at most 1,000,000,000 USD.",
        ),
        (
            {"kind": "flat_amount", "value": "-1"},
            "value",
            "A flat amount is above zero.",
        ),
        (
            {"savings_hold_days": "36501"},
            "savings_hold_days",
            "A holding period is 0 to 36,500 days.",
        ),
        ({"name": "   "}, "name", "This field is required."),
        # What the form cannot parse.
        ({"value": "ten"}, "value", "Enter a number."),
        ({"currency": "XXX"}, "currency", "Select a valid choice."),
        ({"kind": ""}, "kind", "This field is required."),
        ({"savings_hold_days": "-1"}, "savings_hold_days", "greater than"),
        ({"savings_hold_days": "1.5"}, "savings_hold_days", "whole number"),
        ({"savings_hold_days": ""}, "savings_hold_days", "required"),
    ],
)
def test_invalid_plan_values_are_refused(staff, overrides, field, message):
    response = staff.post(
        reverse("admin:accounting_plan_add"), plan_form(**overrides)
    )

    assert response.status_code == 200  # the form again, with errors
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert not models.Plan.objects.exists()


def test_the_form_shows_the_service_s_error_on_its_field(staff, monkeypatch):
    def refuse(**fields):
        del fields
        raise errors.PlanInvalidError("currency", "Not this one.")

    monkeypatch.setattr(services, "plan_validate", refuse)

    response = staff.post(reverse("admin:accounting_plan_add"), plan_form())

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"currency": ["Not this one."]}
    assert not models.Plan.objects.exists()


def test_saving_goes_through_plan_save(staff, monkeypatch):
    calls = []
    save = services.plan_save

    def spy(**arguments):
        calls.append(arguments)
        return save(**arguments)

    monkeypatch.setattr(services, "plan_save", spy)
    add = reverse("admin:accounting_plan_add")

    response = staff.post(
        add, plan_form(name=" Flat ", kind="flat_amount", value="5.00")
    )

    assert response.status_code == 302
    plan = models.Plan.objects.get()
    (arguments,) = calls
    assert arguments == {
        "plan": plan,
        "name": "Flat",
        "kind": "flat_amount",
        "currency": "USD",
        "value": decimal.Decimal("5.00"),
        "savings_hold_days": 0,
        "description": "",
    }
    assert (plan.flat_amount, plan.percentage) == (500, None)
    change = reverse("admin:accounting_plan_change", args=[plan.pk])
    staff.post(change, plan_form(name="Flat", value="2.5"))
    assert [call["plan"].pk for call in calls] == [plan.pk, plan.pk]
    plan.refresh_from_db()
    assert (plan.kind, plan.percentage, plan.flat_amount) == (
        "percentage",
        decimal.Decimal("2.50"),
        None,
    )


def test_edit_shows_the_value_and_saves_it(staff):
    plan = factories.PlanFactory(flat=True, flat_amount=500)
    change = reverse("admin:accounting_plan_change", args=[plan.pk])

    assert b'value="5.00"' in staff.get(change).content
    staff.post(change, plan_form(kind="flat_amount", value="7"))

    plan.refresh_from_db()
    assert plan.flat_amount == 700


def test_a_plan_holds_savings_for_some_days(staff):
    add = reverse("admin:accounting_plan_add")
    assert b'name="savings_hold_days"' in staff.get(add).content

    staff.post(add, plan_form(name="Locked", savings_hold_days="30"))
    plan = models.Plan.objects.get(name="Locked")
    assert plan.savings_hold_days == 30
    change = reverse("admin:accounting_plan_change", args=[plan.pk])
    staff.post(change, plan_form(name="Locked", savings_hold_days="7"))

    plan.refresh_from_db()
    assert plan.savings_hold_days == 7
    listing = staff.get(reverse("admin:accounting_plan_changelist"))
    assert b"Savings hold days" in listing.content


def test_deactivate_and_activate_actions_no_delete(staff):
    plan = factories.PlanFactory()
    changelist = reverse("admin:accounting_plan_changelist")

    run_confirmed_action(staff, changelist, "deactivate", [plan.pk])
    plan.refresh_from_db()
    assert not plan.is_active
    staff.post(
        changelist, {"action": "activate", "_selected_action": [plan.pk]}
    )
    plan.refresh_from_db()
    assert plan.is_active
    delete = reverse("admin:accounting_plan_delete", args=[plan.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    assert models.Plan.objects.filter(pk=plan.pk).exists()
    assert b"10.00%" in staff.get(changelist).content


INLINE = {"accounts-TOTAL_FORMS": "0", "accounts-INITIAL_FORMS": "0"}


def test_assign_a_plan_to_a_holder(staff, holder):
    plan = factories.PlanFactory()
    inactive = factories.PlanFactory(is_active=False)
    change = reverse("admin:accounting_holder_change", args=[holder.pk])
    assert staff.get(change).status_code == 200

    staff.post(change, {"plan": inactive.pk, **INLINE})
    holder.refresh_from_db()
    assert holder.plan is None

    staff.post(change, {"plan": plan.pk, **INLINE})
    holder.refresh_from_db()
    assert holder.plan == plan
    assert holder.plan_selected_at is not None
    listing = staff.get(
        reverse("admin:accounting_holder_changelist"), {"q": holder.email}
    )
    assert holder.email.encode() in listing.content


def test_a_closed_holder_keeps_its_plan(staff, holder):
    holder.closed_at = holder.created_at
    holder.save()
    plan = factories.PlanFactory()

    response = staff.post(
        reverse("admin:accounting_holder_change", args=[holder.pk]),
        {"plan": plan.pk, **INLINE},
    )

    # plan_assign's refusal, shown by the form.
    assert response.context["adminform"].form.non_field_errors() == [
        "The user is inactive."
    ]
    holder.refresh_from_db()
    assert holder.plan is None


def test_a_refusal_while_saving_writes_nothing_and_says_why(
    staff, holder, monkeypatch
):
    plan = factories.PlanFactory()

    def refuse(**arguments):
        del arguments
        # As if another staff member deactivated it after the form's check.
        raise errors.PlanNotFoundError()

    monkeypatch.setattr(services, "plan_assign", refuse)
    change = reverse("admin:accounting_holder_change", args=[holder.pk])

    response = staff.post(change, {"plan": plan.pk, **INLINE})

    assert (response.status_code, response["Location"]) == (302, change)
    page = staff.get(change)
    assert b"No active plan with that id." in page.content
    holder.refresh_from_db()
    assert holder.plan is None
    assert not LogEntry.objects.exists()


def test_a_plan_refused_while_saving_is_not_created(staff, monkeypatch):
    def refuse(**arguments):
        raise errors.PlanInvalidError("value", "Refused late.")

    monkeypatch.setattr(services, "plan_save", refuse)
    add = reverse("admin:accounting_plan_add")

    response = staff.post(add, plan_form(), follow=True)

    assert response.redirect_chain == [(add, 302)]
    assert b"Refused late." in response.content
    assert not models.Plan.objects.exists()
    assert not LogEntry.objects.exists()


def test_holders_cannot_be_added_or_deleted(staff, holder):
    assert staff.get(reverse("admin:accounting_holder_add")).status_code == 403
    delete = reverse("admin:accounting_holder_delete", args=[holder.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    assert models.Holder.objects.filter(pk=holder.pk).exists()


@pytest.mark.parametrize("model", ["account", "transaction", "entry"])
def test_the_ledger_is_read_only(staff, holder, model):
    services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")
    row = getattr(models, model.capitalize()).objects.first()
    changelist = reverse(f"admin:accounting_{model}_changelist")

    assert staff.get(changelist).status_code == 200
    assert staff.get(changelist, {"currency": "USD"}).status_code == 200
    view = staff.get(reverse(f"admin:accounting_{model}_change", args=[row.pk]))
    assert view.status_code == 200
    assert b'name="_save"' not in view.content
    assert staff.get(reverse(f"admin:accounting_{model}_add")).status_code == (
        403
    )
    delete = reverse(f"admin:accounting_{model}_delete", args=[row.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403


def test_inlines_show_accounts_and_entries(staff, holder):
    txn = services.credit_apply(
        holder_id=holder.pk, amount=100, currency="USD"
    ).transaction
    holder_page = staff.get(
        reverse("admin:accounting_holder_change", args=[holder.pk])
    )
    txn_page = staff.get(
        reverse("admin:accounting_transaction_change", args=[txn.pk])
    )
    assert b"savings" in holder_page.content
    assert b"balance_after" in txn_page.content.lower().replace(b" ", b"_")


def test_the_ledger_shows_money_not_minor_units(staff, holder):
    txn = services.credit_apply(
        holder_id=holder.pk, amount=12345, currency="USD"
    ).transaction
    world = txn.entries.get(sequence__isnull=True)

    pages = {
        "account": staff.get(reverse("admin:accounting_account_changelist")),
        "transaction": staff.get(
            reverse("admin:accounting_transaction_changelist")
        ),
        "entry": staff.get(reverse("admin:accounting_entry_changelist")),
        "detail": staff.get(
            reverse("admin:accounting_transaction_change", args=[txn.pk])
        ),
        "account_detail": staff.get(
            reverse(
                "admin:accounting_account_change",
                args=[holder.accounts.get(kind="main").pk],
            )
        ),
        "entry_detail": staff.get(
            reverse("admin:accounting_entry_change", args=[world.pk])
        ),
        "holder": staff.get(
            reverse("admin:accounting_holder_change", args=[holder.pk])
        ),
    }

    for name, page in pages.items():
        assert page.status_code == 200, name
        assert b"123.45" in page.content, name
        assert b"12345<" not in page.content, name
    # The world leg has no running balance: shown as a dash, not "None".
    assert b"-123.45" in pages["entry"].content
    assert world.balance_after is None
