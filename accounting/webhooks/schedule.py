"""When a failed webhook is tried again, and when it is given up.

The product promises that a receiver down for hours loses nothing. Retries
wait 30 s after the first failure, then twice as long each time up to one
hour (30 s, 1 min, 2 min, ... 32 min, then hourly), for 72 hours after the
first attempt. The back-off reaches its hourly pace about an hour in, so
the window holds at least 60 hourly attempts: three times the 24 h of
retries promised (a receiver down over a weekend still gets everything),
and one that comes back up gets its events within 66 minutes. A random
+/-10% on each delay keeps the retries of the many events that failed
together (an outage) from all arriving together when it ends.
"""

import datetime as dt
import random
from typing import Protocol

FIRST_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=1)
JITTER = 0.1
DELIVERY_WINDOW = dt.timedelta(hours=72)

# Doublings after which FIRST_DELAY is past MAX_DELAY (30 s * 2**7 > 1 h);
# capping the exponent keeps a huge attempt number cheap.
_MAX_DOUBLINGS = 7


class Uniform(Protocol):
    """A source of jitter: ``random`` itself, or a seeded ``Random``."""

    def uniform(self, a: float, b: float) -> float:
        """Returns a number between ``a`` and ``b``."""


def retry_delay(attempt: int, *, rng: Uniform = random) -> dt.timedelta:
    """Returns how long to wait after a failed attempt before the next.

    Args:
        attempt: How many attempts have failed so far (1 after the first).
        rng: The jitter's source (a seeded ``Random`` in tests).

    Returns:
        30 s doubling with each attempt up to 1 h, each +/-10%.

    Raises:
        ValueError: ``attempt`` is below 1.
    """
    if attempt < 1:
        raise ValueError("An attempt number starts at 1.")
    doublings = min(attempt - 1, _MAX_DOUBLINGS)
    delay = min(FIRST_DELAY * 2**doublings, MAX_DELAY)
    return delay * rng.uniform(1 - JITTER, 1 + JITTER)


def gives_up(*, first_at: dt.datetime, now: dt.datetime) -> bool:
    """Tells whether a delivery first tried at ``first_at`` is abandoned.

    A failed attempt at ``now`` is retried unless this is true.

    Args:
        first_at: When the event's first attempt was made.
        now: When the latest attempt failed.

    Returns:
        True once :data:`DELIVERY_WINDOW` has passed since ``first_at``.
    """
    return now - first_at >= DELIVERY_WINDOW
