"""Assertions and samples shared by every service's tests.

Each service answers errors as RFC 9457 problem details, and both admins
carry the platform's branding; their tests check them the same way, so
each check lives here once. A rule both edges apply (the gateway and
accounting) is tested at each with the same samples.
"""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client

from config import request_ids

PROBLEM_CONTENT_TYPE = "application/problem+json"

# A label longer than its bound as sent (118 characters), within it as
# stored (99: runs of spaces collapse): both edges accept it.
PADDED_LABEL = "  ".join(["Abcd"] * 20)
# A label within its bound as sent (60 characters), beyond it as stored
# (120: case folding turns each "ß" into "ss"): both edges refuse it.
FOLDED_LABEL = "\u00df" * 60


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Asserts a problem+json answer with that status and code.

    Args:
        response: A Django test client's response.
        status: The expected HTTP status, also the body's ``status``.
        code: The expected ``code``.

    Returns:
        The problem body, for further assertions, without its
        ``request_id``: that is checked here against the answer's
        ``X-Request-ID``, so the body compares with the document a service
        sent.
    """
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body.pop("request_id") == response["X-Request-ID"]
    return body


def assert_statuses_documented(
    schema: dict[str, Any], statuses: Mapping[str, int]
) -> None:
    """Asserts a schema documents each code under the status it answers.

    Every example problem of every operation is checked; codes the map
    does not hold (the framework's) are not.

    Args:
        schema: A generated OpenAPI schema.
        statuses: The service's map of codes to statuses.
    """
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                media = response.get("content", {}).get(PROBLEM_CONTENT_TYPE)
                for example in (media or {}).get("examples", {}).values():
                    code = example["value"]["code"]
                    if code in statuses:
                        where = (path, method, code)
                        assert str(statuses[code]) == status, where


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


def assert_branded(response: Any, service: str) -> None:
    """Asserts an admin page carries the platform's branding for a service.

    The title and the header read "Savings platform — <service>", with the
    environment's name, from the project's ``templates/admin/base_site.html``,
    not Django's own, and its stylesheet is the platform's.

    Args:
        response: A Django test client's response for an admin page.
        service: ``users`` or ``accounting``.
    """
    brand = f"Savings platform — {service}"
    environment = re.escape(settings.ENVIRONMENT_NAME)
    html = response.content.decode()
    assert re.search(
        rf"<title>[^<]* \| {brand} \({environment}\)</title>", html
    ), html[:500]
    assert re.search(
        rf'<div id="site-name"><a [^>]*>{brand}</a><span class="'
        rf'environment-badge [^"]*"[^>]*>{environment}</span>',
        html,
    )
    assert re.search(r'<link rel="stylesheet" href="[^"]*backoffice/', html)
    (base_site,) = (
        template
        for template in response.templates
        if template.name == "admin/base_site.html"
    )
    folder = Path(settings.BASE_DIR) / "templates"
    assert Path(base_site.origin.name) == folder / "admin/base_site.html"


def assert_takes_request_ids(guarded_path: str) -> None:
    """Asserts a service takes the gateway's request id, or makes its own.

    Its answers carry the id (in the header and in a problem's body), an
    answer to a call without one gets a fresh one, and a malformed one is
    replaced rather than echoed.

    Args:
        guarded_path: An internal API path that answers a call without a
            credential with the 401 problem ``not_authenticated``.
    """
    given = Client().get(guarded_path, HTTP_X_REQUEST_ID="from-the-gateway")
    assert given["X-Request-ID"] == "from-the-gateway"
    assert given.json()["request_id"] == "from-the-gateway"
    assert_problem(given, 401, "not_authenticated")

    made = Client().get("/healthz")
    assert made.status_code == 200
    assert request_ids.well_formed(made["X-Request-ID"])

    replaced = Client().get(guarded_path, HTTP_X_REQUEST_ID="evil\x1b[2J")
    assert replaced["X-Request-ID"] != "evil\x1b[2J"
    assert replaced.json()["request_id"] == replaced["X-Request-ID"]


def run_confirmed_action(
    client: Client,
    changelist_url: str,
    action: str,
    selected: list[Any],
    reason: str = "Asked by the holder on ticket 42",
) -> Any:
    """Runs an admin action that asks for confirmation, as staff would.

    The first post (the action bar) must only show the confirmation page
    and change nothing the caller can see; the second confirms with a
    reason.

    Returns:
        The confirmed post's response, redirects followed.
    """
    ids = [str(pk) for pk in selected]
    asked = client.post(
        changelist_url,
        {"action": action, "_selected_action": ids, "index": 0},
    )
    assert asked.status_code == 200
    assert asked.templates[0].name == "admin/confirm_action.html"
    return client.post(
        changelist_url,
        {
            "action": action,
            "_selected_action": ids,
            "confirmed": "yes",
            "reason": reason,
        },
        follow=True,
    )
