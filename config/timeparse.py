"""RFC 3339 instants, as the public API accepts them.

A full timestamp must carry an offset or ``Z`` (fractions of a second of
any length are kept to the microsecond, truncated); a bare date stands for the
whole UTC day (its first instant as a range start, its last as a range end).
Query strings often turn the ``+`` of an offset into a space, so
``2026-11-21T10:00:00 01:00`` is read as ``+01:00``.
"""

import datetime as dt
import re

_INSTANT = re.compile(
    r"\A(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<offset>[Zz]|[+\- ]\d{2}:\d{2}))?\Z"
)


class InstantError(ValueError):
    """A value that is not an RFC 3339 instant with an offset."""


def parse_instant(value: str, *, end_of_day: bool = False) -> dt.datetime:
    """Parses an RFC 3339 timestamp or a date into an aware UTC datetime.

    Args:
        value: ``2026-11-21T10:00:00Z``, ``...+01:00`` or ``2026-11-21``.
        end_of_day: For a bare date, return the day's last microsecond
            instead of its first.

    Returns:
        The instant in UTC.

    Raises:
        InstantError: The value is not of that form or not a real date.
    """
    match = _INSTANT.match(value) if isinstance(value, str) else None
    if match is None:
        raise InstantError(
            f"Expected an RFC 3339 timestamp with an offset or a date, "
            f"got {value!r}."
        )
    try:
        day = dt.date.fromisoformat(match["date"])
        if match["time"] is None:
            start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            if end_of_day:
                return start.replace(hour=23, minute=59, second=59) + (
                    dt.timedelta(microseconds=999_999)
                )
            return start
        offset = match["offset"].upper().replace(" ", "+")
        offset = "+00:00" if offset == "Z" else offset
        # RFC 3339 allows any precision; keep microseconds (truncated).
        fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
        instant = dt.datetime.fromisoformat(
            f"{match['date']}T{match['time']}.{fraction}{offset}"
        )
        # In UTC, year 1 at +14:00 or year 9999 at -14:00 is out of range.
        return instant.astimezone(dt.UTC)
    except (ValueError, OverflowError) as error:
        raise InstantError(f"Not a valid instant: {value!r}.") from error


def format_instant(instant: dt.datetime) -> str:
    """Formats an aware datetime as RFC 3339 in UTC with a ``Z``."""
    text = instant.astimezone(dt.UTC).isoformat()
    return text.replace("+00:00", "Z")
