"""Health, readiness, the docs pages and the landing page."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from integration.clients import Service
from integration.tests import factories


def test_healthz_answers_without_upstream(api, upstream):
    api.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert upstream.sent == []


def _ready(upstream, service: Service, status: int = 200) -> None:
    body = (
        {"status": "ok"}
        if status == 200
        else factories.problem(status, "database_unavailable")
    )
    upstream.add(service, "GET", "/readyz", status=status, json=body)


def test_readyz_when_both_services_are_ready(api, upstream):
    _ready(upstream, Service.USERS)
    _ready(upstream, Service.ACCOUNTING)

    response = api.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"users": "ok", "accounting": "ok"},
    }
    assert sorted(sent.service for sent in upstream.sent) == [
        Service.ACCOUNTING,
        Service.USERS,
    ]


def test_readyz_says_which_service_is_down(api, upstream):
    _ready(upstream, Service.USERS)
    _ready(upstream, Service.ACCOUNTING, status=503)

    response = api.get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_ready"
    # The service's own outage code comes through.
    assert body["checks"] == {
        "users": "ok",
        "accounting": "database_unavailable",
    }
    assert body["detail"] == "Not ready: accounting unavailable."


def test_readyz_with_both_services_unreachable(api, settings, closed_url):
    settings.USERS_SERVICE_URL = closed_url
    settings.ACCOUNTING_SERVICE_URL = closed_url

    response = api.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "users": "upstream_unavailable",
        "accounting": "upstream_unavailable",
    }


def test_readyz_does_not_wait_for_a_hung_service(
    api, settings, upstream, silent_url
):
    _ready(upstream, Service.USERS)
    settings.READYZ_TIMEOUT = 0.2
    settings.ACCOUNTING_SERVICE_URL = silent_url  # rebuilds that client

    response = api.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["accounting"] == "upstream_timeout"


def _static_paths(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


@pytest.mark.parametrize(
    ("url", "asset"),
    [
        ("/api/docs/", "swagger-ui-bundle.js"),
        ("/api/redoc/", "redoc.standalone.js"),
    ],
)
def test_docs_use_local_assets_only(api, url, asset):
    response = api.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # The browser is told to fetch nothing from anywhere else either (what
    # a bundle would: ReDoc's logo from Redocly's CDN).
    policy = dict(
        directive.split(" ", 1)
        for directive in response["Content-Security-Policy"].split("; ")
    )
    assert policy["default-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert all("http" not in sources for sources in policy.values())
    html = response.content.decode()
    assert "http://" not in html
    assert "https://" not in html
    paths = _static_paths(html)
    assert any(path.endswith(asset) for path in paths)
    for path in paths:
        name = path.removeprefix("/static/")
        assert finders.find(name), f"{name} is not a local static file"
        assert api.get(path).status_code == 200


def test_schema_is_served(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Savings platform API"


def test_landing_page_links_docs_health_and_admins(api, settings):
    settings.USERS_ADMIN_URL = "http://users.example/admin/"
    settings.ACCOUNTING_ADMIN_URL = "http://accounting.example/admin/"

    response = api.get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    (template,) = response.templates
    folder = Path(settings.BASE_DIR) / "templates"
    assert Path(template.origin.name) == folder / "integration/landing.html"
    links = set(re.findall(r'href="([^"]+)"', response.content.decode()))
    assert links == {
        "/api/docs/",
        "/api/redoc/",
        "/api/schema/",
        "/healthz",
        "/readyz",
        "http://users.example/admin/",
        "http://accounting.example/admin/",
    }


def test_landing_page_refuses_other_methods_as_a_problem(api):
    response = api.post("/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["code"] == "method_not_allowed"
