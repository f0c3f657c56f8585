"""Tracing with OpenTelemetry, one setting away: ``OTEL_ENABLED=1``.

Off by default, and then nothing of OpenTelemetry is even imported: a
process pays nothing for tracing it does not do. On, every process of the
service traces Django's requests, Celery's tasks (sent and run),
psycopg's statements and the gateway's calls to users and accounting
(httpx, whose spans pass the trace on in ``traceparent``), and exports
the spans with OTLP over HTTP, configured by the standard variables
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``, ...). The service is
named after ``settings.SERVICE_NAME`` unless ``OTEL_SERVICE_NAME`` says
otherwise.

Each request's and each task's span carries the request id (attribute
``request.id``, :data:`ATTRIBUTE`): from a log line to its trace and back.

Called where a process starts, before Django loads its middleware: the
services' ``wsgi.py``, the gateway's ``asgi.py`` and ``config.celery``.
"""

import os
from typing import Any

from django.conf import settings

from config import request_ids

ATTRIBUTE = "request.id"

# The instrumentors running in this process (for shutdown()).
_instrumentors: list[Any] = []


def _annotate_request(span: Any, request: Any, response: Any) -> None:
    """Puts the answered request id on a request's span (Django's hook)."""
    del request
    request_id = response.get(request_ids.HEADER)
    if request_id and span.is_recording():
        span.set_attribute(ATTRIBUTE, request_id)


def _annotate_task(**kwargs: Any) -> None:
    """Puts the running task's request id on its span (``task_prerun``)."""
    del kwargs
    from opentelemetry import trace  # noqa: PLC0415 (only when tracing)

    request_id = request_ids.current()
    span = trace.get_current_span()
    if request_id and span.is_recording():
        span.set_attribute(ATTRIBUTE, request_id)


def _default_provider(service: str) -> Any:
    """Returns the process's tracer provider, exporting with OTLP/HTTP."""
    from opentelemetry import trace  # noqa: PLC0415
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )
    from opentelemetry.sdk.resources import (  # noqa: PLC0415
        SERVICE_NAME,
        Resource,
    )
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
        BatchSpanProcessor,
    )

    attributes = (
        {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service}
    )
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def setup(*, service: str, tracer_provider: Any = None) -> bool:
    """Starts tracing this process if ``settings.OTEL_ENABLED`` says so.

    Args:
        service: The service's name, on its spans.
        tracer_provider: The provider to trace with (tests pass one with
            an in-memory exporter); by default one exporting with OTLP.

    Returns:
        Whether tracing is on.
    """
    if not settings.OTEL_ENABLED:
        return False
    if _instrumentors:
        return True
    # Only imported when tracing is on.
    from celery import signals  # noqa: PLC0415
    from opentelemetry.instrumentation.celery import (  # noqa: PLC0415
        CeleryInstrumentor,
    )
    from opentelemetry.instrumentation.django import (  # noqa: PLC0415
        DjangoInstrumentor,
    )
    from opentelemetry.instrumentation.httpx import (  # noqa: PLC0415
        HTTPXClientInstrumentor,
    )
    from opentelemetry.instrumentation.psycopg import (  # noqa: PLC0415
        PsycopgInstrumentor,
    )

    provider = tracer_provider or _default_provider(service)
    django = DjangoInstrumentor()
    django.instrument(tracer_provider=provider, response_hook=_annotate_request)
    instrumentors = [django]
    for instrumentor in (
        CeleryInstrumentor(),
        PsycopgInstrumentor(),
        HTTPXClientInstrumentor(),
    ):
        instrumentor.instrument(tracer_provider=provider)
        instrumentors.append(instrumentor)
    # After Celery's instrumentor: its span is current when this runs.
    signals.task_prerun.connect(
        _annotate_task, weak=False, dispatch_uid="tracing.request_id"
    )
    _instrumentors.extend(instrumentors)
    return True


def shutdown() -> None:
    """Stops tracing this process (tests; a process simply exits)."""
    from celery import signals  # noqa: PLC0415

    signals.task_prerun.disconnect(dispatch_uid="tracing.request_id")
    while _instrumentors:
        _instrumentors.pop().uninstrument()
