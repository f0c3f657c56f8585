"""Operations endpoints and the API docs, served with local assets only."""

import re
from urllib.parse import urljoin

import httpx
import pytest

pytestmark = pytest.mark.e2e

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def test_health_and_readiness(stack, api):
    assert httpx.get(f"{stack.origin}/healthz").status_code == 200
    ready = httpx.get(f"{stack.origin}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ok"


def test_openapi_schema_describes_the_public_api(stack):
    response = httpx.get(f"{stack.origin}/api/schema/", timeout=30)

    assert response.status_code == 200
    text = response.text
    assert text.startswith("openapi: 3") or '"openapi": "3' in text
    for path in ("/api/v1/credits", "/api/v1/balance", "/api/v1/auth/signup"):
        assert path in text


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_page_and_its_static_assets_load(stack, page):
    response = httpx.get(f"{stack.origin}{page}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assets = [
        urljoin(f"{stack.origin}{page}", ref)
        for ref in ASSET.findall(response.text)
        if not ref.startswith(("#", "data:"))
    ]
    scripts = [url for url in assets if url.endswith(".js")]
    assert scripts, "the page loads no script"
    for url in assets:
        assert url.startswith(stack.origin), f"{url} is not served locally"
        loaded = httpx.get(url)
        assert loaded.status_code == 200, url
        assert loaded.content, url
