"""Operations: liveness, readiness, the docs and the landing page.

None of these needs a token. ``/readyz`` is what a load balancer asks before
sending traffic: the gateway is only useful when both services behind it
answer, so it asks their own ``/readyz`` and says which one is down.
"""

from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.generic import TemplateView
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import problems
from config.openapi import PROBLEM_MEDIA_TYPE, ProblemSerializer
from config.problems import Code
from integration import selectors
from integration.api.problems import STATUSES
from integration.api.schema import TAG_OPERATIONS
from integration.errors import ErrorCode


class _OperationsApi(APIView):
    """An endpoint for machines and operators: no token, no limit."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    rate_limit_scope = None


class HealthzApi(_OperationsApi):
    """GET /healthz: the process is alive (it checks nothing else)."""

    @extend_schema(
        operation_id="healthz",
        summary="Liveness",
        tags=[TAG_OPERATIONS],
        auth=[],
        responses={
            200: inline_serializer(
                "Health", fields={"status": serializers.CharField()}
            )
        },
    )
    def get(self, request: Request) -> Response:
        """Answers ``{"status": "ok"}``."""
        del request
        return Response({"status": selectors.READY})


class ReadyzApi(_OperationsApi):
    """GET /readyz: both services behind the gateway can serve."""

    @extend_schema(
        operation_id="readyz",
        summary="Readiness",
        description=(
            "200 when the users and accounting services are ready; else 503 "
            "`not_ready` with `checks` naming the one that is down."
        ),
        tags=[TAG_OPERATIONS],
        auth=[],
        responses={
            200: inline_serializer(
                "Readiness",
                fields={
                    "status": serializers.CharField(),
                    "checks": serializers.DictField(
                        child=serializers.CharField(),
                        help_text='{service: "ok" or a problem code}',
                    ),
                },
            ),
            (503, PROBLEM_MEDIA_TYPE): ProblemSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        """Asks users and accounting whether they are ready."""
        del request
        checks = selectors.service_readiness()
        down = [name for name, state in checks.items() if state != "ok"]
        if not down:
            return Response({"status": selectors.READY, "checks": checks})
        status = STATUSES[ErrorCode.NOT_READY]
        body = problems.problem_body(
            status=status,
            code=ErrorCode.NOT_READY,
            detail=f"Not ready: {', '.join(down)} unavailable.",
        )
        return Response(
            {**body, "checks": checks},
            status=status,
            content_type=PROBLEM_MEDIA_TYPE,
        )


# The docs pages fetch from the gateway only: their scripts, styles and
# the schema are its static files and its own answers. The browser then
# refuses whatever a bundle would fetch from elsewhere (ReDoc's footer
# shows Redocly's logo from their CDN): an offline machine waits on no
# DNS, and a reader's visit is told to nobody. The bundles' own set-up
# scripts and styles are inline, ReDoc's search runs in a blob: worker,
# Swagger UI draws its icons from data: URLs.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ]
)


class LocalAssetsOnlyMixin:
    """A docs page whose browser may load nothing from another origin."""

    def dispatch(
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> HttpResponse:
        """The page, with :data:`DOCS_CONTENT_SECURITY_POLICY`."""
        response = super().dispatch(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class SwaggerView(LocalAssetsOnlyMixin, SpectacularSwaggerView):
    """Swagger UI from the sidecar's local copy."""


class RedocView(LocalAssetsOnlyMixin, SpectacularRedocView):
    """ReDoc without the web fonts the stock page loads from Google.

    Nor Redocly's logo in its menu's footer, from their CDN: the page's
    policy refuses it, and ReDoc then leaves the image out.
    """

    template_name = "integration/redoc.html"


class LandingView(TemplateView):
    """GET /: a small HTML page pointing at the docs, health and admins."""

    template_name = "integration/landing.html"
    http_method_names = ["get", "head"]

    def get_context_data(self, **kwargs: object) -> dict:
        """Adds the links of the page."""
        return {
            **super().get_context_data(**kwargs),
            "users_admin_url": settings.USERS_ADMIN_URL,
            "accounting_admin_url": settings.ACCOUNTING_ADMIN_URL,
        }

    def http_method_not_allowed(
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> HttpResponse:
        """Answers a problem, like every other endpoint, not an empty 405."""
        del args, kwargs
        response = JsonResponse(
            problems.problem_body(
                status=HTTPStatus.METHOD_NOT_ALLOWED,
                code=Code.METHOD_NOT_ALLOWED,
                detail=f'Method "{request.method}" not allowed.',
            ),
            status=HTTPStatus.METHOD_NOT_ALLOWED,
            content_type=PROBLEM_MEDIA_TYPE,
        )
        response["Allow"] = ", ".join(
            method.upper() for method in self.http_method_names
        )
        return response
