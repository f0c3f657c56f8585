"""The request id rides with Celery tasks and is current while they run."""

import logging
import types

import pytest

from config import request_ids, task_request_ids
from config.celery import app, keep_service_logging

seen: list[str | None] = []


@app.task(name="tests.request_id_seen")
def request_id_seen() -> str | None:
    seen.append(request_ids.current())
    return request_ids.current()


@pytest.fixture(autouse=True)
def _fresh():
    seen.clear()


def test_a_task_sent_in_a_request_carries_its_id():
    headers: dict = {"id": "t1"}
    with request_ids.bound("req-1"):
        task_request_ids.send_request_id(headers=headers, body=None)
    assert headers == {"id": "t1", "request_id": "req-1"}


def test_an_id_already_in_the_headers_is_kept():
    headers = {"request_id": "event-writer"}
    with request_ids.bound("sweep"):
        task_request_ids.send_request_id(headers=headers)
    assert headers == {"request_id": "event-writer"}


def test_a_task_sent_outside_any_request_carries_none():
    headers: dict = {}
    task_request_ids.send_request_id(headers=headers)
    assert headers == {}


def _task(**request):
    return types.SimpleNamespace(request=types.SimpleNamespace(**request))


def test_a_run_takes_the_id_it_was_sent_with_then_gives_it_back():
    task_request_ids.bind_request_id(
        task_id="task-1", task=_task(request_id="req-7"), args=()
    )
    assert request_ids.current() == "req-7"
    task_request_ids.unbind_request_id(task_id="task-1")
    assert request_ids.current() is None


@pytest.mark.parametrize("sent", [None, "bad\r\nid", "x" * 500])
def test_a_run_without_a_usable_id_runs_under_its_task_id(sent):
    task = _task() if sent is None else _task(request_id=sent)
    task_request_ids.bind_request_id(task_id="0b8d5a12-7f0c", task=task)
    assert request_ids.current() == "0b8d5a12-7f0c"
    task_request_ids.unbind_request_id()


def test_a_postrun_without_its_prerun_changes_nothing():
    with request_ids.bound("outer"):
        task_request_ids.unbind_request_id(task_id="never-started")
        assert request_ids.current() == "outer"


def test_an_eager_run_in_a_request_keeps_the_requests_id():
    with request_ids.bound("req-eager"):
        result = request_id_seen.apply()
        assert request_ids.current() == "req-eager"
    assert result.get() == "req-eager"


def test_an_eager_run_outside_a_request_runs_under_its_task_id():
    result = request_id_seen.apply(
        task_id="5f0e3a44-2b1c-4f7e-9a55-0d9c1e2b3a4f"
    )
    assert seen == ["5f0e3a44-2b1c-4f7e-9a55-0d9c1e2b3a4f"]
    assert result.get() == seen[0]
    assert request_ids.current() is None


def test_celery_leaves_the_services_logging_alone():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        keep_service_logging(loglevel=logging.DEBUG, logfile=None)
        assert root.level == logging.DEBUG
        keep_service_logging(loglevel=None)
        assert root.level == logging.DEBUG
        assert root.handlers == handlers
    finally:
        root.setLevel(level)
