"""A request's id, from the gateway's answer to every process's log lines.

A user's complaint quotes the ``X-Request-ID`` the gateway answered (or a
problem's ``request_id``); the processes' log (``procs.log``, the
Procfile's text format) must then show that id on the gateway's lines,
on the lines of the service it called, and on the worker's lines of the
task the request caused.
"""

import re

import pytest

from tests.conftest import wait_until
from tests.e2e.conftest import PROCS_LOG
from tests.e2e.helpers import (
    log_in,
    new_email,
    new_password,
    problem,
    when_ready,
)

pytestmark = pytest.mark.e2e

# honcho's format: "HH:MM:SS name | line".
_LINE = re.compile(r"^\S+ (?P<name>\S+)\s+\| (?P<text>.*)$")


def _lines(process: str, request_id: str) -> list[str]:
    """The lines of one process that carry the id."""
    found = []
    for line in PROCS_LOG.read_text(errors="replace").splitlines():
        match = _LINE.match(line)
        if match and match["name"] == process and request_id in match["text"]:
            found.append(match["text"])
    return found


def _logged(process: str, request_id: str, *, needle: str = "") -> list[str]:
    """Waits until the process has logged a line with the id (and needle)."""
    return wait_until(
        lambda: [x for x in _lines(process, request_id) if needle in x],
        timeout=30,
        what=f"{process}'s line with {request_id} {needle}",
    )


def test_the_gateways_id_reaches_the_services_and_the_worker(api):
    email, password = new_email(), new_password()

    signup = api.post(
        "/auth/signup",
        json={"email": email, "password": password},
        headers={"X-Request-ID": "chosen-by-the-client"},
    )

    assert signup.status_code == 201, signup.text
    request_id = signup.headers["X-Request-ID"]
    # No proxy in front says it set the header: the gateway made the id.
    assert request_id != "chosen-by-the-client"
    # users served the gateway's call under it (gunicorn's access line)...
    _logged("users", request_id, needle='"POST /internal/v1/users')
    # ...and its outbox event's task ran in accounting's worker under it.
    _logged("worker", request_id, needle="accounting.apply_user_event")

    auth = {"Authorization": f"Bearer {log_in(api, email, password)['access']}"}
    refused = when_ready(
        lambda: api.post(
            "/withdrawals", json={"amount": "1000000.00"}, headers=auth
        )
    )
    body = problem(refused, 422, "insufficient_funds")
    assert body["request_id"] == refused.headers["X-Request-ID"]
    # Judged by accounting, logged by it and by the gateway under the id.
    _logged("accounting", body["request_id"], needle="Unprocessable")
    _logged("gateway", body["request_id"], needle="Unprocessable")
