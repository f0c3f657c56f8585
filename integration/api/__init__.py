"""The public HTTP API of the gateway (``/api/v1`` and operations)."""
