"""goals_list, goal_get: savings shared out among goals, and their pace."""

import datetime as dt
import uuid

import pytest

from accounting import errors, models, selectors, services
from accounting.selectors import goals
from accounting.tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 6, 15, 12, tzinfo=dt.UTC)


@pytest.fixture
def saver(holder, clock):
    """The holder with 150.00 USD in savings (a 100% plan), at NOW."""
    clock.now = NOW
    services.plan_assign(
        holder=holder, plan=factories.PlanFactory(percentage=100)
    )
    services.credit_apply(holder_id=holder.pk, amount=15_000, currency="USD")
    return holder


def goal(holder, clock, name, target, *, currency="USD", target_date=None):
    clock.advance(seconds=1)  # distinct creation instants
    return services.goal_create(
        holder=holder,
        name=name,
        target_amount=target,
        currency=currency,
        target_date=target_date,
    )


def shares(statuses):
    return [
        (s.goal.name, s.saved, s.progress_percent, s.on_track) for s in statuses
    ]


def test_savings_go_to_goals_in_order(saver, clock, django_assert_num_queries):
    goal(saver, clock, "Undated", 10_000)
    goal(saver, clock, "Later", 10_000, target_date=dt.date(2031, 1, 1))
    goal(saver, clock, "Sooner", 3_000, target_date=dt.date(2030, 12, 1))
    goal(saver, clock, "Undated too", 5_000)
    goal(saver, clock, "Euros", 1_000, currency="EUR")

    with django_assert_num_queries(2):  # the goals, then the balances
        found = selectors.goals_list(holder=saver)

    assert shares(found) == [
        # Dated first, soonest first: each takes up to its target.
        ("Sooner", 3_000, "100.00", True),
        ("Later", 10_000, "100.00", True),
        # Then undated, oldest first, from what is left (20.00 USD).
        ("Undated", 2_000, "20.00", None),
        ("Undated too", 0, "0.00", None),
        # No EUR savings account: nothing saved.
        ("Euros", 0, "0.00", None),
    ]


def test_same_date_goes_by_age(saver, clock):
    day = dt.date(2031, 1, 1)
    goal(saver, clock, "First", 12_000, target_date=day)
    goal(saver, clock, "Second", 9_000, target_date=day)

    assert [(s.goal.name, s.saved) for s in goals.goals_list(holder=saver)] == [
        ("First", 12_000),
        ("Second", 3_000),
    ]


def test_progress_is_rounded_down(saver, clock):
    goal(saver, clock, "Thirds", 45_000)  # 150.00 of 450.00 = 33.333...%
    saved_all = goal(saver, clock, "Rest", 1)

    found = goals.goals_list(holder=saver)

    assert [s.progress_percent for s in found] == ["33.33", "0.00"]
    assert found[1].goal == saved_all


def test_savings_that_left_leave_the_goals(saver, clock):
    goal(saver, clock, "Car", 10_000)
    services.plan_assign(holder=saver, plan=None)
    services.savings_release_apply(
        holder_id=saver.pk, amount=14_999, currency="USD"
    )

    assert shares(goals.goals_list(holder=saver)) == [("Car", 1, "0.01", None)]


def test_goal_get_and_its_data(saver, clock):
    first = goal(saver, clock, "First", 10_000)
    second = goal(saver, clock, "Second", 10_000, target_date=NOW.date())

    status = selectors.goal_get(holder=saver, goal_id=str(second.pk))
    # Second in line: what the dated goal left of 150.00.
    later = selectors.goal_get(holder=saver, goal_id=first.pk)
    assert (later.goal, later.saved, later.progress_percent) == (
        first,
        5_000,
        "50.00",
    )

    # Dated, so first in line: fully saved.
    assert (status.goal, status.saved, status.on_track) == (
        second,
        10_000,
        True,
    )
    assert selectors.goal_data(status) == {
        "id": str(second.pk),
        "name": "Second",
        "target_amount": "100.00",
        "currency": "USD",
        "saved": "100.00",
        "progress_percent": "100.00",
        "target_date": NOW.date().isoformat(),
        "on_track": True,
        "created_at": "2030-06-15T12:00:02Z",
        "updated_at": "2030-06-15T12:00:02Z",
    }


@pytest.mark.parametrize("goal_id", ["nope", str(uuid.uuid4()), "other"])
def test_unknown_malformed_or_another_holders_goal(saver, clock, goal_id):
    other = factories.HolderFactory()
    theirs = goal(other, clock, "Theirs", 100)
    if goal_id == "other":
        goal_id = theirs.pk

    with pytest.raises(errors.GoalNotFoundError):
        selectors.goal_get(holder=saver, goal_id=goal_id)
    with pytest.raises(errors.GoalNotFoundError):
        selectors.goal_of_holder(holder=saver, goal_id=goal_id)
    assert selectors.goal_of_holder(holder=other, goal_id=theirs.pk) == theirs


# --- on_track ---------------------------------------------------------------

CREATED = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
# Ends at the end of 2030-01-10 (UTC): a span of exactly 10 days.
DATE = dt.date(2030, 1, 10)
HALFWAY = CREATED + dt.timedelta(days=5)


@pytest.mark.parametrize(
    ("saved", "target", "target_date", "now", "expected"),
    [
        # Reached: on track whatever the date, or without one.
        (1_000, 1_000, None, HALFWAY, True),
        (1_000, 1_000, dt.date(2029, 1, 1), HALFWAY, True),
        # No date: no pace to keep.
        (0, 1_000, None, HALFWAY, None),
        # Halfway through the span, half the target is the pace: exactly.
        (500, 1_000, DATE, HALFWAY, True),
        (499, 1_000, DATE, HALFWAY, False),
        # A microsecond later, 500 is behind (the comparison is exact).
        (500, 1_000, DATE, HALFWAY + dt.timedelta(microseconds=1), False),
        (0, 1_000, DATE, CREATED, True),
        # On the last day it is still reachable...
        (999, 1_000, DATE, dt.datetime(2030, 1, 10, 23, tzinfo=dt.UTC), True),
        # ...and missed from the next day (UTC) on.
        (999, 1_000, DATE, dt.datetime(2030, 1, 11, tzinfo=dt.UTC), False),
    ],
)
def test_on_track(saved, target, target_date, now, expected):
    assert (
        goals.on_track(
            saved=saved,
            target=target,
            target_date=target_date,
            created_at=CREATED,
            now=now,
        )
        is expected
    )


def test_on_track_in_the_list(saver, clock):
    year_end = dt.date(2030, 12, 31)
    goal(saver, clock, "Near", 10_000, target_date=year_end)
    goal(saver, clock, "Far", 1_000_000, target_date=year_end)
    goal(saver, clock, "Undated", 1_000_000)
    # Set at the start of the year, in the same order.
    for name, second in (("Near", 0), ("Far", 1), ("Undated", 2)):
        models.Goal.objects.filter(name=name).update(
            created_at=CREATED + dt.timedelta(seconds=second)
        )

    assert shares(goals.goals_list(holder=saver)) == [
        ("Near", 10_000, "100.00", True),
        # 50.00 of 10000.00 by mid June of a year-long span: behind.
        ("Far", 5_000, "0.50", False),
        ("Undated", 0, "0.00", None),
    ]
