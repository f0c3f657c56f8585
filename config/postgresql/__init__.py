"""PostgreSQL backend of users and accounting (see :mod:`.base`)."""
