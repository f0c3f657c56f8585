"""The webhook tests' real receiver (``receivers.receiver``)."""

from accounting.tests.webhooks.receivers import receiver  # noqa: F401
