"""How many random examples the property tests draw.

``make test`` draws the count written beside each test, to keep the whole
run within CI's time; ``make test-long`` sets ``PROPERTY_EXAMPLES_SCALE=4``
and draws four times as many.
"""

import os

SCALE = float(os.environ.get("PROPERTY_EXAMPLES_SCALE", "1"))


def examples(count: int) -> int:
    """Returns ``count`` scaled for this run (at least one)."""
    return max(1, round(count * SCALE))
