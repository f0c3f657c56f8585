"""Django project of the integration service."""
