"""Logging filters shared by the services.

Browsers' WebSocket API cannot send an ``Authorization`` header, so
clients of the gateway's live events may put their access token in the URL
(``/ws/groups/<id>/?token=...``). The ASGI server logs that URL with every
handshake; a bearer token in a log file is a credential anybody reading the
logs could replay until it expires. :class:`QueryTokenRedactingFilter`
masks it before any handler formats the record.
"""

import logging
import re

# The value of a ``token`` query parameter, up to the next separator.
_QUERY_TOKEN = re.compile(r"(?<=[?&]token=)[^&\s\"']+")
REDACTED = "[redacted]"


def redact_query_token(text: str) -> str:
    """Returns ``text`` with every ``token=`` query value masked.

    Args:
        text: A URL, or a log line holding one.

    Returns:
        The text, each value of a ``token`` parameter ``[redacted]``.
    """
    return _QUERY_TOKEN.sub(REDACTED, text)


class QueryTokenRedactingFilter(logging.Filter):
    """Masks ``?token=`` values in a record's message and arguments.

    It changes the record and always lets it through: the line is still
    logged, without the credential.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redacts the record in place.

        Args:
            record: The record about to be handled.

        Returns:
            True: the record is always logged.
        """
        if isinstance(record.msg, str):
            record.msg = redact_query_token(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):  # logger.info("%(x)s", {...})
            record.args = {
                key: _redacted(arg) for key, arg in record.args.items()
            }
        return True


def _redacted(arg: object) -> object:
    """Returns a log argument with its query tokens masked, if a string."""
    return redact_query_token(arg) if isinstance(arg, str) else arg


def redact_query_tokens(*logger_names: str) -> None:
    """Adds the redacting filter to loggers (once each).

    Args:
        *logger_names: Loggers whose records may carry a URL, such as
            uvicorn's ``uvicorn.access`` and ``uvicorn.error``.
    """
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(
            isinstance(f, QueryTokenRedactingFilter) for f in logger.filters
        ):
            logger.addFilter(QueryTokenRedactingFilter())
