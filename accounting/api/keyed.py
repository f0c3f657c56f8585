"""Writes that take an Idempotency-Key: fingerprint and replay."""

from http import HTTPStatus
from typing import Any

from rest_framework.response import Response

from accounting import services
from config.idempotency import fingerprints
from config.idempotency import keys as idempotency_keys


def keyed_hash(operation: str, request: dict[str, Any]) -> str:
    """Returns the fingerprint of a keyed request, for its key.

    A holder's keys are shared by every endpoint that takes one (money
    movements, goals, groups), so the operation is part of the
    fingerprint: a key reused on another endpoint is a reuse even where
    the fields happen to match. ``request`` holds every field that changes
    the outcome, normalised (minor units, upper case currencies, ids as
    strings), so that equivalent bodies (``"5"`` and ``"5.00"``) hash the
    same.
    """
    return fingerprints.request_hash({"operation": operation, **request})


def keyed_response(result: services.KeyedResult) -> Response:
    """Renders a keyed write's result: 201, a replay saying so in a header.

    Every keyed write creates something, so a replay answers the first
    answer's status too.
    """
    headers = idempotency_keys.replayed_headers(result.replayed)
    return Response(result.body, status=HTTPStatus.CREATED, headers=headers)
