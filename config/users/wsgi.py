"""WSGI entry point of the users service (traced when OTEL_ENABLED=1)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config import tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.users.settings")
# Before Django loads its middleware: tracing adds its own (when on).
tracing.setup(service=settings.SERVICE_NAME)
application = get_wsgi_application()
