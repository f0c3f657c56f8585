import datetime as dt

import pytest

from config import timeparse

UTC = dt.UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-21T10:00:00Z", dt.datetime(2026, 11, 21, 10, tzinfo=UTC)),
        ("2026-11-21t10:00:00z", dt.datetime(2026, 11, 21, 10, tzinfo=UTC)),
        (
            "2026-11-21T10:00:00.123456+01:00",
            dt.datetime(2026, 11, 21, 9, 0, 0, 123456, tzinfo=UTC),
        ),
        # A "+" decoded to a space by a query string still means "+".
        ("2026-11-21T10:00:00 01:00", dt.datetime(2026, 11, 21, 9, tzinfo=UTC)),
        (
            "2026-11-21T10:00:00-02:30",
            dt.datetime(2026, 11, 21, 12, 30, tzinfo=UTC),
        ),
        ("2026-11-21", dt.datetime(2026, 11, 21, tzinfo=UTC)),
        (
            "2026-11-21T10:00:00.123456789Z",
            dt.datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC),
        ),
        (
            "2026-11-21T10:00:00.5Z",
            dt.datetime(2026, 11, 21, 10, 0, 0, 500000, tzinfo=UTC),
        ),
    ],
)
def test_parse_instant_reads_rfc3339_in_utc(value, expected):
    parsed = timeparse.parse_instant(value)
    assert parsed == expected
    assert parsed.tzinfo == UTC


def test_a_bare_date_as_end_of_range_is_the_last_instant_of_the_day():
    assert timeparse.parse_instant("2026-11-21", end_of_day=True) == (
        dt.datetime(2026, 11, 21, 23, 59, 59, 999999, tzinfo=UTC)
    )


def test_the_last_day_there_is_ends_without_overflowing():
    assert timeparse.parse_instant("9999-12-31", end_of_day=True) == (
        dt.datetime.max.replace(tzinfo=UTC)
    )


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-21T10:00:00",  # no offset
        "2026-11-21 10:00:00Z",
        "21/11/2026",
        "yesterday",
        "2026-13-01",
        "2026-02-30T10:00:00Z",
        "2026-11-21T25:00:00Z",
        "2026-11-21T10:00:00.Z",
        "2026-11-21T10:00:00+25:00",
        # Real instants, but out of range once in UTC.
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "",
        None,
        20261121,
    ],
)
def test_parse_instant_refuses_the_rest(value):
    with pytest.raises(timeparse.InstantError):
        timeparse.parse_instant(value)


def test_format_instant_is_utc_with_z():
    instant = dt.datetime(
        2026, 11, 21, 10, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )
    assert timeparse.format_instant(instant) == "2026-11-21T08:00:00.000005Z"
