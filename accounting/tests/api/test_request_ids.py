"""accounting takes the gateway's request id and answers with it."""

from django.test import Client

from config import request_ids
from config.testing import assert_problem

PLANS = "/internal/v1/plans"


def test_the_gateways_id_is_answered_and_in_the_problem():
    response = Client().get(PLANS, HTTP_X_REQUEST_ID="from-the-gateway")

    assert response["X-Request-ID"] == "from-the-gateway"
    assert response.json()["request_id"] == "from-the-gateway"
    assert_problem(response, 401, "not_authenticated")


def test_a_call_without_an_id_gets_one():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert request_ids.well_formed(response["X-Request-ID"])


def test_a_malformed_id_is_replaced():
    response = Client().get(PLANS, HTTP_X_REQUEST_ID="evil\x1b[2J")

    assert response["X-Request-ID"] != "evil\x1b[2J"
    assert response.json()["request_id"] == response["X-Request-ID"]
