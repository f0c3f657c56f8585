"""Request rates as settings and staff write them: ``"300/min"``.

The gateway counts each client against a rate (``integration.limits``);
a partner's API key may carry its own, set by staff in accounting's admin,
which checks it with the same parser the gateway reads it with.
"""

import dataclasses

from django.core.exceptions import ImproperlyConfigured

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclasses.dataclass(frozen=True)
class Rate:
    """A quota of requests per window of seconds."""

    quota: int
    window: int


def parse_rate(text: str) -> Rate:
    """Parses ``"300/min"`` (``s``, ``min``, ``hour``, ``day``).

    Args:
        text: The rate, as the settings write it.

    Returns:
        The rate.

    Raises:
        ImproperlyConfigured: Not a rate.
    """
    count, _, period = text.partition("/")
    if not count.isdigit() or int(count) < 1 or period[:1] not in _PERIODS:
        raise ImproperlyConfigured(f"Not a rate: {text!r}")
    return Rate(quota=int(count), window=_PERIODS[period[0]])
