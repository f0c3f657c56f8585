"""Django project of the accounting service."""
