"""WSGI entry point of the accounting service."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.accounting.settings")
application = get_wsgi_application()
