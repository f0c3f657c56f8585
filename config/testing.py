"""Assertions shared by every service's tests.

Each service answers errors as RFC 9457 problem details; its tests check
them the same way, so the check lives here once.
"""

from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Asserts a problem+json answer with that status and code.

    Args:
        response: A Django test client's response.
        status: The expected HTTP status, also the body's ``status``.
        code: The expected ``code``.

    Returns:
        The problem body, for further assertions.
    """
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


def documented_problems(operation: dict[str, Any]) -> dict[str, set[str]]:
    """Returns the problem codes an OpenAPI operation documents, per status.

    Asserts on the way that every error response (4xx, 5xx) is the
    ``Problem`` component in ``application/problem+json`` and nothing else,
    with one example per code (``config.openapi``).

    Args:
        operation: An operation of a generated schema.

    Returns:
        ``{status: {code, ...}}`` for each error status.
    """
    documented = {}
    for status, response in operation["responses"].items():
        if status < "400":
            continue
        content = response["content"]
        assert list(content) == [PROBLEM_CONTENT_TYPE], (status, content)
        media = content[PROBLEM_CONTENT_TYPE]
        assert media["schema"] == {"$ref": "#/components/schemas/Problem"}
        documented[status] = {
            example["value"]["code"] for example in media["examples"].values()
        }
    return documented
