"""ASGI entry point of the accounting service."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.accounting.settings")
application = get_asgi_application()
