import datetime as dt

import pytest

from config import ranges

DAY = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
LATER = DAY + dt.timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("start", "end"),
    [(DAY, LATER), (DAY, DAY), (None, DAY), (DAY, None), (None, None)],
)
def test_a_range_in_order_or_open_is_ordered(start, end):
    assert ranges.ordered(start, end)


def test_a_range_that_ends_before_it_starts_is_not():
    assert not ranges.ordered(LATER, DAY)
