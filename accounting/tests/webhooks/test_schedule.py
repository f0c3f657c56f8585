import datetime as dt
import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounting.webhooks import schedule

FIRST_AT = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.UTC)


class Fixed:
    """A jitter source that always draws the same end of the range."""

    def __init__(self, end: str) -> None:
        self.end = end

    def uniform(self, a: float, b: float) -> float:
        return {"low": a, "middle": (a + b) / 2, "high": b}[self.end]


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [
        (1, 30),
        (2, 60),
        (3, 120),
        (4, 240),
        (5, 480),
        (6, 960),
        (7, 1920),
        (8, 3600),
        (9, 3600),
        (10**9, 3600),
    ],
)
def test_the_delay_doubles_from_30_seconds_up_to_an_hour(attempt, seconds):
    delay = schedule.retry_delay(attempt, rng=Fixed("middle"))

    assert delay == dt.timedelta(seconds=seconds)


@given(attempt=st.integers(1, 100), seed=st.integers())
def test_the_jitter_stays_within_ten_percent(attempt, seed):
    middle = schedule.retry_delay(attempt, rng=Fixed("middle"))

    delay = schedule.retry_delay(attempt, rng=random.Random(seed))  # noqa: S311 (jitter)

    assert middle * 0.9 <= delay <= middle * 1.1


def test_the_jitter_spreads_retries_by_default():
    delays = {schedule.retry_delay(3) for _ in range(20)}

    assert len(delays) > 1
    assert all(
        dt.timedelta(seconds=108) <= delay <= dt.timedelta(seconds=132)
        for delay in delays
    )


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempts_are_counted_from_one(attempt):
    with pytest.raises(ValueError, match="starts at 1"):
        schedule.retry_delay(attempt)


@pytest.mark.parametrize(
    ("after", "gives_up"),
    [
        (dt.timedelta(0), False),
        (dt.timedelta(hours=24), False),
        (dt.timedelta(hours=72) - dt.timedelta(microseconds=1), False),
        (dt.timedelta(hours=72), True),
        (dt.timedelta(days=30), True),
    ],
)
def test_a_delivery_is_given_up_72_hours_after_its_first_attempt(
    after, gives_up
):
    assert (
        schedule.gives_up(first_at=FIRST_AT, now=FIRST_AT + after) is gives_up
    )


def attempts_made(end: str) -> list[dt.datetime]:
    """When a delivery that always fails is tried, drawing ``end`` jitter."""
    at, times = FIRST_AT, [FIRST_AT]
    while not schedule.gives_up(first_at=FIRST_AT, now=at):
        at += schedule.retry_delay(len(times), rng=Fixed(end))
        times.append(at)
    return times


@pytest.mark.parametrize("end", ["low", "middle", "high"])
def test_a_receiver_down_for_a_day_loses_nothing(end):
    times = attempts_made(end)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]

    # Retries go on for at least 24 h (72 in fact), hourly once backed off,
    # so a receiver back after any outage of less than 72 h is reached
    # within 66 minutes of coming back.
    assert times[-2] - FIRST_AT >= dt.timedelta(hours=24)
    assert (
        times[-2] - FIRST_AT < schedule.DELIVERY_WINDOW <= times[-1] - FIRST_AT
    )
    assert max(gaps) <= dt.timedelta(minutes=66)
    assert len(times) > 60
