"""Date and time formats of the admins (``FORMAT_MODULE_PATH``)."""
