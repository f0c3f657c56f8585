"""Requests are counted by route template, method and status."""

from django.http import HttpResponse
from django.test import RequestFactory

from config.idempotency.keys import REPLAYED_HEADER
from config.metrics import requests
from config.tests.metrics.support import value

REQUESTS = "savings_http_requests_total"
DURATION = "savings_http_request_duration_seconds_count"
REPLAYS = "savings_idempotent_replays_total"


def _count(route, method="GET", status="200"):
    return value(
        REQUESTS, service="gateway", route=route, method=method, status=status
    )


def test_a_request_is_counted_by_its_route_template(client):
    route = "api/v1/goals/<uuid:id>"
    before = _count(route, status="401")
    timed = value(DURATION, service="gateway", route=route, method="GET")
    client.get("/api/v1/goals/6d1f1a52-8d43-4c2b-9a37-6b1bb3c2a5a0")
    client.get("/api/v1/goals/0c7e7a0f-0e58-4a0e-8a0b-3f0b2d8c9e11")
    # Two ids, one series: the template, never the path.
    assert _count(route, status="401") == before + 2
    after = value(DURATION, service="gateway", route=route, method="GET")
    assert after == timed + 2


def test_a_path_no_route_matches_has_one_label(client):
    before = _count(requests.UNMATCHED, status="404")
    client.get("/wp-login.php")
    client.get("/metrics")
    assert _count(requests.UNMATCHED, status="404") == before + 2


def test_a_method_nobody_knows_is_other(client):
    before = _count("healthz", method="other", status="405")
    client.generic("BREW", "/healthz")
    assert _count("healthz", method="other", status="405") == before + 1


def test_an_answer_before_resolution_is_resolved_for_its_label():
    # A middleware that answers by itself (a 429) leaves no match.
    request = RequestFactory().get("/healthz")
    assert request.resolver_match is None
    assert requests.route_of(request) == "healthz"
    unknown = RequestFactory().get("/nowhere")
    assert requests.route_of(unknown) == requests.UNMATCHED


def test_a_replayed_answer_is_counted():
    def replayed(request):
        response = HttpResponse(status=201)
        response[REPLAYED_HEADER] = "true"
        return response

    def first(request):
        return HttpResponse(status=201)

    before = value(REPLAYS, service="gateway", route="healthz")
    request = RequestFactory().post("/healthz")
    requests.RequestMetricsMiddleware(replayed)(request)
    requests.RequestMetricsMiddleware(first)(request)
    assert value(REPLAYS, service="gateway", route="healthz") == before + 1
