"""goal_create, goal_update, goal_delete: a goal's definition stays sound."""

import datetime as dt

import pytest
from django.utils import timezone

from accounting import errors, models, services

pytestmark = pytest.mark.django_db

# 23:30 UTC: "today" is the UTC date, whatever the server's zone.
NOW = dt.datetime(2030, 6, 15, 23, 30, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture
def late_clock(clock):
    clock.now = NOW
    return clock


def create(holder, **overrides):
    fields = {
        "name": "Bike",
        "target_amount": 50_000,
        "currency": "USD",
        "target_date": None,
    }
    return services.goal_create(holder=holder, **(fields | overrides))


def stored(goal):
    return models.Goal.objects.filter(pk=goal.pk).values(
        "name", "target_amount", "currency", "target_date"
    )[0]


def test_create_strips_the_name(holder, late_clock):
    goal = create(holder, name="  New bike  ", target_date=TODAY)

    assert stored(goal) == {
        "name": "New bike",
        "target_amount": 50_000,
        "currency": "USD",
        "target_date": TODAY,
    }
    assert goal.holder == holder
    assert goal.created_at == goal.updated_at == late_clock.now


def test_the_largest_target(holder):
    goal = create(holder, target_amount=100_000_000_000)  # 1e9 USD

    assert goal.target_amount == 100_000_000_000


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"name": ""}, "name", "validation_error"),
        ({"name": "   "}, "name", "validation_error"),
        ({"name": "x" * 101}, "name", "validation_error"),
        ({"target_amount": 0}, "target_amount", "invalid_amount"),
        ({"target_amount": -100}, "target_amount", "invalid_amount"),
        ({"target_amount": 100_000_000_001}, "target_amount", "invalid_amount"),
        (
            {"target_amount": 1_000_000_001, "currency": "JPY"},
            "target_amount",
            "invalid_amount",
        ),
        (
            {"target_date": TODAY - dt.timedelta(days=1)},
            "target_date",
            "validation_error",
        ),
    ],
)
def test_create_refusals_write_nothing(
    holder, late_clock, overrides, field, code
):
    del late_clock
    with pytest.raises(errors.GoalInvalidError) as caught:
        create(holder, **overrides)

    assert caught.value.code == code
    assert list(caught.value.errors) == [field]
    assert not models.Goal.objects.exists()


def test_a_name_of_100_characters_once_stripped(holder):
    goal = create(holder, name=f"  {'x' * 100}  ")

    assert goal.name == "x" * 100


def test_a_closed_holder_sets_no_goal(holder):
    holder.closed_at = timezone.now()

    with pytest.raises(errors.HolderClosedError):
        create(holder)

    assert not models.Goal.objects.exists()


def test_update_some_fields(holder, late_clock):
    goal = create(holder, target_date=TODAY)
    late_clock.advance(hours=1)  # now the next UTC day

    services.goal_update(
        goal=goal,
        changes={"name": " Road bike ", "target_amount": 70_000},
    )

    assert stored(goal) == {
        "name": "Road bike",
        "target_amount": 70_000,
        "currency": "USD",
        # Kept, though past now: only a new date must be today or later.
        "target_date": TODAY,
    }
    assert goal.updated_at == late_clock.now > goal.created_at


def test_update_and_clear_the_date(holder, late_clock):
    del late_clock
    goal = create(holder)

    services.goal_update(goal=goal, changes={"target_date": TODAY})
    assert stored(goal)["target_date"] == TODAY
    services.goal_update(goal=goal, changes={"target_date": None})
    assert stored(goal)["target_date"] is None


@pytest.mark.parametrize(
    ("target", "old", "new", "expected"),
    [
        (50_000, "USD", "EUR", 50_000),  # 500.00 USD -> 500.00 EUR
        (50_000, "USD", "JPY", 500),  # 500.00 USD -> 500 JPY
        (500, "JPY", "USD", 50_000),  # 500 JPY -> 500.00 USD
    ],
)
def test_a_new_currency_keeps_the_target_value(
    holder, target, old, new, expected
):
    goal = create(holder, target_amount=target, currency=old)

    services.goal_update(goal=goal, changes={"currency": new})

    assert (stored(goal)["target_amount"], stored(goal)["currency"]) == (
        expected,
        new,
    )


def test_a_new_currency_with_a_new_target(holder):
    goal = create(holder, target_amount=1_050)

    services.goal_update(
        goal=goal, changes={"currency": "JPY", "target_amount": 2_000}
    )

    assert (stored(goal)["target_amount"], stored(goal)["currency"]) == (
        2_000,
        "JPY",
    )


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": "  "}, "name", "validation_error"),
        ({"name": "y" * 101}, "name", "validation_error"),
        ({"target_amount": 0}, "target_amount", "invalid_amount"),
        # 10.50 USD has no JPY equivalent without decimals.
        ({"currency": "JPY"}, "target_amount", "invalid_amount"),
        (
            {"target_date": TODAY - dt.timedelta(days=1), "name": "Ok"},
            "target_date",
            "validation_error",
        ),
    ],
)
def test_update_refusals_change_nothing(
    holder, late_clock, changes, field, code
):
    del late_clock
    goal = create(holder, target_amount=1_050)
    before = stored(goal)

    with pytest.raises(errors.GoalInvalidError) as caught:
        services.goal_update(goal=goal, changes=changes)

    assert (caught.value.code, list(caught.value.errors)) == (code, [field])
    assert stored(goal) == before
    assert (goal.name, goal.target_amount, goal.currency) == (
        "Bike",
        1_050,
        "USD",
    )


def test_update_refuses_other_fields(holder):
    goal = create(holder)

    with pytest.raises(ValueError, match="holder"):
        services.goal_update(goal=goal, changes={"holder": None})


def test_delete(holder):
    goal = create(holder)
    kept = create(holder, name="Kept")

    services.goal_delete(goal=goal)

    assert list(models.Goal.objects.values_list("pk", flat=True)) == [kept.pk]
