"""ASGI entry point of the integration service: HTTP and WebSocket.

HTTP goes to Django as under WSGI (each request's sync view runs in its own
thread). WebSocket goes to the live events of savings groups,
``ws/groups/<id>/`` (``integration.realtime``). No origin check: a socket
is authenticated by the access token it presents, never by cookies, so a
page on another site gains nothing by opening one.

uvicorn logs each request's and each handshake's URL, query string
included: the filter masks a ``?token=`` access token there (its
``uvicorn.access`` and ``uvicorn.error`` loggers).

The routes are named by dotted path, as ``urls.py`` does: config never
imports a service app. Django is set up (``get_asgi_application``) before
they are loaded, since they import the gateway's code.
"""

import os

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application
from django.utils.module_loading import import_string

from config.log_filters import redact_query_tokens

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.integration.settings")
http_application = get_asgi_application()
redact_query_tokens("uvicorn.access", "uvicorn.error")

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": URLRouter(
            import_string("integration.realtime.websocket_urlpatterns")
        ),
    }
)
