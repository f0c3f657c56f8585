"""gunicorn's settings beyond its command line: its log lines are ours.

Named on the command line of users and accounting (the Procfile, the
containers) as ``-c python:config.gunicorn_conf``. gunicorn logs before
Django is loaded (its master never loads it), so its lines are formatted
here from the same settings: with ``LOG_FORMAT=json`` its error log and
its access log are JSON lines like the service's (``config.logs``); in
text it keeps its own readable lines. Either way its access line ends
with the answer's ``X-Request-ID``, and in JSON the line's ``request_id``
is that id.

Its hooks serve the workers' metrics from the master
(:mod:`config.metrics.gunicorn`).
"""

from django.conf import settings

from config import logs
from config.metrics import gunicorn as metrics_hooks

access_log_format = logs.GUNICORN_ACCESS_FORMAT
# Empty: gunicorn's own handlers and formats.
logconfig_dict = (
    logs.logging_dict(
        service=settings.SERVICE_NAME,
        log_format="json",
        level=settings.LOG_LEVEL,
        gunicorn=True,
    )
    if settings.LOG_FORMAT == "json"
    else {}
)

on_starting = metrics_hooks.on_starting
when_ready = metrics_hooks.when_ready
child_exit = metrics_hooks.child_exit
on_exit = metrics_hooks.on_exit
