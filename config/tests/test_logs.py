"""Every log line carries the request id, as JSON or readable text."""

import importlib
import io
import json
import logging
import logging.config
import sys
import warnings

import pytest
from django.test import override_settings

from config import logs, request_ids


def _record(name="app", msg="hello %s", args=("world",), **extra):
    record = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def _filtered(record: logging.LogRecord) -> logging.LogRecord:
    assert logs.RequestIdFilter().filter(record) is True
    return record


def test_a_line_outside_any_request_says_dash():
    assert _filtered(_record()).request_id == "-"


def test_a_line_inside_a_request_carries_its_id():
    with request_ids.bound("req-1"):
        assert _filtered(_record()).request_id == "req-1"


def test_an_id_the_record_already_has_is_kept():
    with request_ids.bound("req-1"):
        assert _filtered(_record(request_id="given")).request_id == "given"


def _access_record(answer_id: str | None) -> logging.LogRecord:
    atoms = {"r": "GET / HTTP/1.1", "s": "200"}
    if answer_id is not None:
        atoms["{x-request-id}o"] = answer_id
    return _record("gunicorn.access", '"%(r)s" %(s)s', (atoms,))


def test_gunicorns_access_line_takes_the_answers_id():
    record = _filtered(_access_record("from-answer"))
    assert record.request_id == "from-answer"
    assert record.getMessage() == '"GET / HTTP/1.1" 200'


@pytest.mark.parametrize("answer_id", [None, "bad\nid"])
def test_an_access_line_without_a_usable_id_says_dash(answer_id):
    assert _filtered(_access_record(answer_id)).request_id == "-"


def test_only_gunicorns_access_records_are_read_for_an_id():
    record = _record("other", "%(x)s", ({"{x-request-id}o": "nope"},))
    assert _filtered(record).request_id == "-"


def _json_line(record: logging.LogRecord, service="users") -> dict:
    line = logs.JsonFormatter(service).format(_filtered(record))
    assert "\n" not in line
    return json.loads(line)


def test_a_json_line_has_every_field():
    record = _record(created=0)
    record.created = 1_700_000_000.123
    with request_ids.bound("req-9"):
        document = _json_line(record)

    assert document == {
        "time": "2023-11-14T22:13:20.123Z",
        "level": "INFO",
        "logger": "app",
        "message": "hello world",
        "request_id": "req-9",
        "service": "users",
    }


def test_a_json_line_holds_the_exception_on_one_line():
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        record = _record(msg="failed\nhere", args=None, exc_info=sys.exc_info())
    record.stack_info = "Stack (most recent call last):\n  frame"

    document = _json_line(record)

    assert document["message"] == "failed\nhere"
    assert document["exception"].startswith("Traceback")
    assert "ValueError: boom\nsecond line" in document["exception"]
    assert document["stack"].startswith("Stack")


def test_an_exception_already_formatted_is_kept():
    record = _record(exc_text="Traceback: earlier")
    assert _json_line(record)["exception"] == "Traceback: earlier"


def _configured(log_format: str, **kwargs) -> io.StringIO:
    """Applies a service's logging with its handler writing to a buffer."""
    config = logs.logging_dict(
        service="accounting", log_format=log_format, level="INFO", **kwargs
    )
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    return stream


@pytest.fixture
def _restore_logging():
    from django.conf import settings  # noqa: PLC0415

    yield
    logging.config.dictConfig(settings.LOGGING)


@pytest.mark.usefixtures("_restore_logging")
def test_json_logging_of_a_service_and_its_servers():
    stream = _configured(
        "json",
        # uvicorn sets its loggers' levels itself (a test server did).
        loggers={"noisy": {"level": "ERROR"}, "uvicorn": {"level": "INFO"}},
    )
    logging.getLogger("uvicorn.access").setLevel(logging.NOTSET)
    with request_ids.bound("req-5"):
        logging.getLogger("accounting.tasks").info("applied %d", 3)
        logging.getLogger("uvicorn.access").info("GET / 200")
        logging.getLogger("noisy").warning("hidden")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(x["logger"], x["message"], x["request_id"]) for x in lines] == [
        ("accounting.tasks", "applied 3", "req-5"),
        ("uvicorn.access", "GET / 200", "req-5"),
    ]
    assert {x["service"] for x in lines} == {"accounting"}


@pytest.mark.usefixtures("_restore_logging")
def test_text_logging_is_readable_with_the_id():
    stream = _configured("text")
    logging.getLogger("users.services").warning("not published")

    [line] = stream.getvalue().splitlines()
    assert line.endswith(" WARNING users.services [-] not published")


def test_gunicorns_loggers_are_named_only_for_gunicorn():
    plain = logs.logging_dict(service="x", log_format="text", level="INFO")
    served = logs.logging_dict(
        service="x", log_format="json", level="INFO", gunicorn=True
    )
    assert "gunicorn.access" not in plain["loggers"]
    assert served["loggers"]["gunicorn.access"] == {
        "handlers": ["console"],
        "propagate": False,
    }


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT must be json or text"):
        logs.logging_dict(service="x", log_format="xml", level="INFO")


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_gunicorns_settings_follow_log_format(log_format):
    with override_settings(LOG_FORMAT=log_format):
        conf = importlib.reload(importlib.import_module("config.gunicorn_conf"))
    assert conf.access_log_format.endswith("%({x-request-id}o)s")
    if log_format == "text":
        assert conf.logconfig_dict == {}
    else:
        handler = conf.logconfig_dict["handlers"]["console"]
        assert handler["formatter"] == "json"
        assert "gunicorn.error" in conf.logconfig_dict["loggers"]
    importlib.reload(conf)  # back to this run's settings


@pytest.mark.usefixtures("_restore_logging")
def test_configure_makes_pythons_warnings_log_lines():
    config = logs.logging_dict(service="users", log_format="json", level="INFO")
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.captureWarnings(False)  # as in a process that starts
    try:
        logs.configure(config)
        warnings.showwarning("careful", UserWarning, "lib.py", 7)
    finally:
        logging.captureWarnings(False)

    [line] = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert line["logger"] == "py.warnings"
    assert "lib.py:7: UserWarning: careful" in line["message"]
