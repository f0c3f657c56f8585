"""Management commands of the accounting service."""
