"""Each overlay rendered once per session by ``kubectl kustomize``."""

import pytest

from tests.deploy import manifests


@pytest.fixture(params=manifests.OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    """Each overlay's name in turn."""
    return request.param


@pytest.fixture
def docs(overlay: str) -> list[manifests.Doc]:
    """The overlay's rendered documents (a fresh copy per test)."""
    return manifests.render(overlay)


@pytest.fixture
def dev() -> list[manifests.Doc]:
    """The dev overlay's documents."""
    return manifests.render("dev")


@pytest.fixture
def prod() -> list[manifests.Doc]:
    """The prod overlay's documents."""
    return manifests.render("prod")
