"""The metrics tests' environment: whatever they set is unset after them."""

import os
from collections.abc import Iterator

import pytest

from config.metrics import multiprocess


@pytest.fixture
def no_folder() -> Iterator[None]:
    """No ``PROMETHEUS_MULTIPROC_DIR`` now, and none left by the test.

    The code under test sets it itself (``monkeypatch.delenv`` of an unset
    variable would not remove what it sets): a leftover would put every
    later process started from the tests in multiprocess mode.
    """
    saved = os.environ.pop(multiprocess.VARIABLE, None)
    yield
    os.environ.pop(multiprocess.VARIABLE, None)
    if saved is not None:
        os.environ[multiprocess.VARIABLE] = saved
