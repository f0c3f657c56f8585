"""What every log line of every process looks like, and its request id.

``LOG_FORMAT`` chooses: ``json`` in the real stack (containers,
Kubernetes), one JSON object per line with ``time``, ``level``,
``logger``, ``message``, ``request_id``, ``service`` and, when there is
one, ``exception``, so a log store can find every line of one request;
``text``, the embedded default's (``make run``), the readable line it
always was with the id in brackets.

:class:`RequestIdFilter` sits on the handlers, so every record that
reaches them gets a ``request_id``, whichever logger it came from: the
request being served (``config.request_ids``), or ``-`` when none is.
gunicorn writes its access line after the request has ended; its record
holds the answer's headers, and the filter takes the id from there.

:func:`logging_dict` builds the ``logging.config.dictConfig`` of one
service: Django's ``LOGGING``, which :func:`configure` applies in every
process that loads the settings (web, Celery, commands), and gunicorn's
``logconfig_dict`` (``config/gunicorn_conf.py``), which formats
gunicorn's own lines before any Django code is loaded. This module imports
no Django and no Celery.
"""

import datetime as dt
import json
import logging
import logging.config
from collections.abc import Mapping
from typing import Any

from config import request_ids

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# gunicorn's access line (its default format) and the answer's id.
GUNICORN_ACCESS_FORMAT = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
    "%({x-request-id}o)s"
)
# gunicorn's record of an access: its arguments name each response header.
_ACCESS_HEADER_ATOM = "{%s}o" % request_ids.HEADER.lower()  # noqa: UP031
# The servers' own loggers: their lines are formatted as the services'.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
GUNICORN_LOGGERS = ("gunicorn.error", "gunicorn.access")


def _access_request_id(record: logging.LogRecord) -> str | None:
    """Returns the id of a gunicorn access record's answer, if it has one."""
    if record.name != "gunicorn.access" or not isinstance(record.args, Mapping):
        return None
    try:
        value = record.args[_ACCESS_HEADER_ATOM]
    except KeyError:
        return None
    return value if request_ids.well_formed(value) else None


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record; ``-`` outside any request."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Sets the record's id (one it already has is kept).

        Args:
            record: The record about to be handled.

        Returns:
            True: every record is logged.
        """
        if not hasattr(record, "request_id"):
            record.request_id = (
                request_ids.current()
                or _access_request_id(record)
                or request_ids.NONE
            )
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log stores.

    Args:
        service: The service whose processes write the lines.
    """

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        """Returns the record as one line of JSON (no raw newline in it)."""
        document: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_ids.NONE),
            "service": self.service,
        }
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, default=str)


def configure(config: Mapping[str, Any]) -> None:
    """Applies a logging configuration; Python's warnings become lines too.

    Django's ``LOGGING_CONFIG``: without it a warning (a deprecation, a
    library's complaint) is printed raw to stderr, the one line of a
    process that is not JSON.

    Args:
        config: A ``dictConfig`` (:func:`logging_dict`).
    """
    logging.config.dictConfig(dict(config))
    logging.captureWarnings(True)


def logging_dict(
    *,
    service: str,
    log_format: str,
    level: str,
    loggers: Mapping[str, Mapping[str, Any]] | None = None,
    gunicorn: bool = False,
) -> dict[str, Any]:
    """Returns the ``dictConfig`` of one service's processes.

    Args:
        service: The service's name, in every JSON line.
        log_format: ``json`` or ``text``.
        level: The root logger's level (``LOG_LEVEL``).
        loggers: Settings of other loggers (levels of chatty libraries).
        gunicorn: Also format gunicorn's own loggers (its
            ``logconfig_dict``).

    Returns:
        The configuration: one handler on stderr with the id filter, the
        chosen formatter, on the root logger and on the servers' loggers.

    Raises:
        ValueError: ``log_format`` is neither ``json`` nor ``text``.
    """
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    own = {"handlers": ["console"], "propagate": False}
    servers = SERVER_LOGGERS + (GUNICORN_LOGGERS if gunicorn else ())
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "text": {"format": TEXT_FORMAT},
            "json": {"()": JsonFormatter, "service": service},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            **{name: dict(own) for name in servers},
            **(loggers or {}),
        },
    }
