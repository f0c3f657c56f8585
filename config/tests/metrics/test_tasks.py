"""Celery tasks are timed, their failures and retries counted."""

import pytest
from celery import Celery

import config.celery  # noqa: F401 (connects the handlers; resets logging)
from config.metrics import tasks
from config.tests.metrics.support import free_port, scrape, value

app = Celery("metrics-test")
_runs = {"flaky": 0}


@app.task(name="tests.metrics.ok")
def ok():
    return "done"


@app.task(name="tests.metrics.boom")
def boom():
    raise ValueError("boom")


@app.task(name="tests.metrics.flaky", bind=True, max_retries=1)
def flaky(self):
    _runs["flaky"] += 1
    if _runs["flaky"] == 1:
        raise self.retry(countdown=0)
    return "second time"


def _runs_of(name):
    return value("savings_celery_task_duration_seconds_count", task=name)


def test_a_task_is_timed():
    before = _runs_of("tests.metrics.ok")
    assert ok.apply().get() == "done"
    assert _runs_of("tests.metrics.ok") == before + 1
    assert (
        value("savings_celery_task_failures_total", task="tests.metrics.ok")
        == 0
    )


def test_a_failure_is_counted_and_timed():
    before = value(
        "savings_celery_task_failures_total", task="tests.metrics.boom"
    )
    with pytest.raises(ValueError, match="boom"):
        boom.apply().get()
    after = value(
        "savings_celery_task_failures_total", task="tests.metrics.boom"
    )
    assert after == before + 1
    assert _runs_of("tests.metrics.boom") >= 1


def test_a_retry_is_counted():
    before = value(
        "savings_celery_task_retries_total", task="tests.metrics.flaky"
    )
    assert flaky.apply().get() == "second time"
    after = value(
        "savings_celery_task_retries_total", task="tests.metrics.flaky"
    )
    assert after == before + 1


def test_an_end_without_a_start_is_not_timed():
    before = _runs_of("tests.metrics.ok")
    tasks._task_ended(task_id="never-started", task=ok)
    assert _runs_of("tests.metrics.ok") == before


def test_connecting_twice_connects_once():
    tasks.connect()
    before = _runs_of("tests.metrics.ok")
    ok.apply()
    assert _runs_of("tests.metrics.ok") == before + 1


def test_a_worker_serves_when_it_starts(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    port = free_port()
    monkeypatch.setenv("METRICS_PORT", str(port))
    tasks._serve(sender=None)
    ok.apply()
    samples = scrape(port)
    key = frozenset({("task", "tests.metrics.ok")})
    assert samples["savings_celery_task_duration_seconds_count", key] >= 1
