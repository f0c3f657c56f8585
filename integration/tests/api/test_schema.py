"""The OpenAPI schema describes exactly the public contract (docs/api.md).

test_docs.py checks that docs/api.md lists the same endpoints and codes;
these tests check the schema's own details: tags, codes, shapes, links.
"""

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from config.openapi import EXAMPLE_REQUEST_ID

# docs/api.md's Money table: (method, path) -> its success status.
MONEY = {
    ("get", "/api/v1/accounts"): "200",
    ("post", "/api/v1/accounts"): "201",
    ("post", "/api/v1/credits"): "201",
    ("post", "/api/v1/transfers"): "201",
    ("post", "/api/v1/withdrawals"): "201",
    ("post", "/api/v1/conversions"): "201",
    ("get", "/api/v1/rates"): "200",
    ("get", "/api/v1/balance"): "200",
    ("get", "/api/v1/transactions"): "200",
    ("get", "/api/v1/transactions/{id}"): "200",
}
# docs/api.md's Personal finance and Savings groups tables, under two
# tags: (method, path) -> its success status.
PERSONAL_FINANCE = {
    ("get", "/api/v1/reports/summary"): "200",
    ("get", "/api/v1/categories"): "200",
    ("get", "/api/v1/goals"): "200",
    ("post", "/api/v1/goals"): "201",
    ("get", "/api/v1/goals/{id}"): "200",
    ("patch", "/api/v1/goals/{id}"): "200",
    ("delete", "/api/v1/goals/{id}"): "204",
    ("post", "/api/v1/imports"): "202",
    ("get", "/api/v1/imports/{id}"): "200",
}
GROUPS = {
    ("get", "/api/v1/groups"): "200",
    ("post", "/api/v1/groups"): "201",
    ("get", "/api/v1/groups/{id}"): "200",
    ("post", "/api/v1/groups/{id}/members"): "201",
    ("delete", "/api/v1/groups/{id}/members/me"): "204",
    ("post", "/api/v1/groups/{id}/contributions"): "201",
}
# docs/api.md's Partner payroll table: (method, path) -> its success status.
PARTNERS = {
    ("post", "/api/v1/partner/credit-batches"): "202",
    ("get", "/api/v1/partner/credit-batches/{id}"): "200",
    ("get", "/api/v1/partner/credit-batches/{id}/items"): "200",
}
# docs/api.md's Webhooks table, a user's and a partner's: (method, path) ->
# its success status.
_WEBHOOK_OPERATIONS = {
    ("get", "/webhooks"): "200",
    ("post", "/webhooks"): "201",
    ("get", "/webhooks/{id}"): "200",
    ("delete", "/webhooks/{id}"): "204",
    ("post", "/webhooks/{id}/secret"): "200",
    ("get", "/webhooks/{id}/deliveries"): "200",
    ("post", "/webhooks/{id}/deliveries/{delivery_id}/resend"): "202",
}
WEBHOOKS = {
    (method, f"/api/v1{path}"): status
    for (method, path), status in _WEBHOOK_OPERATIONS.items()
}
PARTNER_WEBHOOKS = {
    (method, f"/api/v1/partner{path}"): status
    for (method, path), status in _WEBHOOK_OPERATIONS.items()
}
# The POSTs that move money: each takes an Idempotency-Key.
MOVES_MONEY = (
    "/api/v1/credits",
    "/api/v1/transfers",
    "/api/v1/withdrawals",
    "/api/v1/conversions",
    "/api/v1/groups/{id}/contributions",
)
# The POSTs that take an Idempotency-Key: those that move money, sign-up,
# creating a goal or a group, and importing a statement.
TAKES_A_KEY = {
    ("/api/v1/auth/signup", "post"),
    ("/api/v1/goals", "post"),
    ("/api/v1/groups", "post"),
    ("/api/v1/imports", "post"),
    *((path, "post") for path in MOVES_MONEY),
}
# The POSTs that need one.
REQUIRES_A_KEY = {("/api/v1/partner/credit-batches", "post")}
CONTRACT = {
    "/api/v1/auth/signup": {"post"},
    "/api/v1/auth/token": {"post"},
    "/api/v1/auth/token/refresh": {"post"},
    "/api/v1/me": {"get", "patch", "delete"},
    "/api/v1/plans": {"get"},
    "/api/v1/me/plan": {"get", "put"},
    "/api/v1/accounts": {"get", "post"},
    "/api/v1/credits": {"post"},
    "/api/v1/transfers": {"post"},
    "/api/v1/withdrawals": {"post"},
    "/api/v1/conversions": {"post"},
    "/api/v1/rates": {"get"},
    "/api/v1/balance": {"get"},
    "/api/v1/transactions": {"get"},
    "/api/v1/transactions/{id}": {"get"},
    "/api/v1/reports/summary": {"get"},
    "/api/v1/categories": {"get"},
    "/api/v1/goals": {"get", "post"},
    "/api/v1/goals/{id}": {"get", "patch", "delete"},
    "/api/v1/imports": {"post"},
    "/api/v1/imports/{id}": {"get"},
    "/api/v1/groups": {"get", "post"},
    "/api/v1/groups/{id}": {"get"},
    "/api/v1/groups/{id}/members": {"post"},
    "/api/v1/groups/{id}/members/me": {"delete"},
    "/api/v1/groups/{id}/contributions": {"post"},
    "/api/v1/partner/credit-batches": {"post"},
    "/api/v1/partner/credit-batches/{id}": {"get"},
    "/api/v1/partner/credit-batches/{id}/items": {"get"},
    **{
        f"{root}{path}": methods
        for root in ("/api/v1", "/api/v1/partner")
        for path, methods in (
            ("/webhooks", {"get", "post"}),
            ("/webhooks/{id}", {"get", "delete"}),
            ("/webhooks/{id}/secret", {"post"}),
            ("/webhooks/{id}/deliveries", {"get"}),
            ("/webhooks/{id}/deliveries/{delivery_id}/resend", {"post"}),
        )
    },
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
KINDS = [
    "credit",
    "transfer_out",
    "transfer_in",
    "withdrawal",
    "conversion",
    "savings_release",
    "group_contribution",
    "reversal",
]
TAGS = [
    "Identity",
    "Plans",
    "Money",
    "Personal finance",
    "Groups",
    "Partners",
    "Webhooks",
    "Operations",
]


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


def test_every_money_operation_is_there_under_the_money_tag(schema):
    for (method, path), status in MONEY.items():
        operation = schema["paths"][path][method]
        assert operation["tags"] == ["Money"], (method, path)
        assert operation["summary"], (method, path)
        assert status in operation["responses"], (method, path)
    money = {
        (method, path)
        for path, method, operation in _operations(schema)
        if operation["tags"] == ["Money"]
    }
    assert money == set(MONEY)


@pytest.mark.parametrize(
    ("tag", "operations"),
    [("Personal finance", PERSONAL_FINANCE), ("Groups", GROUPS)],
)
def test_every_personal_finance_operation_is_there_under_its_tag(
    schema, tag, operations
):
    for (method, path), status in operations.items():
        operation = schema["paths"][path][method]
        assert operation["tags"] == [tag], (method, path)
        assert operation["summary"], (method, path)
        assert operation["description"], (method, path)
        assert status in operation["responses"], (method, path)
    tagged = {
        (method, path)
        for path, method, operation in _operations(schema)
        if operation["tags"] == [tag]
    }
    assert tagged == set(operations)


def test_operations_have_ids_and_one_of_the_tags(schema):
    ids = [op["operationId"] for _, _, op in _operations(schema)]
    assert len(ids) == len(set(ids))
    for _, _, operation in _operations(schema):
        assert len(operation["tags"]) == 1
        assert operation["tags"][0] in TAGS
    assert [tag["name"] for tag in schema["tags"]] == TAGS
    assert all(tag["description"] for tag in schema["tags"])


def test_security_is_bearer_jwt_except_public_and_partner_endpoints(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    partner_key = schemes.pop("partnerKey")
    assert list(schemes) == ["bearerAuth"]
    assert (partner_key["type"], partner_key["scheme"]) == ("http", "bearer")
    for words in (
        "`Authorization: Bearer spk_...`",
        "accounting admin",
        "show each once",
        "revoke",
        "`credits:write`",
        "`webhooks:manage` registers the partner's webhooks",
        "403 `permission_denied`",
        "its own request rate",
    ):
        assert words in partner_key["description"], words
    partners = {path for _, path in PARTNERS | PARTNER_WEBHOOKS}
    for path, _, operation in _operations(schema):
        expected = [] if path in PUBLIC else [{"bearerAuth": []}]
        if path in partners:
            expected = [{"partnerKey": []}]
        assert operation.get("security", []) == expected, path


def test_every_error_is_a_problem_with_its_codes(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {
        "type",
        "title",
        "status",
        "detail",
        "code",
        "request_id",
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


def test_every_example_problem_names_its_request(schema):
    examples = [
        example["value"]
        for _, _, operation in _operations(schema)
        for status, response in operation["responses"].items()
        if status >= "400"
        for example in response["content"][PROBLEM].get("examples", {}).values()
    ]
    assert examples
    assert {e["request_id"] for e in examples} == {EXAMPLE_REQUEST_ID}
    problem = schema["components"]["schemas"]["Problem"]
    assert problem["properties"]["request_id"]["maxLength"] == 128


def test_documents_the_codes_of_each_endpoint(schema):
    credit = schema["paths"]["/api/v1/credits"]["post"]
    assert _codes(credit, "400") >= {
        "invalid_amount",
        "unsupported_currency",
        "invalid_datetime",
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
    for status, codes in (
        ("502", {"bad_gateway"}),
        (
            "503",
            {
                "upstream_unavailable",
                "database_unavailable",
            },
        ),
        ("504", {"upstream_timeout"}),
    ):
        assert _codes(credit, status) == codes
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


# Per money operation and status, the codes it must document.
MONEY_CODES = {
    ("post", "/api/v1/accounts"): {
        "400": {"unsupported_currency", "validation_error"},
        "401": {"user_inactive"},
        "409": {"account_not_ready"},
        "422": {"account_closed"},
    },
    ("post", "/api/v1/transfers"): {
        "400": {
            "invalid_amount",
            "unsupported_currency",
            "validation_error",
            "invalid_idempotency_key",
        },
        "401": {"user_inactive"},
        "404": {"account_not_found"},
        "409": {"account_not_ready", "idempotency_key_in_flight"},
        "422": {
            "same_account",
            "currency_mismatch",
            "insufficient_funds",
            "savings_locked",
            "account_not_open",
            "account_closed",
            "account_frozen",
            "idempotency_key_reused",
        },
    },
    ("post", "/api/v1/withdrawals"): {
        "400": {
            "invalid_amount",
            "unsupported_currency",
            "invalid_datetime",
            "validation_error",
            "invalid_idempotency_key",
        },
        "401": {"user_inactive"},
        "409": {"account_not_ready", "idempotency_key_in_flight"},
        "422": {
            "insufficient_funds",
            "account_not_open",
            "account_closed",
            "account_frozen",
            "idempotency_key_reused",
        },
    },
    ("post", "/api/v1/conversions"): {
        "400": {
            "invalid_amount",
            "unsupported_currency",
            "same_currency",
            "validation_error",
            "invalid_idempotency_key",
        },
        "401": {"user_inactive"},
        "409": {"account_not_ready", "idempotency_key_in_flight"},
        "422": {
            "rate_unavailable",
            "amount_too_small",
            "insufficient_funds",
            "account_not_open",
            "account_closed",
            "account_frozen",
            "idempotency_key_reused",
        },
    },
    ("post", "/api/v1/credits"): {
        "422": {"account_not_open", "account_frozen"},
    },
    ("get", "/api/v1/rates"): {
        "400": {"unsupported_currency"},
        "401": {"user_inactive"},
    },
}


@pytest.mark.parametrize(("method", "path"), list(MONEY_CODES))
def test_documents_the_codes_of_each_money_operation(schema, method, path):
    operation = schema["paths"][path][method]
    for status, codes in MONEY_CODES[method, path].items():
        assert codes <= _codes(operation, status), (method, path, status)
    for status in ("502", "503", "504"):
        assert status in operation["responses"], (method, path, status)


def test_transfers_and_conversions_document_their_rules(schema):
    transfer = schema["paths"]["/api/v1/transfers"]["post"]["description"]
    for words in (
        "`main` account",
        "same currency",
        "`savings_release`",
        "`savings_hold_days`",
        "`savings_locked`",
    ):
        assert words in transfer
    conversion = schema["paths"]["/api/v1/conversions"]["post"]["description"]
    for words in (
        "round_half_even(amount x rate)",
        "minor unit",
        "`amount_too_small`",
        "`same_currency`",
    ):
        assert words in conversion


@pytest.mark.parametrize(("path", "method"), sorted(TAKES_A_KEY))
def test_money_signup_goals_and_groups_take_an_idempotency_key(
    schema, path, method
):
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
    success = "202" if path == "/api/v1/imports" else "201"
    replayed = operation["responses"][success]["headers"]["Idempotent-Replayed"]
    assert replayed["schema"] == {"type": "string", "enum": ["true"]}
    if path != "/api/v1/auth/signup":
        assert _codes(operation, "400") >= {"invalid_idempotency_key"}
        assert "account_not_ready" in _codes(operation, "409")
        # An upload with a key in flight waits for the first to commit,
        # then replays it: a statement's key is never "in flight".
        in_flight = "idempotency_key_in_flight" in _codes(operation, "409")
        assert in_flight == (path != "/api/v1/imports")
        assert _codes(operation, "422") >= {"idempotency_key_reused"}


def test_idempotency_key_only_where_it_applies(schema):
    for path, method, operation in _operations(schema):
        names = {p["name"] for p in operation.get("parameters", [])}
        expected = (path, method) in TAKES_A_KEY | REQUIRES_A_KEY
        assert ("Idempotency-Key" in names) == expected, path


@pytest.mark.parametrize(("path", "method"), sorted(REQUIRES_A_KEY))
def test_a_credit_batch_requires_an_idempotency_key(schema, path, method):
    operation = schema["paths"][path][method]
    headers = {
        p["name"]: p for p in operation["parameters"] if p["in"] == "header"
    }

    assert headers["Idempotency-Key"]["required"] is True
    assert "required" in headers["Idempotency-Key"]["description"]
    success = operation["responses"]["202"]["headers"]
    assert set(success) >= {"Idempotent-Replayed", "Location"}
    assert _codes(operation, "400") >= {"invalid_idempotency_key"}
    assert _codes(operation, "422") == {"idempotency_key_reused"}
    # A batch with a key in flight waits for the first, then replays it.
    assert "409" not in operation["responses"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/signup",
        "/api/v1/accounts",
        *MOVES_MONEY,
        "/api/v1/goals",
        "/api/v1/groups",
        "/api/v1/groups/{id}/members",
    ],
)
def test_posts_have_request_and_response_examples(schema, path):
    operation = schema["paths"][path]["post"]
    request = operation["requestBody"]["content"]["application/json"]
    assert request["examples"]
    response = operation["responses"]["201"]["content"]["application/json"]
    assert response["examples"]


def test_rates_have_a_response_example(schema):
    operation = schema["paths"]["/api/v1/rates"]["get"]
    response = operation["responses"]["200"]["content"]["application/json"]
    (example,) = response["examples"].values()
    assert set(example["value"]) == {"at", "results"}


def test_response_examples_have_the_documented_shape(schema):
    components = schema["components"]["schemas"]
    transaction = set(components["Transaction"]["properties"])
    split = set(components["Split"]["properties"])
    for path in MOVES_MONEY:
        content = schema["paths"][path]["post"]["responses"]["201"]["content"]
        for example in content["application/json"]["examples"].values():
            value = example["value"]["transaction"]
            assert set(value) == transaction, path
            for posting in value["splits"]:
                assert set(posting) == split, path


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
    assert names("/api/v1/rates") == {"base"}
    assert names("/api/v1/reports/summary") == {
        "from",
        "to",
        "group_by",
        "currency",
    }
    (group_by,) = [
        p
        for p in schema["paths"]["/api/v1/reports/summary"]["get"]["parameters"]
        if p["name"] == "group_by"
    ]
    assert group_by["required"] is True


def test_the_kind_filter_lists_every_kind(schema):
    (kind,) = [
        p
        for p in schema["paths"]["/api/v1/transactions"]["get"]["parameters"]
        if p["name"] == "kind"
    ]
    assert kind["schema"]["enum"] == KINDS


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
        ("/api/v1/reports/summary", "from"),
        ("/api/v1/reports/summary", "to"),
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
    assert shape("Plan") == (plan | {"savings_hold_days"}, plan)
    selection = {"plan", "selected_at"}
    assert shape("PlanSelection") == (selection, selection)
    account = {"id", "kind", "currency", "balance", "closed_at"}
    assert shape("Account") == (account, account)
    assert components["Account"]["properties"]["closed_at"]["nullable"]
    assert shape("OpenedAccounts") == ({"results"}, {"results"})
    page = {"results", "next"}
    for name in ("PlanList", "AccountList", "TransactionPage"):
        assert shape(name) == (page, page), name
        assert components[name]["properties"]["next"]["nullable"] is True
    result = {"transaction", "balances"}
    assert shape("TransactionResult") == (result, result)
    conversion_result = {"transaction", "rate", "balances", "to_balances"}
    assert shape("ConversionResult") == (conversion_result, conversion_result)
    conversion_parts = components["ConversionResult"]["properties"]
    for name, component in (
        ("rate", "Rate"),
        ("balances", "Balances"),
        ("to_balances", "Balances"),
    ):
        assert conversion_parts[name]["allOf"] == [
            {"$ref": f"#/components/schemas/{component}"}
        ]
    rate = {"base", "quote", "rate", "valid_from"}
    assert shape("Rate") == (rate, rate)
    assert shape("RateList") == ({"at", "results"}, {"at", "results"})
    balance = {"at", "currency", "main", "savings", "total"}
    assert shape("Balance") == (balance, balance)
    transaction = {
        "id",
        "kind",
        "amount",
        "currency",
        "occurred_at",
        "effective_at",
        "description",
        "source",
        "category",
        "splits",
        "plan",
        "counterparty_account",
        "conversion",
        "group",
        "reverses",
        "reversed_by",
    }
    assert shape("Transaction") == (transaction, transaction)
    properties = components["Transaction"]["properties"]
    assert properties["counterparty_account"]["nullable"] is True
    assert properties["conversion"]["nullable"] is True
    assert properties["group"]["nullable"] is True
    assert shape("TransactionGroup") == ({"id", "name"}, {"id", "name"})
    assert components["TransactionKindEnum"]["enum"] == KINDS
    split = {"account_kind", "currency", "amount"}
    assert shape("Split") == (split, split)
    detail = {"to_amount", "to_currency", "rate"}
    assert shape("ConversionDetail") == (detail, detail)


def test_personal_finance_response_shapes(schema):
    components = schema["components"]["schemas"]

    def shape(name: str) -> tuple[set[str], set[str]]:
        component = components[name]
        return set(component["properties"]), set(component.get("required", []))

    totals = {"income", "expenses", "saved", "savings_rate"}
    report = {"from", "to", "currency", "group_by", "groups", *totals}
    assert shape("Report") == (report, report)
    row = {"key", "transactions", *totals}
    assert shape("ReportGroup") == (row, row)
    for name, field in (
        ("Report", "from"),
        ("Report", "savings_rate"),
        ("ReportGroup", "key"),
        ("ReportGroup", "savings_rate"),
    ):
        assert components[name]["properties"][field]["nullable"], field
    for name in ("Report", "ReportGroup"):
        for field in totals:
            prop = components[name]["properties"][field]
            assert (prop["type"], prop["format"]) == ("string", "decimal")
    assert components["GroupByEnum"]["enum"] == ["category", "source", "month"]
    goal = {
        "id",
        "name",
        "target_amount",
        "currency",
        "saved",
        "progress_percent",
        "target_date",
        "on_track",
        "created_at",
        "updated_at",
    }
    assert shape("Goal") == (goal, goal)
    assert components["Goal"]["properties"]["target_date"]["format"] == "date"
    assert components["Goal"]["properties"]["on_track"]["nullable"] is True
    member = {
        "user_id",
        "email",
        "first_name",
        "last_name",
        "contributed",
        "contributions",
        "joined_at",
        "left_at",
    }
    assert shape("GroupMember") == (member, member)
    group = {
        "id",
        "name",
        "currency",
        "target_amount",
        "target_date",
        "total",
        "progress_percent",
        "created_at",
        "created_by",
        "members",
    }
    assert shape("Group") == (group, group)
    assert shape("Category") == ({"name"}, {"name"})
    page = {"results", "next"}
    for name in ("CategoryList", "GoalList", "GroupList"):
        assert shape(name) == (page, page), name
    result = {"transaction", "balances", "group"}
    assert shape("ContributionResult") == (result, result)


def test_personal_finance_request_shapes(schema):
    components = schema["components"]["schemas"]

    def shape(name: str) -> tuple[set[str], set[str]]:
        component = components[name]
        return set(component["properties"]), set(component.get("required", []))

    target = {"name", "target_amount", "currency", "target_date"}
    for name in ("GoalCreateRequest", "GroupCreateRequest"):
        assert shape(name) == (target, {"name", "target_amount"}), name
        properties = components[name]["properties"]
        assert properties["name"]["maxLength"] == 100
        assert properties["target_date"]["format"] == "date"
        assert properties["target_date"]["nullable"] is True
    assert shape("PatchedGoalUpdateRequest") == (target, set())
    assert shape("GroupMemberAddRequest") == ({"email"}, {"email"})
    assert shape("GroupContributionRequest") == (
        {"amount", "currency", "message"},
        {"amount"},
    )
    contribution = components["GroupContributionRequest"]["properties"]
    assert contribution["message"]["maxLength"] == 500
    credit_amount = components["CreditRequest"]["properties"]["amount"]
    assert contribution["amount"] == credit_amount
    for name in ("GoalCreateRequest", "GroupCreateRequest"):
        amount = components[name]["properties"]["target_amount"]
        assert amount == credit_amount, name


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
        {"amount", "currency", "source", "description", "effective_at"},
        {"amount"},
    )
    for dated in ("CreditRequest", "WithdrawalRequest"):
        effective_at = components[dated]["properties"]["effective_at"]
        assert effective_at["oneOf"] == [
            {"type": "string", "format": "date-time"},
            {"type": "string", "format": "date"},
        ]
        assert "never in the future" in effective_at["description"]
    assert shape("AccountOpenRequest") == ({"currency"}, {"currency"})
    # A transfer needs its recipient; a savings release takes none: two
    # shapes, told apart by them.
    assert components["TransferRequest"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/TransferToRequest"},
            {"$ref": "#/components/schemas/SavingsReleaseRequest"},
        ]
    }
    members = {"kind", "to_account", "amount", "currency", "description"}
    assert shape("TransferToRequest") == (members, {"amount", "to_account"})
    transfer = components["TransferToRequest"]["properties"]
    assert transfer["to_account"] == {
        "type": "string",
        "format": "uuid",
        "description": "The recipient's main account id.",
    }
    assert transfer["kind"]["default"] == "transfer"
    assert components["TransferToKindEnum"]["enum"] == ["transfer"]
    assert shape("SavingsReleaseRequest") == (members, {"amount", "kind"})
    release = components["SavingsReleaseRequest"]["properties"]
    assert release["to_account"]["nullable"] is True
    assert release["to_account"]["not"] == {"type": "string"}
    assert components["SavingsReleaseKindEnum"]["enum"] == ["savings_release"]
    assert shape("WithdrawalRequest") == (
        {"amount", "currency", "category", "description", "effective_at"},
        {"amount"},
    )
    withdrawal = components["WithdrawalRequest"]["properties"]
    credit = components["CreditRequest"]["properties"]
    # A label's bound counts it as stored, which no maxLength can say.
    for label in (withdrawal["category"], credit["source"]):
        assert "maxLength" not in label
        assert label["pattern"] == "^[^\\u0000]*$"
        assert label["description"].endswith(
            "Stored normalised (spaces collapsed, case folded), at most 100 "
            "characters."
        )
    assert withdrawal["description"]["maxLength"] == 500
    assert shape("ConversionRequest") == (
        {"from_currency", "to_currency", "amount", "description"},
        {"from_currency", "to_currency", "amount"},
    )
    for name in (
        "TransferToRequest",
        "SavingsReleaseRequest",
        "WithdrawalRequest",
        "ConversionRequest",
    ):
        amount = components[name]["properties"]["amount"]
        assert amount == components["CreditRequest"]["properties"]["amount"]


def test_success_statuses(schema):
    for path, method, operation in _operations(schema):
        # 304 Not Modified is every read's (test_conditional_schema.py).
        successes = {s for s in operation["responses"] if s < "300"}
        expected = {
            ("/api/v1/auth/signup", "post"): {"201"},
            ("/api/v1/accounts", "post"): {"201"},
            **{(path, "post"): {"201"} for path in MOVES_MONEY},
            ("/api/v1/me", "delete"): {"204"},
            **{
                (path, method): {status}
                for (method, path), status in (
                    PERSONAL_FINANCE
                    | GROUPS
                    | PARTNERS
                    | WEBHOOKS
                    | PARTNER_WEBHOOKS
                ).items()
            },
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


# Per personal finance operation and status, the codes it must document.
PERSONAL_FINANCE_CODES = {
    ("get", "/api/v1/reports/summary"): {
        "400": {
            "validation_error",
            "invalid_datetime",
            "invalid_range",
            "unsupported_currency",
        },
        "401": {"not_authenticated", "invalid_token", "user_inactive"},
        "409": {"account_not_ready"},
    },
    ("get", "/api/v1/categories"): {"401": {"not_authenticated"}},
    ("get", "/api/v1/goals"): {"409": {"account_not_ready"}},
    ("post", "/api/v1/goals"): {
        "400": {
            "validation_error",
            "invalid_amount",
            "unsupported_currency",
            "malformed_json",
        },
        "409": {"account_not_ready"},
        "415": {"unsupported_media_type"},
    },
    ("get", "/api/v1/goals/{id}"): {
        "404": {"goal_not_found", "not_found"},
        "409": {"account_not_ready"},
    },
    ("patch", "/api/v1/goals/{id}"): {
        "400": {"validation_error", "invalid_amount", "unsupported_currency"},
        "404": {"goal_not_found", "not_found"},
    },
    ("delete", "/api/v1/goals/{id}"): {
        "404": {"goal_not_found", "not_found"},
    },
    ("get", "/api/v1/groups"): {"409": {"account_not_ready"}},
    ("post", "/api/v1/groups"): {
        "400": {"validation_error", "invalid_amount", "unsupported_currency"},
        "409": {"account_not_ready"},
    },
    ("get", "/api/v1/groups/{id}"): {
        "404": {"group_not_found", "not_found"},
    },
    ("post", "/api/v1/groups/{id}/members"): {
        "400": {"validation_error"},
        "404": {"group_not_found", "user_not_found", "not_found"},
        "409": {"already_member", "account_not_ready"},
    },
    ("delete", "/api/v1/groups/{id}/members/me"): {
        "401": {"not_authenticated", "invalid_token", "user_inactive"},
        "404": {"group_not_found", "not_found"},
        "409": {"account_not_ready"},
    },
    ("post", "/api/v1/groups/{id}/contributions"): {
        "400": {
            "validation_error",
            "invalid_amount",
            "unsupported_currency",
            "invalid_idempotency_key",
        },
        "401": {"user_inactive"},
        "404": {"group_not_found", "not_found"},
        "409": {"account_not_ready", "idempotency_key_in_flight"},
        "422": {
            "currency_mismatch",
            "insufficient_funds",
            "account_not_open",
            "account_closed",
            "account_frozen",
            "idempotency_key_reused",
        },
    },
}


@pytest.mark.parametrize(("method", "path"), list(PERSONAL_FINANCE_CODES))
def test_documents_the_codes_of_each_personal_finance_operation(
    schema, method, path
):
    operation = schema["paths"][path][method]
    for status, codes in PERSONAL_FINANCE_CODES[method, path].items():
        assert codes <= _codes(operation, status), (method, path, status)
    for status in ("401", "502", "503", "504"):
        assert status in operation["responses"], (method, path, status)


# Per operation, the component its success answer's examples must match.
_EXAMPLE_COMPONENTS = {
    ("get", "/api/v1/reports/summary"): "Report",
    ("get", "/api/v1/categories"): "CategoryList",
    ("get", "/api/v1/goals"): "GoalList",
    ("post", "/api/v1/goals"): "Goal",
    ("get", "/api/v1/goals/{id}"): "Goal",
    ("patch", "/api/v1/goals/{id}"): "Goal",
    ("get", "/api/v1/groups"): "GroupList",
    ("post", "/api/v1/groups"): "Group",
    ("get", "/api/v1/groups/{id}"): "Group",
    ("post", "/api/v1/groups/{id}/members"): "GroupMember",
    ("post", "/api/v1/groups/{id}/contributions"): "ContributionResult",
}


def _keys_match(schema: dict, component: str, value: object) -> None:
    """Asserts that an example has exactly a component's keys, deeply."""
    properties = schema["components"]["schemas"][component].get("properties")
    if properties is None:  # An enum.
        return
    assert set(value) == set(properties), component
    for name, prop in properties.items():
        ref = prop.get("$ref") or next(
            (part["$ref"] for part in prop.get("allOf", [])), None
        )
        items = prop.get("items", {}).get("$ref")
        if ref and value[name] is not None:
            _keys_match(schema, ref.rsplit("/", 1)[1], value[name])
        if items:
            for item in value[name]:
                _keys_match(schema, items.rsplit("/", 1)[1], item)


@pytest.mark.parametrize(("method", "path"), list(_EXAMPLE_COMPONENTS))
def test_personal_finance_examples_have_the_documented_shape(
    schema, method, path
):
    operation = schema["paths"][path][method]
    status = (PERSONAL_FINANCE | GROUPS)[method, path]
    content = operation["responses"][status]["content"]["application/json"]
    assert content["examples"], (method, path)
    for example in content["examples"].values():
        _keys_match(schema, _EXAMPLE_COMPONENTS[method, path], example["value"])


def test_a_goal_change_has_a_request_example(schema):
    operation = schema["paths"]["/api/v1/goals/{id}"]["patch"]
    assert operation["requestBody"]["content"]["application/json"]["examples"]


def test_personal_finance_documents_its_rules(schema):
    report = schema["paths"]["/api/v1/reports/summary"]["get"]["description"]
    for words in (
        "`income`",
        "`credit` and `transfer_in`",
        "`expenses`",
        "`withdrawal` and `transfer_out`",
        "`saved`",
        "`savings_release`",
        "`group_contribution` does not",
        "A `reversal` counts as what it undoes",
        "`savings_rate`: `saved / income * 100`",
        "rounded half to even",
        "null when `income` is zero",
        "`month`",
    ):
        assert words in report, words
    for method, path in (
        ("get", "/api/v1/goals"),
        ("post", "/api/v1/goals"),
        ("get", "/api/v1/goals/{id}"),
    ):
        description = schema["paths"][path][method]["description"]
        for words in (
            "views on my savings",
            "allocated to my goals in order",
            "`min(target_amount, what is left)`",
            "`on_track`",
        ):
            assert words in description, (method, path, words)
    contribution = schema["paths"]["/api/v1/groups/{id}/contributions"]
    assert "`/ws/groups/{id}/`" in contribution["post"]["description"]
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}
    for words in (
        "`/ws/groups/{id}/`",
        "`?token=`",
        "HTTP 403",
        '{"type": "auth", "token": "<access token>"}',
        "4401",
        "4403",
        "4429",
        "1011",
        "1012",
        "no longer (you left it)",
        '{"type": "contribution", "group_id", "user_id", "amount"',
        '{"type": "member_left", "group_id", "user_id", "timestamp"}',
    ):
        assert words in tags["Groups"], words
    leave = schema["paths"]["/api/v1/groups/{id}/members/me"]["delete"]
    for words in ("No money moves", "`left_at`", "4403", '"member_left"'):
        assert words in leave["description"], words
    member = schema["components"]["schemas"]["GroupMember"]["properties"]
    assert member["left_at"]["nullable"] is True
    assert "views on my savings" in tags["Personal finance"]


# Each operation's links: (method, path, status) -> {link: target}.
LINKS = {
    ("post", "/api/v1/auth/signup", "201"): {"LogIn": "auth_token_obtain"},
    ("post", "/api/v1/imports", "202"): {"GetImport": "imports_retrieve"},
    ("post", "/api/v1/auth/token", "200"): {"Refresh": "auth_token_refresh"},
    ("get", "/api/v1/plans", "200"): {"SelectPlan": "me_plan_update"},
    **{
        ("post", path, "201"): {"GetTransaction": "transactions_retrieve"}
        for path in (
            "/api/v1/credits",
            "/api/v1/transfers",
            "/api/v1/withdrawals",
            "/api/v1/conversions",
        )
    },
    ("get", "/api/v1/transactions", "200"): {
        "GetTransaction": "transactions_retrieve"
    },
    ("get", "/api/v1/goals", "200"): {"GetGoal": "goals_retrieve"},
    **{
        (method, path, status): {
            "GetGoal": "goals_retrieve",
            "UpdateGoal": "goals_update",
            "DeleteGoal": "goals_destroy",
        }
        for method, path, status in (
            ("post", "/api/v1/goals", "201"),
            ("patch", "/api/v1/goals/{id}", "200"),
        )
    },
    ("get", "/api/v1/groups", "200"): {"GetGroup": "groups_retrieve"},
    ("post", "/api/v1/groups", "201"): {
        "GetGroup": "groups_retrieve",
        "Contribute": "groups_contributions_create",
        "AddMember": "groups_members_create",
        "Leave": "groups_members_leave",
    },
    ("post", "/api/v1/groups/{id}/contributions", "201"): {
        "GetTransaction": "transactions_retrieve",
        "GetGroup": "groups_retrieve",
    },
    ("post", "/api/v1/partner/credit-batches", "202"): {
        "GetCreditBatch": "partner_credit_batches_retrieve",
        "ListCreditBatchItems": "partner_credit_batches_items_list",
    },
    ("get", "/api/v1/partner/credit-batches/{id}", "200"): {
        "ListCreditBatchItems": "partner_credit_batches_items_list",
    },
    **{
        (method, f"{root}/webhooks", status): {
            "GetWebhook": f"{prefix}_retrieve",
            "ListWebhookDeliveries": f"{prefix}_deliveries_list",
            **(
                {
                    "RotateWebhookSecret": f"{prefix}_secret_rotate",
                    "DeleteWebhook": f"{prefix}_destroy",
                }
                if method == "post"
                else {}
            ),
        }
        for root, prefix in (
            ("/api/v1", "webhooks"),
            ("/api/v1/partner", "partner_webhooks"),
        )
        for method, status in (("get", "200"), ("post", "201"))
    },
}


def test_links_chain_the_operations_that_feed_each_other(schema):
    declared = {
        (method, path, status): {
            name: link["operationId"]
            for name, link in response["links"].items()
        }
        for path, method, operation in _operations(schema)
        for status, response in operation["responses"].items()
        if "links" in response
    }

    assert declared == LINKS


def _resolve(schema: dict, node: dict) -> dict:
    """Follows ``$ref`` and a single ``allOf`` to the schema they name."""
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
        elif len(node.get("allOf", [])) == 1:
            node = node["allOf"][0]
        else:
            return node


def _pointed(schema: dict, node: dict, pointer: str) -> dict:
    """The schema of what a JSON pointer names in a document of ``node``."""
    for part in pointer.strip("/").split("/"):
        node = _resolve(schema, node)
        node = node["items"] if part.isdigit() else node["properties"][part]
    return _resolve(schema, node)


def _json(schema: dict, body: dict) -> dict:
    """The JSON schema of a request or response body, resolved."""
    return _resolve(schema, body["content"]["application/json"]["schema"])


def test_every_link_reads_a_documented_member_into_a_parameter(schema):
    by_id = {
        operation["operationId"]: (path, operation)
        for path, method, operation in _operations(schema)
    }
    links = [
        (operation, response, name, link)
        for path, method, operation in _operations(schema)
        for response in operation["responses"].values()
        for name, link in response.get("links", {}).items()
    ]
    assert len(links) == sum(len(targets) for targets in LINKS.values())

    for operation, response, name, link in links:
        target_path, target = by_id[link["operationId"]]
        sources = {"$response.body": _json(schema, response)}
        if "application/json" in operation.get("requestBody", {}).get(
            "content", {}
        ):
            sources["$request.body"] = _json(schema, operation["requestBody"])
        for member in link.get("parameters", {}):
            assert f"{{{member}}}" in target_path, (name, member)
        for member in link.get("requestBody", {}):
            properties = _json(schema, target["requestBody"])["properties"]
            assert member in properties, (name, member)
        expressions = {
            **link.get("parameters", {}),
            **link.get("requestBody", {}),
        }
        assert expressions, name
        for expression in expressions.values():
            source, _, pointer = expression.partition("#")
            read = _pointed(schema, sources[source], pointer)
            assert read["type"] == "string", (name, expression)


# Per partner operation and status, exactly the codes it documents.
PARTNER_CODES = {
    ("post", "/api/v1/partner/credit-batches"): {
        "400": {
            "validation_error",
            "malformed_json",
            "invalid_amount",
            "unsupported_currency",
            "invalid_idempotency_key",
        },
        "401": {"not_authenticated", "invalid_api_key"},
        "403": {"permission_denied"},
        "413": {"payload_too_large"},
        "415": {"unsupported_media_type"},
        "422": {"idempotency_key_reused"},
    },
    ("get", "/api/v1/partner/credit-batches/{id}"): {
        "401": {"not_authenticated", "invalid_api_key"},
        "403": {"permission_denied"},
        "404": {"batch_not_found", "not_found"},
    },
    ("get", "/api/v1/partner/credit-batches/{id}/items"): {
        "400": {"validation_error", "invalid_cursor"},
        "401": {"not_authenticated", "invalid_api_key"},
        "403": {"permission_denied"},
        "404": {"batch_not_found", "not_found"},
    },
}


@pytest.mark.parametrize(("method", "path"), list(PARTNERS))
def test_every_partner_operation_is_documented_under_its_tag(
    schema, method, path
):
    operation = schema["paths"][path][method]

    assert operation["tags"] == ["Partners"]
    assert operation["summary"]
    assert operation["description"]
    errors = {s for s in operation["responses"] if s >= "400"}
    assert errors == {*PARTNER_CODES[method, path], "429", "431", "502"} | {
        "503",
        "504",
    }
    for status, codes in PARTNER_CODES[method, path].items():
        assert _codes(operation, status) == codes, (method, path, status)
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}
    assert "`partnerKey`" in tags["Partners"]


def test_partner_operations_document_their_rules(schema):
    create = schema["paths"]["/api/v1/partner/credit-batches"]["post"]
    for words in (
        "1 to 10,000 credits",
        "8 MiB",
        "by the user's own plan",
        "`Idempotency-Key` is required",
        "at most once across all the partner's batches",
        "`duplicate_reference`",
        "`user_not_found`",
        "`user_inactive`",
        "`account_not_open`",
        "`account_closed`",
        "`account_frozen`",
        "`amount_not_above_flat_amount`",
        "`Location`",
    ):
        assert words in create["description"], words
    detail = schema["paths"]["/api/v1/partner/credit-batches/{id}"]["get"]
    assert "Another partner's batch answers 404" in detail["description"]


@pytest.mark.parametrize(
    ("method", "path", "status", "component"),
    [
        ("post", "/api/v1/partner/credit-batches", "202", "CreditBatch"),
        ("get", "/api/v1/partner/credit-batches/{id}", "200", "CreditBatch"),
        (
            "get",
            "/api/v1/partner/credit-batches/{id}/items",
            "200",
            "CreditBatchItemPage",
        ),
    ],
)
def test_partner_examples_have_the_documented_shape(
    schema, method, path, status, component
):
    operation = schema["paths"][path][method]
    content = operation["responses"][status]["content"]["application/json"]
    assert content["examples"]
    for example in content["examples"].values():
        _keys_match(schema, component, example["value"])


def test_a_credit_batch_request_is_documented_with_its_bounds(schema):
    components = schema["components"]["schemas"]
    operation = schema["paths"]["/api/v1/partner/credit-batches"]["post"]
    request = operation["requestBody"]["content"]["application/json"]
    (example,) = request["examples"].values()
    batch = components["CreditBatchRequest"]
    items = batch["properties"]["items"]
    item = components[items["items"]["$ref"].rsplit("/", 1)[1]]

    assert operation["requestBody"]["required"] is True
    assert items["type"] == "array"
    assert batch["additionalProperties"] is False
    assert set(item["required"]) == {"user", "amount", "currency", "reference"}
    assert item["additionalProperties"] is False
    assert item["properties"]["user"]["maxLength"] == 254
    assert item["properties"]["reference"]["maxLength"] == 100
    assert set(example["value"]["items"][0]) == set(item["properties"])


def test_partner_response_shapes(schema):
    components = schema["components"]["schemas"]

    def shape(name: str) -> tuple[set[str], set[str]]:
        component = components[name]
        return set(component["properties"]), set(component.get("required", []))

    batch = {"id", "status", "items", "error", "created_at", "completed_at"}
    assert shape("CreditBatch") == (batch, batch)
    assert components["StatusEnum"]["enum"] == [
        "queued",
        "running",
        "completed",
        "failed",
    ]
    counts = {"total", "applied", "refused", "pending"}
    assert shape("CreditBatchItems") == (counts, counts)
    item = {
        "position",
        "user",
        "amount",
        "currency",
        "reference",
        "status",
        "transaction_id",
        "error",
    }
    assert shape("CreditBatchItem") == (item, item)
    assert components["CreditBatchItemStatusEnum"]["enum"] == [
        "pending",
        "applied",
        "refused",
    ]
    properties = components["CreditBatchItem"]["properties"]
    assert properties["transaction_id"]["nullable"] is True
    assert (properties["amount"]["type"], properties["amount"]["format"]) == (
        "string",
        "decimal",
    )
    assert shape("CreditBatchItemPage") == (
        {"results", "next"},
        {"results", "next"},
    )
    query = {
        p["name"]: p
        for p in schema["paths"]["/api/v1/partner/credit-batches/{id}/items"][
            "get"
        ]["parameters"]
        if p["in"] == "query"
    }
    assert set(query) == {"status", "cursor", "limit"}
    assert query["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "default": 500,
    }


# --- Webhooks ----------------------------------------------------------------

_ALWAYS = {"429", "431", "502", "503", "504"}
_USER_CREDENTIAL = {
    "401": {"not_authenticated", "invalid_token", "user_inactive"},
    "409": {"account_not_ready"},
}
_PARTNER_CREDENTIAL = {
    "401": {"not_authenticated", "invalid_api_key"},
    "403": {"permission_denied"},
}
_WEBHOOK_NOT_FOUND = {"404": {"webhook_not_found", "not_found"}}
# Per webhook operation and status, its own codes (beyond the credential's
# and those of _ALWAYS).
WEBHOOK_CODES = {
    ("get", "/webhooks"): {},
    ("post", "/webhooks"): {
        "400": {"malformed_json", "validation_error"},
        "413": {"payload_too_large"},
        "415": {"unsupported_media_type"},
        "422": {"invalid_webhook_url"},
    },
    ("get", "/webhooks/{id}"): _WEBHOOK_NOT_FOUND,
    ("delete", "/webhooks/{id}"): _WEBHOOK_NOT_FOUND,
    ("post", "/webhooks/{id}/secret"): _WEBHOOK_NOT_FOUND,
    ("get", "/webhooks/{id}/deliveries"): {
        "400": {"validation_error", "invalid_cursor"},
        **_WEBHOOK_NOT_FOUND,
    },
    ("post", "/webhooks/{id}/deliveries/{delivery_id}/resend"): {
        "404": {"webhook_not_found", "delivery_not_found", "not_found"},
    },
}
# Per webhook operation, its success answer's component.
WEBHOOK_COMPONENTS = {
    ("get", "/webhooks"): "WebhookList",
    ("post", "/webhooks"): "WebhookWithSecret",
    ("get", "/webhooks/{id}"): "Webhook",
    ("post", "/webhooks/{id}/secret"): "WebhookWithSecret",
    ("get", "/webhooks/{id}/deliveries"): "WebhookDeliveryPage",
    ("post", "/webhooks/{id}/deliveries/{delivery_id}/resend"): (
        "WebhookDelivery"
    ),
}
_AUDIENCES = [
    pytest.param("/api/v1", "webhooks", _USER_CREDENTIAL, id="user"),
    pytest.param(
        "/api/v1/partner",
        "partner_webhooks",
        _PARTNER_CREDENTIAL,
        id="partner",
    ),
]


@pytest.mark.parametrize(("root", "prefix", "credential"), _AUDIENCES)
@pytest.mark.parametrize("operation_key", list(WEBHOOK_CODES))
def test_every_webhook_operation_is_documented_under_its_tag(
    schema, root, prefix, credential, operation_key
):
    method, path = operation_key
    operation = schema["paths"][root + path][method]
    expected = {
        status: credential.get(status, set()) | codes
        for status, codes in {
            **credential,
            **WEBHOOK_CODES[method, path],
        }.items()
    }

    assert operation["tags"] == ["Webhooks"]
    assert operation["operationId"].startswith(f"{prefix}_")
    assert operation["summary"]
    assert operation["description"]
    errors = {s for s in operation["responses"] if s >= "400"}
    assert errors == set(expected) | _ALWAYS
    for status, codes in expected.items():
        assert _codes(operation, status) == codes, (method, path, status)


def test_a_partner_without_the_scope_is_told_which(schema):
    operation = schema["paths"]["/api/v1/partner/webhooks"]["get"]
    content = operation["responses"]["403"]["content"][PROBLEM]
    (example,) = content["examples"].values()

    assert "`webhooks:manage`" in example["value"]["detail"]


@pytest.mark.parametrize("root", ["/api/v1", "/api/v1/partner"])
@pytest.mark.parametrize(("method", "path"), list(WEBHOOK_COMPONENTS))
def test_webhook_examples_have_the_documented_shape(schema, root, method, path):
    operation = schema["paths"][root + path][method]
    status = WEBHOOKS[method, "/api/v1" + path]
    content = operation["responses"][status]["content"]["application/json"]
    assert content["schema"] == {
        "$ref": f"#/components/schemas/{WEBHOOK_COMPONENTS[method, path]}"
    }
    assert content["examples"]
    for example in content["examples"].values():
        _keys_match(schema, WEBHOOK_COMPONENTS[method, path], example["value"])


@pytest.mark.parametrize(
    ("root", "request_component", "event_type", "most"),
    [
        ("/api/v1", "WebhookCreateRequest", "transaction.created", 3),
        (
            "/api/v1/partner",
            "PartnerWebhookCreateRequest",
            "batch.completed",
            1,
        ),
    ],
)
def test_a_new_webhook_is_documented_with_its_bounds(
    schema, root, request_component, event_type, most
):
    components = schema["components"]["schemas"]
    operation = schema["paths"][f"{root}/webhooks"]["post"]
    request = operation["requestBody"]["content"]["application/json"]
    (example,) = request["examples"].values()
    body = components[request_component]

    assert request["schema"] == {
        "$ref": f"#/components/schemas/{request_component}"
    }
    assert operation["requestBody"]["required"] is True
    assert (set(body["properties"]), body["required"]) == (
        {"url", "events"},
        ["url"],
    )
    assert body["additionalProperties"] is False
    assert body["properties"]["url"]["maxLength"] == 2000
    assert body["properties"]["events"]["maxItems"] == most
    assert example["value"] == {
        "url": "https://hooks.example.com/savings",
        "events": [event_type],
    }
    items = body["properties"]["events"]["items"]["$ref"].rsplit("/", 1)[1]
    assert event_type in components[items]["enum"]
    for words in (
        "`https`",
        "private, loopback or link-local",
        "422 `invalid_webhook_url`",
        "at most 10",
        "only one that shows `secret`",
    ):
        assert words in operation["description"], words


def test_the_event_types_a_webhook_takes(schema):
    components = schema["components"]["schemas"]

    assert components["WebhookEventTypeEnum"]["enum"] == [
        "transaction.created",
        "import.completed",
        "batch.completed",
        "group.contribution",
    ]
    assert components["PartnerWebhookEventTypeEnum"]["enum"] == [
        "batch.completed"
    ]
    assert components["WebhookDeliveryStatusEnum"]["enum"] == [
        "pending",
        "delivered",
        "failed",
    ]
    create = schema["paths"]["/api/v1/partner/webhooks"]["post"]
    assert "`batch.completed` only" in create["description"]


def test_webhook_response_shapes(schema):
    components = schema["components"]["schemas"]

    def shape(name: str) -> tuple[set[str], set[str]]:
        component = components[name]
        return set(component["properties"]), set(component.get("required", []))

    webhook = {"id", "url", "events", "created_at", "previous_secret_until"}
    assert shape("Webhook") == (webhook, webhook)
    with_secret = webhook | {"secret"}
    assert shape("WebhookWithSecret") == (with_secret, with_secret)
    assert components["Webhook"]["properties"]["previous_secret_until"][
        "nullable"
    ]
    page = {"results", "next"}
    for name in ("WebhookList", "WebhookDeliveryPage"):
        assert shape(name) == (page, page), name
    delivery = {
        "id",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "tries",
    }
    assert shape("WebhookDelivery") == (delivery, delivery)
    event = {"id", "type", "sequence", "created_at"}
    assert shape("WebhookEventRef") == (event, event)
    attempt = {"at", "status_code", "error", "duration_ms"}
    assert shape("WebhookTry") == (attempt, attempt)
    for name, field in (
        ("WebhookDelivery", "last_status_code"),
        ("WebhookDelivery", "next_attempt_at"),
        ("WebhookDelivery", "delivered_at"),
        ("WebhookTry", "status_code"),
    ):
        assert components[name]["properties"][field]["nullable"], field
    errors = components["WebhookTry"]["properties"]["error"]["description"]
    for code in ("`timeout`", "`http_5xx`", "`redirect`", "`address_refused`"):
        assert code in errors, code


@pytest.mark.parametrize(
    ("path", "status"),
    [("/webhooks", "201"), ("/webhooks/{id}/secret", "200")],
)
@pytest.mark.parametrize("root", ["/api/v1", "/api/v1/partner"])
def test_an_answer_with_a_secret_may_not_be_stored(schema, root, path, status):
    response = schema["paths"][root + path]["post"]["responses"][status]

    assert response["headers"]["Cache-Control"]["schema"] == {
        "type": "string",
        "enum": ["no-store"],
    }


@pytest.mark.parametrize("root", ["/api/v1", "/api/v1/partner"])
def test_the_delivery_log_pages_as_lists_do(schema, root):
    operation = schema["paths"][f"{root}/webhooks/{{id}}/deliveries"]["get"]
    query = {
        p["name"]: p for p in operation["parameters"] if p["in"] == "query"
    }

    assert set(query) == {"status", "cursor", "limit"}
    assert query["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "default": 50,
    }
    assert query["status"]["schema"]["enum"] == [
        "pending",
        "delivered",
        "failed",
    ]
    for words in ("newest first", "`next`", "72 hours", "last 10 `tries`"):
        assert words in operation["description"], words


@pytest.mark.parametrize(
    "path",
    ["/webhooks/{id}/secret", "/webhooks/{id}/deliveries/{delivery_id}/resend"],
)
@pytest.mark.parametrize("root", ["/api/v1", "/api/v1/partner"])
def test_rotating_and_resending_take_no_body(schema, root, path):
    operation = schema["paths"][root + path]["post"]

    assert "requestBody" not in operation
    path_ids = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
    assert path_ids == {"id", "delivery_id"} & set(re.findall(r"{(\w+)}", path))


def test_the_webhooks_tag_tells_receivers_how_to_verify(schema):
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}

    for words in (
        "`/webhooks`",
        "`webhooks:manage`",
        "`Webhook-Id`",
        "`Webhook-Timestamp`",
        "`Webhook-Signature: t=<timestamp>,v1=<hex>`",
        "HMAC-SHA256 of `<t>.` followed by the raw body",
        "`whsec_...`",
        "constant time",
        "within 5 minutes",
        "24 hours after a secret is rotated",
        "after 30 seconds",
        "up to 1 hour between tries",
        "72 hours after its first try",
        "`POST .../resend`",
        "de-duplicate on `Webhook-Id`",
        "order by `sequence`",
        "`transaction.created`",
        "`import.completed`",
        "`group.contribution`",
        "`batch.completed`",
        "`WebhookEvent`",
    ):
        assert words in tags["Webhooks"], words


def test_the_event_a_receiver_gets_is_a_component(schema):
    components = schema["components"]["schemas"]
    event = components["WebhookEvent"]
    members = {"id", "type", "created_at", "sequence", "account", "data"}

    assert (set(event["properties"]), set(event["required"])) == (
        members,
        members,
    )
    assert event["properties"]["type"] == {
        "$ref": "#/components/schemas/WebhookEventTypeEnum"
    }
    accounts = event["properties"]["account"]["oneOf"]
    assert [shape["required"] for shape in accounts] == [
        ["user_id"],
        ["partner_id"],
    ]
    shapes = event["properties"]["data"]["oneOf"]
    assert [shape["required"] for shape in shapes] == [
        ["transaction"],
        ["import"],
        ["batch"],
        ["group", "contribution"],
    ]
    for shape in shapes:
        for prop in shape["properties"].values():
            if "$ref" in prop:
                assert prop["$ref"].rsplit("/", 1)[1] in components
    example = event["example"]
    assert set(example) == members
    assert example["type"] == "transaction.created"
    assert set(example["account"]) == {"user_id"}
    _keys_match(schema, "Transaction", example["data"]["transaction"])
