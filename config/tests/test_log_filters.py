"""The access token of a WebSocket URL never reaches a log line."""

import importlib
import logging

import pytest

from config import log_filters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/ws/groups/1/?token=eyJ.abc-_.sig",
            "/ws/groups/1/?token=[redacted]",
        ),
        ("/x?a=1&token=t0k&b=2", "/x?a=1&token=[redacted]&b=2"),
        ('"WebSocket /x?token=abc" 403', '"WebSocket /x?token=[redacted]" 403'),
        ("/x?notatoken=keep&mytoken=keep", "/x?notatoken=keep&mytoken=keep"),
        ("/api/v1/goals", "/api/v1/goals"),
    ],
)
def test_redact_query_token(text, expected):
    assert log_filters.redact_query_token(text) == expected


def test_a_record_is_redacted_and_still_logged(caplog):
    logger = logging.getLogger("test.redaction")
    log_filters.redact_query_tokens("test.redaction")
    log_filters.redact_query_tokens("test.redaction")  # idempotent
    assert len(logger.filters) == 1
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info(
            '%s - "WebSocket %s" %d', "127.0.0.1:5", "/ws/?token=secret", 403
        )
        logger.info("GET /ws/?token=secret2 in the message itself")
        logger.info("%(path)s", {"path": "/ws/?token=secret3"})
    text = caplog.text
    assert "secret" not in text
    assert '"WebSocket /ws/?token=[redacted]" 403' in text
    assert "GET /ws/?token=[redacted] in the message" in text
    logger.filters.clear()


def test_the_gateway_asgi_app_masks_uvicorn_loggers():
    asgi = importlib.import_module("config.integration.asgi")
    for name in ("uvicorn.access", "uvicorn.error"):
        filters = logging.getLogger(name).filters
        assert any(
            isinstance(f, log_filters.QueryTokenRedactingFilter)
            for f in filters
        ), name
    assert asgi.application is not None


def test_a_record_without_text_or_arguments_passes_unchanged():
    message = ValueError("not a string")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, message, None, None
    )
    assert log_filters.QueryTokenRedactingFilter().filter(record) is True
    assert (record.msg, record.args) == (message, None)
