"""The endpoint serving an internal API's OpenAPI schema.

users and accounting each serve theirs at ``/internal/v1/schema/``; only
the gateway (and the contract tests) read it, with the service credential.
"""

from collections.abc import Callable
from typing import Any

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView

from config.service_auth import IsService


def internal_schema_view() -> Callable[..., Any]:
    """Returns the view serving an internal API's OpenAPI schema.

    Only the gateway reads it, with the service credential. JSON unless
    YAML is asked for (``?format=yaml``, ``Accept: application/yaml``);
    ``Accept: application/json`` is answered too, not only the OpenAPI
    media types (``application/vnd.oai.openapi+json``).
    """
    return SpectacularAPIView.as_view(
        permission_classes=[IsService],
        renderer_classes=[
            OpenApiJsonRenderer,
            OpenApiJsonRenderer2,
            OpenApiYamlRenderer,
            OpenApiYamlRenderer2,
        ],
    )
