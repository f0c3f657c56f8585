"""The gateway's request id: made or taken, answered, sent to the services."""

import logging

import pytest
from django.test import override_settings

from config import logs, request_ids
from config.testing import assert_problem
from integration.clients import Service
from integration.tests import factories

PLANS = "/internal/v1/plans"


@pytest.fixture
def plans(upstream):
    upstream.add(Service.ACCOUNTING, "GET", PLANS, json={"results": []})
    return upstream


def test_an_id_is_made_answered_and_sent_upstream(auth_api, plans):
    response = auth_api.get("/api/v1/plans")

    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert request_ids.well_formed(request_id)
    assert plans.last.request.headers["X-Request-ID"] == request_id
    # The next request has an id of its own.
    assert auth_api.get("/api/v1/plans")["X-Request-ID"] != request_id


def test_a_clients_id_is_ignored_unless_trusted(auth_api, plans):
    response = auth_api.get("/api/v1/plans", HTTP_X_REQUEST_ID="client-1")

    assert response["X-Request-ID"] != "client-1"
    assert (
        plans.last.request.headers["X-Request-ID"] == response["X-Request-ID"]
    )


@override_settings(REQUEST_ID_TRUSTED=True)
def test_a_trusted_proxys_id_is_taken_and_sent_upstream(auth_api, plans):
    response = auth_api.get("/api/v1/plans", HTTP_X_REQUEST_ID="edge-42")

    assert response["X-Request-ID"] == "edge-42"
    assert plans.last.request.headers["X-Request-ID"] == "edge-42"


@override_settings(REQUEST_ID_TRUSTED=True)
@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 129,
        "id\r\nSet-Cookie: x=1",
        "id\x07bell",
        "caf\u00e9",
        '"},{"level":"CRITICAL"',
    ],
    ids=["too-long", "crlf", "control", "non-ascii", "json"],
)
def test_a_hostile_id_is_replaced_never_a_5xx(auth_api, plans, hostile):
    response = auth_api.get("/api/v1/plans", HTTP_X_REQUEST_ID=hostile)

    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert request_id != hostile
    assert request_ids.well_formed(request_id)
    assert plans.last.request.headers["X-Request-ID"] == request_id


def test_a_problem_carries_the_answered_id(api):
    response = api.get("/api/v1/plans")

    body = response.json()
    assert body["request_id"] == response["X-Request-ID"]
    assert_problem(response, 401, "not_authenticated")


def test_an_unknown_url_carries_the_id_too(api):
    response = api.get("/no/such/page")

    assert response.json()["request_id"] == response["X-Request-ID"]


def test_a_services_problem_carries_the_gateways_id(auth_api, upstream):
    body = {
        **factories.problem(404, "plan_not_found", "No such plan."),
        "request_id": "what-accounting-said",
    }
    upstream.add(Service.ACCOUNTING, "GET", PLANS, status=404, json=body)

    response = auth_api.get("/api/v1/plans")

    relayed = response.json()
    assert relayed["request_id"] == response["X-Request-ID"]
    assert (
        relayed["request_id"] == (upstream.last.request.headers["X-Request-ID"])
    )
    assert {**relayed, "request_id": body["request_id"]} == body


def test_a_refusal_is_logged_once_with_its_id(api, caplog):
    caplog.handler.addFilter(logs.RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = api.get("/api/v1/plans")

    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Unauthorized: /api/v1/plans"
    assert record.request_id == response["X-Request-ID"]
