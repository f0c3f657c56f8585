"""The OpenAPI schema describes exactly the public contract (API.md)."""

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

CONTRACT = {
    "/api/v1/auth/signup": {"post"},
    "/api/v1/auth/token": {"post"},
    "/api/v1/auth/token/refresh": {"post"},
    "/api/v1/me": {"get", "patch", "delete"},
    "/api/v1/plans": {"get"},
    "/api/v1/me/plan": {"get", "put"},
    "/api/v1/accounts": {"get"},
    "/api/v1/credits": {"post"},
    "/api/v1/balance": {"get"},
    "/api/v1/transactions": {"get"},
    "/api/v1/transactions/{id}": {"get"},
    "/healthz": {"get"},
    "/readyz": {"get"},
}
PUBLIC = {
    "/api/v1/auth/signup",
    "/api/v1/auth/token",
    "/api/v1/auth/token/refresh",
    "/healthz",
    "/readyz",
}
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _codes(operation: dict, status: str) -> set[str]:
    content = operation["responses"][status]["content"][PROBLEM]
    return {
        example["value"]["code"] for example in content["examples"].values()
    }


def test_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target)
    )
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_lists_exactly_the_contracts_paths_and_methods(schema):
    paths = {
        path: set(item) - {"parameters"}
        for path, item in schema["paths"].items()
    }
    assert paths == CONTRACT


def test_operations_have_ids_and_one_of_the_four_tags(schema):
    ids = [op["operationId"] for _, _, op in _operations(schema)]
    assert len(ids) == len(set(ids))
    for _, _, operation in _operations(schema):
        assert len(operation["tags"]) == 1
        assert operation["tags"][0] in {
            "Identity",
            "Plans",
            "Money",
            "Operations",
        }
    assert [tag["name"] for tag in schema["tags"]] == [
        "Identity",
        "Plans",
        "Money",
        "Operations",
    ]


def test_security_is_bearer_jwt_except_public_endpoints(schema):
    assert schema["components"]["securitySchemes"] == {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }
    }
    for path, _, operation in _operations(schema):
        expected = [] if path in PUBLIC else [{"bearerAuth": []}]
        assert operation.get("security", []) == expected, path


def test_every_error_is_a_problem_with_its_codes(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {
        "type",
        "title",
        "status",
        "detail",
        "code",
    }
    for path, method, operation in _operations(schema):
        errors = {s: r for s, r in operation["responses"].items() if s >= "400"}
        assert errors or path == "/healthz", (path, method)
        for status, response in errors.items():
            content = response["content"]
            assert list(content) == [PROBLEM], (path, method, status)
            assert content[PROBLEM]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }


def test_documents_the_codes_of_each_endpoint(schema):
    credit = schema["paths"]["/api/v1/credits"]["post"]
    assert _codes(credit, "400") >= {
        "invalid_amount",
        "unsupported_currency",
        "malformed_json",
        "invalid_idempotency_key",
    }
    assert _codes(credit, "401") == {
        "not_authenticated",
        "invalid_token",
        "user_inactive",
    }
    assert _codes(credit, "409") == {
        "account_not_ready",
        "idempotency_key_in_flight",
    }
    assert _codes(credit, "422") >= {
        "amount_not_above_flat_amount",
        "idempotency_key_reused",
    }
    assert _codes(credit, "413") == {"payload_too_large"}
    assert _codes(credit, "415") == {"unsupported_media_type"}
    for status, code in (
        ("502", "bad_gateway"),
        ("503", "upstream_unavailable"),
        ("504", "upstream_timeout"),
    ):
        assert _codes(credit, status) == {code}
    signup = schema["paths"]["/api/v1/auth/signup"]["post"]
    assert "email_taken" in _codes(signup, "409")
    assert _codes(signup, "429") == {"rate_limited"}
    token = schema["paths"]["/api/v1/auth/token"]["post"]
    assert _codes(token, "401") == {"invalid_credentials"}
    plan = schema["paths"]["/api/v1/me/plan"]["put"]
    assert _codes(plan, "404") == {"plan_not_found"}
    detail = schema["paths"]["/api/v1/transactions/{id}"]["get"]
    assert _codes(detail, "404") == {"transaction_not_found", "not_found"}
    listing = schema["paths"]["/api/v1/transactions"]["get"]
    assert {"invalid_range", "invalid_cursor"} <= _codes(listing, "400")


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/v1/auth/signup", "post"), ("/api/v1/credits", "post")],
)
def test_money_and_signup_take_an_idempotency_key(schema, path, method):
    operation = schema["paths"][path][method]
    headers = {
        p["name"]: p for p in operation["parameters"] if p["in"] == "header"
    }
    key = headers["Idempotency-Key"]
    assert not key.get("required", False)
    assert key["schema"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[ -~]+$",
    }
    replayed = operation["responses"]["201"]["headers"]["Idempotent-Replayed"]
    assert replayed["schema"] == {"type": "string", "enum": ["true"]}


def test_idempotency_key_only_where_it_applies(schema):
    for path, method, operation in _operations(schema):
        names = {p["name"] for p in operation.get("parameters", [])}
        expected = (path, method) in {
            ("/api/v1/auth/signup", "post"),
            ("/api/v1/credits", "post"),
        }
        assert ("Idempotency-Key" in names) == expected, path


