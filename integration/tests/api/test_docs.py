"""docs/api.md and the gateway's OpenAPI schema describe the same API.

The endpoint tables of docs/api.md (rows ``| METHOD | `path` | ... |
status ... |``) must list exactly the schema's operations, each once, with
its success status; its table of problem codes must hold every code the
schema documents, with the same status. An endpoint added without its
row, or a row left behind, fails here.
"""

import hmac
import re
from pathlib import Path

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from config.problems import Code
from integration.errors import ErrorCode

METHODS = ("get", "post", "put", "patch", "delete")
# | POST | `/api/v1/credits` | body | 201 `{transaction, balances}` |
ENDPOINT_ROW = re.compile(
    r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|.*\| (\d{3})\b[^|]*\|$"
)
# | `insufficient_funds` | 422 | when |
CODE_ROW = re.compile(r"^\| `([a-z_]+)` \| (\d{3}) \|")
CODES_HEADING = "#### Problem codes"


@pytest.fixture(scope="module")
def doc() -> list[str]:
    path = Path(settings.BASE_DIR) / "docs" / "api.md"
    return path.read_text().splitlines()


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _documented_endpoints(doc: list[str]) -> list[tuple[str, str, str]]:
    """Returns ``(method, path, status)`` of every endpoint row, in order."""
    rows = []
    for line in doc:
        first_cell = line.split("|")[1].strip() if line[:1] == "|" else ""
        if first_cell.lower() in METHODS:
            match = ENDPOINT_ROW.match(line)
            assert match, f"an endpoint row docs/api.md cannot read: {line}"
            method, path, status = match.groups()
            rows.append((method.lower(), path, status))
    return rows


def _served_endpoints(schema: dict) -> dict[tuple[str, str], str]:
    """Returns each operation's success status, by ``(method, path)``."""
    served = {}
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                (status,) = (
                    s for s in item[method]["responses"] if s.startswith("2")
                )
                served[method, path] = status
    return served


def _problem_codes(schema: dict) -> dict[str, set[str]]:
    """Returns the statuses the schema documents for each problem code."""
    codes: dict[str, set[str]] = {}
    for item in schema["paths"].values():
        for method in METHODS:
            if method not in item:
                continue
            for status, response in item[method]["responses"].items():
                content = response.get("content", {})
                problem = content.get("application/problem+json", {})
                for example in problem.get("examples", {}).values():
                    code = example["value"]["code"]
                    codes.setdefault(code, set()).add(status)
    return codes


def _code_table(doc: list[str]) -> dict[str, str]:
    """Returns the status of each code in the table of problem codes."""
    start = doc.index(CODES_HEADING)
    table = {}
    for line in doc[start + 1 :]:
        if line.startswith("#"):
            break
        match = CODE_ROW.match(line)
        if match:
            code, status = match.groups()
            assert code not in table, f"{code} is in the table twice"
            table[code] = status
    return table


def test_the_endpoint_tables_list_exactly_the_schemas_operations(doc, schema):
    rows = _documented_endpoints(doc)
    documented = [(method, path) for method, path, _ in rows]
    served = _served_endpoints(schema)

    assert len(documented) == len(set(documented)), "a row is there twice"
    assert sorted(set(served) - set(documented)) == [], "not in docs/api.md"
    assert sorted(set(documented) - set(served)) == [], "not in the schema"


def test_each_endpoint_row_gives_the_schemas_success_status(doc, schema):
    served = _served_endpoints(schema)
    for method, path, status in _documented_endpoints(doc):
        assert status == served[method, path], (method, path)


def test_the_code_table_has_every_code_of_the_schema_with_its_status(
    doc, schema
):
    table = _code_table(doc)
    for code, statuses in _problem_codes(schema).items():
        assert code in table, f"{code} is not in docs/api.md's table"
        assert statuses == {table[code]}, code


def test_the_code_table_names_only_codes_the_api_has(doc):
    known = {str(code) for code in (*Code, *ErrorCode)}
    assert sorted(set(_code_table(doc)) - known) == []


def test_every_other_mention_of_a_code_gives_the_tables_status(doc):
    table = _code_table(doc)
    for line in doc:
        match = CODE_ROW.match(line)
        if match:
            code, status = match.groups()
            assert table.get(code) == status, line


def _verifier(doc: list[str], secret: str):
    """Runs the Python example of docs/api.md's Webhooks section."""
    start = next(
        n for n, line in enumerate(doc) if line.startswith("**Verifying a")
    )
    opening = doc.index("```python", start)
    code = "\n".join(doc[opening + 1 : doc.index("```", opening + 1)])
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # noqa: S102 (our docs)
    namespace["SECRET"] = secret
    return namespace["verified"]


def _signature(secrets: list[str], stamp: int, body: bytes) -> str:
    """A ``Webhook-Signature`` as accounting writes it, one v1 a secret."""
    macs = (
        hmac.new(s.encode(), f"{stamp}.".encode() + body, "sha256").hexdigest()
        for s in secrets
    )
    return ",".join([f"t={stamp}", *(f"v1={mac}" for mac in macs)])


def test_the_documented_verifier_takes_what_we_sign_and_nothing_else(doc):
    secret, previous = "whsec_new", "whsec_old"
    verified = _verifier(doc, secret)
    body = b'{"id":"2b1a","type":"transaction.created"}'
    now = 1_767_225_600

    for signers in ([secret], [secret, previous], [previous, secret]):
        assert verified(_signature(signers, now, body), body, now=now)
    assert verified(_signature([secret], now - 300, body), body, now=now)
    assert verified(_signature([secret], now + 300, body), body, now=now)
    refused = [
        _signature([previous], now, body),
        _signature([secret], now - 301, body),
        _signature([secret], now + 301, body),
        _signature([secret], now, body + b" "),
        _signature([secret], now, body).upper(),
        _signature([secret], now, body) + f",t={now}",
        _signature([secret], now, body).replace(f"t={now},", ""),
        f"t=\u00b2,v1={'0' * 64}",
        f"t={now},v1=\u00e9{'0' * 63}",
        f"t={now},v1",
        "",
    ]
    for signature in refused:
        assert not verified(signature, body, now=now), signature
