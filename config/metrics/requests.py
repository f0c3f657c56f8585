"""Counts every HTTP request a service answers, by route template.

First in each service's ``MIDDLEWARE``, so that what the middleware below
answers by itself (a request limit's 429, a 304) is counted too. The route
is the URL pattern Django resolved (``api/v1/goals/<uuid:goal_id>``),
never the path: a label takes a bounded set of values, and ids in paths
would make a series per object. A path no pattern matches (a probe, a
static file) is :data:`UNMATCHED`.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from config.idempotency.keys import REPLAYED_HEADER
from config.metrics import definitions, pools

UNMATCHED = "<unmatched>"
# Any other method a client invents is counted as one label value.
METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
)
OTHER_METHOD = "other"


def route_of(request: HttpRequest) -> str:
    """Returns the request's route template, or :data:`UNMATCHED`.

    A middleware that answered before the URL was resolved (a 429) leaves
    no match on the request: the path is resolved here then.
    """
    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
    return match.route or UNMATCHED


class RequestMetricsMiddleware:
    """Times and counts requests; counts the answers that replay a key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.service = settings.SERVICE_NAME

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answers the request, then records it."""
        began = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - began
        route = route_of(request)
        method = request.method if request.method in METHODS else OTHER_METHOD
        definitions.HTTP_REQUESTS.labels(
            self.service, route, method, str(response.status_code)
        ).inc()
        definitions.HTTP_REQUEST_DURATION.labels(
            self.service, route, method
        ).observe(elapsed)
        if response.get(REPLAYED_HEADER) == "true":
            definitions.IDEMPOTENT_REPLAYS.labels(self.service, route).inc()
        pools.observe(self.service)
        return response