def test_credit_and_signup_have_examples(schema):
    for path in ("/api/v1/credits", "/api/v1/auth/signup"):
        operation = schema["paths"][path]["post"]
        request = operation["requestBody"]["content"]["application/json"]
        assert request["examples"]
        response = operation["responses"]["201"]["content"]["application/json"]
        assert response["examples"]
    credit = schema["paths"]["/api/v1/credits"]["post"]["responses"]["201"]
    assert "Idempotent-Replayed" in credit["headers"]


def test_query_parameters(schema):
    def names(path: str) -> set[str]:
        operation = schema["paths"][path]["get"]
        return {
            p["name"] for p in operation["parameters"] if p["in"] == "query"
        }

    assert names("/api/v1/transactions") == {
        "from",
        "to",
        "kind",
        "currency",
        "limit",
        "cursor",
        "order",
    }
    assert names("/api/v1/balance") == {"at", "currency"}


def test_amounts_are_decimal_strings(schema):
    components = schema["components"]["schemas"]
    for name, field in (("Balance", "total"), ("Account", "balance")):
        prop = components[name]["properties"][field]
        assert (prop["type"], prop["format"]) == ("string", "decimal")
    assert set(components["TransactionPage"]["properties"]) == {
        "results",
        "next",
    }


def test_request_amounts_are_decimal_strings_or_numbers(schema):
    amount = schema["components"]["schemas"]["CreditRequest"]["properties"][
        "amount"
    ]
    string, number = amount["oneOf"]
    assert string["type"] == "string"
    assert re.fullmatch(string["pattern"].strip("^$"), "100.50")
    assert not re.fullmatch(string["pattern"].strip("^$"), "1e3")
    assert (number["type"], number["maximum"]) == ("number", 1_000_000_000)
    assert number["exclusiveMinimum"] is True


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/balance", "at"),
        ("/api/v1/transactions", "from"),
        ("/api/v1/transactions", "to"),
    ],
)
def test_instants_in_queries_may_be_dates(schema, path, name):
    (parameter,) = [
        p
        for p in schema["paths"][path]["get"]["parameters"]
        if p["name"] == name
    ]
    assert parameter["schema"]["oneOf"] == [
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
    ]


def test_response_shapes(schema):
    components = schema["components"]["schemas"]

    def shape(name: str) -> tuple[set[str], set[str]]:
        component = components[name]
        return set(component["properties"]), set(component.get("required", []))

    user = {"id", "email", "first_name", "last_name", "date_joined"}
    assert shape("User") == (user, user)
    tokens = {"access", "refresh", "token_type", "expires_in"}
    assert shape("Tokens") == (tokens, tokens)
    assert shape("RefreshedTokens") == (tokens, tokens - {"refresh"})
    assert components["TokenTypeEnum"]["enum"] == ["Bearer"]
    plan = {"id", "name", "kind", "value", "currency", "description"}
    assert shape("Plan") == (plan, plan)
    selection = {"plan", "selected_at"}
    assert shape("PlanSelection") == (selection, selection)
    account = {"id", "kind", "currency", "balance"}
    assert shape("Account") == (account, account)
    page = {"results", "next"}
    for name in ("PlanList", "AccountList", "TransactionPage"):
        assert shape(name) == (page, page), name
        assert components[name]["properties"]["next"]["nullable"] is True
    credit = {"transaction", "balances"}
    assert shape("CreditResult") == (credit, credit)
    balance = {"at", "currency", "main", "savings", "total"}
    assert shape("Balance") == (balance, balance)
    transaction = {
        "id",
        "kind",
        "amount",
        "currency",
        "occurred_at",
        "description",
        "source",
        "category",
        "splits",
        "plan",
    }
    assert shape("Transaction") == (transaction, transaction)
    split = {"account_kind", "amount"}
    assert shape("Split") == (split, split)


def test_request_shapes(schema):
    components = schema["components"]["schemas"]

    def shape(name: str) -> tuple[set[str], set[str]]:
        component = components[name]
        return set(component["properties"]), set(component.get("required", []))

    assert shape("SignupRequest") == (
        {"email", "password", "first_name", "last_name"},
        {"email", "password"},
    )
    assert shape("TokenObtainRequest") == (
        {"email", "password"},
        {"email", "password"},
    )
    assert shape("TokenRefreshRequest") == ({"refresh"}, {"refresh"})
    assert shape("PatchedMeUpdateRequest") == (
        {"email", "first_name", "last_name", "password", "current_password"},
        set(),
    )
    assert shape("PlanSelectRequest") == ({"plan_id"}, {"plan_id"})
    assert components["PlanSelectRequest"]["properties"]["plan_id"]["nullable"]
    assert shape("CreditRequest") == (
        {"amount", "currency", "source", "description"},
        {"amount"},
    )


def test_success_statuses(schema):
    for path, method, operation in _operations(schema):
        successes = {s for s in operation["responses"] if s < "400"}
        expected = {
            ("/api/v1/auth/signup", "post"): {"201"},
            ("/api/v1/credits", "post"): {"201"},
            ("/api/v1/me", "delete"): {"204"},
        }.get((path, method), {"200"})
        assert successes == expected, (path, method)


def test_transaction_paging_parameters(schema):
    parameters = {
        p["name"]: p
        for p in schema["paths"]["/api/v1/transactions"]["get"]["parameters"]
    }
    order = parameters["order"]["schema"]
    assert (order["enum"], order["default"]) == (["desc", "asc"], "desc")
    assert parameters["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "default": 50,
    }
