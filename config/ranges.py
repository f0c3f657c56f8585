"""A range of instants, ``from`` to ``to``: it may not end before it starts.

The gateway refuses a reversed range before it calls accounting, and
accounting refuses it again for its own callers (a report's ``to``
defaults to now there, so a ``from`` in the future is only seen there).
Both ends are inclusive: ``from == to`` is a range of one instant.
"""

import datetime as dt

# How both edges word the refusal (``invalid_range``).
MESSAGE = "`from` is after `to`."


def ordered(start: dt.datetime | None, end: dt.datetime | None) -> bool:
    """Tells whether a range is in order; an open end always is."""
    return start is None or end is None or start <= end
