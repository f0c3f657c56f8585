"""Liveness and readiness endpoints of the services that own a database.

``/healthz`` says the process serves requests (restart it if not);
``/readyz`` says it can do useful work, i.e. its database answers (send it
traffic only then). Both answer without a credential, so that load
balancers and orchestrators can call them.
"""

from typing import Any

from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import internal_problems
from config.problems import Code, outage

_STATUS = inline_serializer("Health", {"status": serializers.CharField()})
_READY = inline_serializer(
    "Ready",
    {"status": serializers.CharField(), "checks": serializers.DictField()},
)


class HealthzApi(APIView):
    """GET /healthz: the process answers."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(operation_id="healthz", responses={200: _STATUS})
    def get(self, request: Request) -> Response:
        """Returns ``{"status": "ok"}``."""
        del request
        return Response({"status": "ok"})


class ReadyzApi(APIView):
    """GET /readyz: the database answers."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        operation_id="readyz",
        responses={
            200: _READY,
            **internal_problems(
                {503: [Code.DATABASE_UNAVAILABLE]}, authenticated=False
            ),
        },
    )
    def get(self, request: Request) -> Response:
        """Runs ``SELECT 1``.

        Args:
            request: The request (unused).

        Returns:
            ``{"status": "ok", "checks": {"database": "ok"}}``.

        Raises:
            ProblemError: 503 ``database_unavailable``.
        """
        del request
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as error:
            raise outage(Code.DATABASE_UNAVAILABLE, "The database") from error
        return Response({"status": "ok", "checks": {"database": "ok"}})
