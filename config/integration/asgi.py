"""ASGI entry point of the integration service: HTTP and WebSocket.

HTTP goes to Django's WSGI handler, run on a pool of threads of this
process (a2wsgi, ``GATEWAY_THREADS`` of them: the most requests one process
serves at once). The gateway's views and middleware are synchronous;
Django's ASGI handler would run each request in a new thread and switch
between it and the event loop about six times, which cost more CPU than
the gateway's own work (``/healthz``: 1.4 ms of CPU a request, 0.6 ms
through the pool). WebSocket goes to the live events of savings groups,
``ws/groups/<id>/`` (``integration.realtime``). No origin check: a socket
is authenticated by the access token it presents, never by cookies, so a
page on another site gains nothing by opening one.

uvicorn logs each request's and each handshake's URL, query string
included: the filter masks a ``?token=`` access token there (its
``uvicorn.access`` and ``uvicorn.error`` loggers).

Its metrics are served on ``METRICS_PORT``, never on the public port
(:func:`config.metrics.multiprocess.uvicorn_serve`, before Django defines
them).

The routes are named by dotted path, as ``urls.py`` does: config never
imports a service app. Django is set up (``get_wsgi_application``) before
they are loaded, since they import the gateway's code.
"""

import os

from a2wsgi import WSGIMiddleware
from channels.routing import ProtocolTypeRouter, URLRouter
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

from config import tracing
from config.log_filters import redact_query_tokens
from config.metrics import multiprocess
from config.request_bodies import WholeBodyMiddleware
from config.request_id_middleware import AsgiRequestIdMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.integration.settings")
multiprocess.uvicorn_serve()
# Before Django loads its middleware: tracing adds its own (when on).
tracing.setup(service=settings.SERVICE_NAME)
# A thread takes a request only once its whole body has arrived.
http_application = WholeBodyMiddleware(
    WSGIMiddleware(get_wsgi_application(), workers=settings.GATEWAY_THREADS),
    max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    spooled=settings.SPOOLED_BODY_PATHS,
    max_spooling=settings.MAX_SPOOLING,
)
redact_query_tokens("uvicorn.access", "uvicorn.error")

# Every request and every socket gets its id first: what answers before
# Django (a refused body) and each socket's log lines carry it too.
application = AsgiRequestIdMiddleware(
    ProtocolTypeRouter(
        {
            "http": http_application,
            "websocket": URLRouter(
                import_string("integration.realtime.websocket_urlpatterns")
            ),
        }
    ),
    trusted=settings.REQUEST_ID_TRUSTED,
)
