"""ASGI entry point of the accounting service."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from config import tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.accounting.settings")
tracing.setup(service=settings.SERVICE_NAME)
application = get_asgi_application()
