"""Management commands of the users service."""
