"""A sweep of hostile input over every operation of the public schema.

Each operation that reads a JSON body, and each that reads a query
string, is sent the shapes a fuzzer, an attacker or a buggy client sends.
Every one must be answered with a 4xx problem with a stable code, name the
offending member where there is one, and reach no service (so it changes
nothing). A partner operation is sent with a partner's key, which
accounting verifies: that call, and no other, reaches a service.
"""

import json
import uuid
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config.parsers import MAX_DEPTH
from config.testing import assert_problem

_ID = str(uuid.uuid4())
_METHODS_WITH_BODY = ("post", "put", "patch")
_VERIFY = "/internal/v1/partner-keys/verify"


# The public schema, as served (parametrising needs it at collection).
_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    """Returns (method, concrete path, operation) for every operation."""
    found = []
    for path, item in _SCHEMA["paths"].items():
        concrete = path.replace("{id}", _ID).replace("{delivery_id}", _ID)
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method, concrete, operation))
    return found


def _component(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = _SCHEMA["components"]["schemas"][name]
    return schema


def _request_schema(operation: dict[str, Any]) -> dict[str, Any]:
    """The request body's schema; of several shapes, all their members."""
    content = operation["requestBody"]["content"]["application/json"]
    schema = _component(content["schema"])
    if "oneOf" in schema:
        shapes = [_component(shape) for shape in schema["oneOf"]]
        return {
            "properties": {
                name: spec
                for shape in shapes
                for name, spec in shape["properties"].items()
            }
        }
    return schema


def _json_operations() -> list[Any]:
    return [
        pytest.param(found, id=f"{found[0]} {found[1]}")
        for found in _operations()
        if found[0] in _METHODS_WITH_BODY
        and "application/json"
        in found[2].get("requestBody", {}).get("content", {})
    ]


def _query_operations() -> list[Any]:
    return [
        pytest.param(found, id=f"{found[0]} {found[1]}")
        for found in _operations()
        if any(p["in"] == "query" for p in found[2].get("parameters", []))
    ]


@pytest.fixture
def caller(auth_api, partner_keys):
    """The client of an operation: a partner's key, or a user's token.

    The key holds every scope, so that what is refused is the input.
    """
    raw_key, _ = partner_keys.issue(scopes=["credits:write", "webhooks:manage"])
    partner_api = APIClient(raise_request_exception=False)
    partner_api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    def of(operation: dict[str, Any]) -> Any:
        partner = {"partnerKey": []} in operation.get("security", [])
        return partner_api if partner else auth_api

    return of


def _reached_no_service(upstream, operation: dict[str, Any]) -> None:
    """Asserts that no call but a partner key's verification was made."""
    partner = {"partnerKey": []} in operation.get("security", [])
    allowed = {_VERIFY} if partner else set()
    assert [s.path for s in upstream.sent if s.path not in allowed] == []


def _send(client, method: str, path: str, body: str, **extra: Any):
    content_type = extra.pop("content_type", "application/json")
    return getattr(client, method)(
        path, body, content_type=content_type, **extra
    )


_MALFORMED = {
    "nested 1,000 levels": '{"a": ' * 999 + "1" + "}" * 999,
    "nested past the limit": "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    "a key twice": '{"amount": "1.00", "amount": "2.00"}',
    "a lone surrogate": '{"kind": "\\ud800", "email": "\\udfff"}',
    "not JSON": "{'amount': 1}",
    "truncated": '{"amount": "1',
    "NaN": '{"amount": NaN}',
    "invalid UTF-8": b'{"a": "\xff\xfe"}',
}


@pytest.mark.parametrize("shape", list(_MALFORMED))
@pytest.mark.parametrize("endpoint", _json_operations())
def test_malformed_bodies_are_refused_before_any_service(
    caller, upstream, endpoint, shape
):
    method, path, operation = endpoint
    body = _MALFORMED[shape]
    response = getattr(caller(operation), method)(
        path, body, content_type="application/json"
    )

    assert_problem(response, 400, "malformed_json")
    _reached_no_service(upstream, operation)


@pytest.mark.parametrize(
    "body", ["[]", '"text"', "1", "null", "true", '[{"amount": "1.00"}]']
)
@pytest.mark.parametrize("endpoint", _json_operations())
def test_a_body_that_is_not_an_object_is_refused(
    caller, upstream, endpoint, body
):
    method, path, operation = endpoint
    response = _send(caller(operation), method, path, body)

    assert_problem(response, 400, "validation_error")
    _reached_no_service(upstream, operation)


@pytest.mark.parametrize("endpoint", _json_operations())
def test_unknown_members_are_refused_by_name(caller, upstream, endpoint):
    method, path, operation = endpoint
    body = {"date": "2026-01-01", "zzz unknown": 1}
    response = _send(caller(operation), method, path, json.dumps(body))

    problem = assert_problem(response, 400, response.json()["code"])
    assert problem["code"] in ("validation_error", "invalid_amount")
    assert set(body) <= set(problem["errors"])
    _reached_no_service(upstream, operation)


@pytest.mark.parametrize("endpoint", _json_operations())
def test_a_wrong_json_type_is_refused_for_every_text_member(
    caller, upstream, endpoint
):
    method, path, operation = endpoint
    properties = _request_schema(operation).get("properties", {})
    text = [
        name
        for name, spec in properties.items()
        if spec.get("type") == "string" and not spec.get("readOnly")
    ]
    for name in text:
        for wrong in (0, 12.5, True, ["x"], {"x": "y"}):
            response = _send(
                caller(operation), method, path, json.dumps({name: wrong})
            )

            problem = assert_problem(response, 400, response.json()["code"])
            assert name in problem["errors"], (name, wrong, problem)
    _reached_no_service(upstream, operation)


@pytest.mark.parametrize(
    "content_type",
    ["*/*", "application/*", "text/plain", "application/x-www-form-urlencoded"],
)
@pytest.mark.parametrize("endpoint", _json_operations())
def test_a_body_that_is_not_declared_json_is_unsupported(
    caller, upstream, endpoint, content_type
):
    method, path, operation = endpoint
    response = _send(
        caller(operation),
        method,
        path,
        '{"amount": "1.00"}',
        content_type=content_type,
    )

    assert_problem(response, 415, "unsupported_media_type")
    _reached_no_service(upstream, operation)


@pytest.mark.parametrize("endpoint", _query_operations())
def test_empty_repeated_and_unknown_query_parameters_are_refused(
    caller, upstream, endpoint
):
    method, path, operation = endpoint
    client = caller(operation)
    names = [p["name"] for p in operation["parameters"] if p["in"] == "query"]
    for name in names:
        for query in (f"{name}=", f"{name}=a&{name}=b"):
            response = getattr(client, method)(f"{path}?{query}")

            problem = assert_problem(response, 400, "validation_error")
            assert name in problem["errors"], (query, problem)
    response = getattr(client, method)(f"{path}?form=2026-01-01")
    problem = assert_problem(response, 400, "validation_error")
    assert "form" in problem["errors"]
    _reached_no_service(upstream, operation)


def _csv_operations() -> list[Any]:
    return [
        pytest.param(found, id=f"{found[0]} {found[1]}")
        for found in _operations()
        if "text/csv" in found[2].get("requestBody", {}).get("content", {})
    ]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "*/*",
        "text/*",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
    ],
)
@pytest.mark.parametrize("endpoint", _csv_operations())
def test_a_statement_not_declared_csv_is_unsupported(
    auth_api, upstream, endpoint, content_type
):
    method, path, _operation = endpoint
    response = _send(
        auth_api, method, path, "date,amount\n", content_type=content_type
    )

    assert_problem(response, 415, "unsupported_media_type")
    assert upstream.sent == []


def test_every_body_is_swept_as_json_or_as_a_statement():
    bodies = [
        (method, path)
        for method, path, operation in _operations()
        if "requestBody" in operation
    ]
    swept = [
        param.values[0][:2] for param in _json_operations() + _csv_operations()
    ]

    assert sorted(swept) == sorted(bodies)
    assert [param.values[0][1] for param in _csv_operations()] == [
        "/api/v1/imports"
    ]
