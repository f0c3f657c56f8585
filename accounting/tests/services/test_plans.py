"""plan_save, plan_validate and plan_set_active: the plans staff offer."""

import decimal

import pytest

from accounting import errors, models, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db

D = decimal.Decimal


def fields(**overrides):
    values = {
        "name": "Save a tenth",
        "kind": "percentage",
        "currency": "USD",
        "value": D("10"),
        "savings_hold_days": 0,
        "description": "Ten percent of every credit.",
    }
    return values | overrides


def stored(plan):
    row = models.Plan.objects.get(pk=plan.pk)
    return (
        row.name,
        row.kind,
        row.currency,
        row.percentage,
        row.flat_amount,
        row.savings_hold_days,
        row.description,
        row.is_active,
    )


# --- Creating and changing --------------------------------------------------


def test_a_percentage_plan_is_created_offered_with_its_percent():
    plan = services.plan_save(
        **fields(name="  Save  ", value=D("12.5"), description=" Some. ")
    )

    assert stored(plan) == (
        "Save",
        "percentage",
        "USD",
        D("12.50"),
        None,
        0,
        "Some.",
        True,
    )
    assert plan.value_display == "12.50%"


@pytest.mark.parametrize(
    ("currency", "value", "minor"),
    [
        ("USD", D("5.25"), 525),
        ("USD", D("5"), 500),
        ("JPY", D("300"), 300),
        ("BHD", D("1.234"), 1_234),
        ("USD", D("1000000000"), 100_000_000_000),
    ],
)
def test_a_flat_plan_stores_minor_units_of_its_currency(
    settings, currency, value, minor
):
    settings.SUPPORTED_CURRENCIES = [*settings.SUPPORTED_CURRENCIES, "BHD"]

    plan = services.plan_save(
        **fields(kind="flat_amount", currency=currency, value=value)
    )

    assert stored(plan)[3:5] == (None, minor)


@pytest.mark.parametrize(
    ("overrides", "percentage", "days"),
    [
        ({"value": D("100")}, D("100.00"), 0),
        ({"value": D("0.01")}, D("0.01"), 0),
        ({"value": D("7.500")}, D("7.50"), 0),
        ({"savings_hold_days": 36_500}, D("10.00"), 36_500),
    ],
)
def test_values_at_the_edges_are_accepted(overrides, percentage, days):
    plan = services.plan_save(**fields(**overrides))

    assert (plan.percentage, plan.savings_hold_days) == (percentage, days)


def test_an_unsaved_plan_is_saved_as_it_is():
    new = models.Plan()

    plan = services.plan_save(plan=new, **fields())

    assert plan is new
    assert models.Plan.objects.get().pk == new.pk


def test_a_change_of_kind_keeps_only_the_new_kind_s_field():
    plan = services.plan_save(**fields())

    changed = services.plan_save(
        plan=plan,
        **fields(
            name="Five a credit",
            kind="flat_amount",
            value=D("5"),
            savings_hold_days=30,
        ),
    )

    assert changed.pk == plan.pk
    assert models.Plan.objects.count() == 1
    assert stored(plan) == (
        "Five a credit",
        "flat_amount",
        "USD",
        None,
        500,
        30,
        "Ten percent of every credit.",
        True,
    )


def test_a_change_applies_to_later_credits_not_to_earlier_ones(holder):
    plan = services.plan_save(**fields())
    services.plan_assign(holder=holder, plan=plan)
    before = services.credit_apply(
        holder_id=holder.pk, amount=1_000, currency="USD"
    ).transaction

    services.plan_save(plan=plan, **fields(value=D("50")))
    after = services.credit_apply(
        holder_id=holder.pk, amount=1_000, currency="USD"
    ).body

    assert after["balances"] == {"main": "14.00", "savings": "6.00"}
    before.refresh_from_db()
    assert before.plan_snapshot["value"] == "10.00"


def test_a_deactivated_plan_keeps_its_state_when_edited():
    plan = services.plan_set_active(
        plan=services.plan_save(**fields()), is_active=False
    )

    services.plan_save(plan=plan, **fields(name="Renamed"))

    assert stored(plan)[0] == "Renamed"
    assert stored(plan)[-1] is False


