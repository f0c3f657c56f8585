"""Django project of the users service."""
