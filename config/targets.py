"""What savings are named and aimed by: a name and a target date.

A goal, a group and a plan each have a name (stripped, not blank, at most
:data:`bounds.NAME_MAX_LENGTH` characters); a goal and a group may aim
for a date, which cannot already be past: a date behind us could only
ever be missed. The gateway and accounting judge both with these
functions, so both edges accept or refuse alike.
"""

import datetime as dt

from django.utils import timezone

from config import bounds

NAME_RULE = (
    f"A name has 1 to {bounds.NAME_MAX_LENGTH} characters once stripped."
)
DATE_RULE = "A target date is today (UTC) or later."


class TargetError(ValueError):
    """A name or a target date that breaks its rule (the message says)."""


def name_parse(name: str) -> str:
    """Returns the name stripped.

    Raises:
        TargetError: Blank or too long once stripped.
    """
    name = name.strip()
    if not name or len(name) > bounds.NAME_MAX_LENGTH:
        raise TargetError(NAME_RULE)
    return name


def date_check(day: dt.date | None) -> dt.date | None:
    """Returns the date, or None for none.

    Raises:
        TargetError: The date is before today (UTC).
    """
    if day is not None and day < timezone.now().date():
        raise TargetError(DATE_RULE)
    return day
