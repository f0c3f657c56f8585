"""The schema documents ETag, If-None-Match and 304 on every read."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _reads(schema: dict) -> list[tuple[str, dict]]:
    return [
        (path, item["get"])
        for path, item in schema["paths"].items()
        if "get" in item and path.startswith("/api/v1/")
    ]


def test_every_read_of_the_api_takes_if_none_match_and_answers_304(schema):
    reads = _reads(schema)

    assert len(reads) >= 12
    for path, operation in reads:
        names = [p["name"] for p in operation["parameters"]]
        assert names.count("If-None-Match") == 1, path
        ok, not_modified = (
            operation["responses"][status] for status in ("200", "304")
        )
        assert "content" not in not_modified, path
        for headers in (ok["headers"], not_modified["headers"]):
            assert {"ETag", "Cache-Control", "Vary"} <= set(headers), path
        assert list(operation["responses"]) == sorted(operation["responses"])


def test_health_checks_are_not_conditional(schema):
    for path in ("/healthz", "/readyz"):
        assert "304" not in schema["paths"][path]["get"]["responses"]


def test_writes_take_no_if_none_match(schema):
    for path, item in schema["paths"].items():
        for method in ("post", "put", "patch", "delete"):
            if method in item:
                parameters = item[method].get("parameters", [])
                assert "If-None-Match" not in [p["name"] for p in parameters]
                assert "304" not in item[method]["responses"], (path, method)


def test_no_optional_parameter_has_an_example_a_try_out_would_send(schema):
    """Swagger UI fills a parameter with its example and sends it.

    A made-up ETag or instant sent by "Try it out" answers something else
    than the client asked for (``GET /balance`` at an example instant is
    zeros); a default says what leaving the parameter out means, and may
    stay.
    """
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("required"):
                    continue
                shown = (path, method, parameter["name"])
                assert "example" not in parameter, shown
                assert "examples" not in parameter, shown
                assert "example" not in parameter["schema"], shown
