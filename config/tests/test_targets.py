import datetime as dt

import pytest
from django.utils import timezone

from config import bounds, targets


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Trip", "Trip"),
        ("  Trip to Rome ", "Trip to Rome"),
        ("x" * 100, "x" * 100),
    ],
)
def test_a_name_is_stored_stripped(name, stored):
    assert targets.name_parse(name) == stored


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * (bounds.NAME_MAX_LENGTH + 1)]
)
def test_a_blank_or_long_name_is_refused(name):
    with pytest.raises(targets.TargetError, match="1 to 100 characters"):
        targets.name_parse(name)


def test_a_date_from_today_on_is_kept_and_none_is_none():
    today = timezone.now().date()

    assert targets.date_check(today) == today
    assert targets.date_check(today + dt.timedelta(days=1)) is not None
    assert targets.date_check(None) is None


def test_a_date_already_past_is_refused():
    yesterday = timezone.now().date() - dt.timedelta(days=1)

    with pytest.raises(targets.TargetError) as caught:
        targets.date_check(yesterday)

    assert str(caught.value) == targets.DATE_RULE