# --- Refusals ---------------------------------------------------------------

NOT_A_PERCENTAGE = "A percentage is above 0, at most 100.00."


@pytest.mark.parametrize(
    ("overrides", "field", "code", "message"),
    [
        ({"name": ""}, "name", "validation_error", None),
        ({"name": "   "}, "name", "validation_error", None),
        ({"name": "x" * 101}, "name", "validation_error", None),
        ({"kind": "weekly"}, "kind", "validation_error", None),
        ({"currency": "XXX"}, "currency", "unsupported_currency", None),
        ({"currency": "usd"}, "currency", "unsupported_currency", None),
        ({"currency": "CHF"}, "currency", "unsupported_currency", None),
        ({"value": D("0")}, "value", "validation_error", NOT_A_PERCENTAGE),
        ({"value": D("-1")}, "value", "validation_error", NOT_A_PERCENTAGE),
        ({"value": D("100.01")}, "value", "validation_error", None),
        ({"value": D("12.505")}, "value", "validation_error", None),
        ({"value": D("1E+999999")}, "value", "validation_error", None),
        ({"value": D("NaN")}, "value", "validation_error", None),
        ({"value": D("Infinity")}, "value", "validation_error", None),
        (
            {"kind": "flat_amount", "value": D("0")},
            "value",
            "invalid_amount",
            "A flat amount is above zero.",
        ),
        (
            {"kind": "flat_amount", "value": D("-5")},
            "value",
            "invalid_amount",
            None,
        ),
        (
            {"kind": "flat_amount", "value": D("5.001")},
            "value",
            "invalid_amount",
            "USD amounts have at most 2 decimal places.",
        ),
        (
            {"kind": "flat_amount", "value": D("1.5"), "currency": "JPY"},
            "value",
            "invalid_amount",
            "JPY amounts have at most 0 decimal places.",
        ),
        (
            {"kind": "flat_amount", "value": D("1000000000.01")},
            "value",
            "invalid_amount",
            "An amount is at most 1,000,000,000 USD.",
        ),
        (
            {"kind": "flat_amount", "value": D("1E+999999")},
            "value",
            "invalid_amount",
            None,
        ),
        (
            {"savings_hold_days": -1},
            "savings_hold_days",
            "validation_error",
            None,
        ),
        (
            {"savings_hold_days": 36_501},
            "savings_hold_days",
            "validation_error",
            "A holding period is 0 to 36,500 days.",
        ),
    ],
)
def test_a_field_that_breaks_its_rule_is_named_and_nothing_is_written(
    overrides, field, code, message
):
    with pytest.raises(errors.PlanInvalidError) as validated:
        services.plan_validate(**fields(**overrides))
    with pytest.raises(errors.PlanInvalidError) as caught:
        services.plan_save(**fields(**overrides))

    error = caught.value
    assert (error.field, error.code) == (field, code)
    assert error.errors == {field: [error.detail]}
    assert error.detail == validated.value.detail
    if message is not None:
        assert error.detail == message
    assert not models.Plan.objects.exists()


def test_a_refused_change_leaves_the_plan_as_it_was():
    plan = services.plan_save(**fields())
    before = stored(plan)

    with pytest.raises(errors.PlanInvalidError):
        services.plan_save(plan=plan, **fields(name="Renamed", value=D("101")))

    assert stored(plan) == before


def test_plan_validate_returns_the_fields_as_stored():
    checked = services.plan_validate(
        **fields(name=" Flat ", kind="flat_amount", value=D("2.50"))
    )

    assert (checked.name, checked.percentage, checked.flat_amount) == (
        "Flat",
        None,
        250,
    )
    assert not models.Plan.objects.exists()


# --- Offering ---------------------------------------------------------------


def test_plan_set_active_keeps_existing_choices(holder):
    plan = factories.PlanFactory()
    services.plan_assign(holder=holder, plan=plan)

    services.plan_set_active(plan=plan, is_active=False)

    plan.refresh_from_db()
    holder.refresh_from_db()
    assert not plan.is_active
    assert holder.plan == plan
    services.plan_set_active(plan=plan, is_active=True)
    plan.refresh_from_db()
    assert plan.is_active
