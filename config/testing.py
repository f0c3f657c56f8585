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
