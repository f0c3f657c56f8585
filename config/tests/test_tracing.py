"""OpenTelemetry: off costs nothing; on, spans carry the request id."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, override_settings
from opentelemetry.sdk.resources import SERVICE_NAME
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind

from config import request_ids, tracing
from config.celery import app

REPO = settings.BASE_DIR


@app.task(name="tests.traced")
def traced() -> str | None:
    return request_ids.current()


# What tracing would import. (redis-py imports OpenTelemetry's metrics API
# by itself whenever it is installed: not ours to prevent.)
TRACING_MODULES = (
    "opentelemetry.instrumentation",
    "opentelemetry.exporter",
    "opentelemetry.sdk.trace",
)


def test_off_by_default_no_tracing_module_is_imported():
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["DJANGO_SETTINGS_MODULE"] = "config.integration.settings"
    code = (
        "import sys, json\n"
        "import config.integration.asgi, config.celery\n"
        "from config import tracing\n"
        "print(json.dumps([tracing.setup(service='gateway'), "
        f"sorted(m for m in sys.modules if m.startswith({TRACING_MODULES}))]))"
    )
    done = subprocess.run(  # noqa: S603 (this interpreter, our code)
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == [False, []]


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with override_settings(OTEL_ENABLED=True):
        assert tracing.setup(service="gateway", tracer_provider=provider)
        # Once per process: a second call changes nothing.
        assert tracing.setup(service="gateway", tracer_provider=provider)
        try:
            yield exporter
        finally:
            tracing.shutdown()
            provider.shutdown()


def test_a_request_span_carries_the_request_id(spans):
    response = Client().get("/healthz")

    assert response.status_code == 200
    [server] = [
        s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER
    ]
    assert server.attributes[tracing.ATTRIBUTE] == response["X-Request-ID"]
    assert server.attributes["http.route"] == "healthz"


def test_a_task_span_carries_the_request_id(spans):
    with request_ids.bound("req-traced"):
        assert traced.apply().get() == "req-traced"

    [run] = [s for s in spans.get_finished_spans() if s.name.startswith("run")]
    assert run.attributes[tracing.ATTRIBUTE] == "req-traced"


def test_after_shutdown_requests_are_not_traced():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with override_settings(OTEL_ENABLED=True):
        tracing.setup(service="gateway", tracer_provider=provider)
    tracing.shutdown()

    assert Client().get("/healthz").status_code == 200
    assert traced.apply().get()
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize(
    ("env_name", "expected"), [(None, "gateway"), ("edge", "edge")]
)
def test_the_default_provider_names_the_service(
    monkeypatch, env_name, expected
):
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    if env_name:
        monkeypatch.setenv("OTEL_SERVICE_NAME", env_name)
    provider = tracing._default_provider("gateway")
    try:
        assert provider.resource.attributes[SERVICE_NAME] == expected
    finally:
        provider.shutdown()


class _Span:
    def __init__(self, *, recording: bool) -> None:
        self.recording = recording
        self.attributes: dict[str, str] = {}

    def is_recording(self) -> bool:
        return self.recording

    def set_attribute(self, name: str, value: str) -> None:
        self.attributes[name] = value


@pytest.mark.parametrize(
    ("recording", "headers", "expected"),
    [
        (True, {"X-Request-ID": "r1"}, {tracing.ATTRIBUTE: "r1"}),
        (True, {}, {}),
        (False, {"X-Request-ID": "r1"}, {}),
    ],
)
def test_a_request_span_is_annotated_only_when_it_can_be(
    recording, headers, expected
):
    span = _Span(recording=recording)
    tracing._annotate_request(span, None, headers)
    assert span.attributes == expected


def test_a_task_span_outside_any_request_gets_no_id():
    provider = TracerProvider()
    with provider.get_tracer("t").start_as_current_span("run") as span:
        tracing._annotate_task(task_id="x")
        assert tracing.ATTRIBUTE not in span.attributes
        with request_ids.bound("r2"):
            tracing._annotate_task(task_id="x")
        assert span.attributes[tracing.ATTRIBUTE] == "r2"
