"""Bodies no write endpoint can read: refused with a problem, nothing moved.

Each write path (credit, transfer, savings release, withdrawal, conversion,
plan choice, account opening) gets the same unreadable bodies; the ledger,
every balance and sequence and the holder's plan must stay as they were.
"""

import pytest
from django.conf import settings

from accounting.tests.conftest import ledger_state

pytestmark = pytest.mark.django_db

LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

# (method, path suffix, a body the endpoint accepts)
WRITES = {
    "credit": ("post", "credits", b'{"amount": "5"}'),
    "release": (
        "post",
        "transfers",
        b'{"kind": "savings_release", "amount": "5"}',
    ),
    "withdrawal": ("post", "withdrawals", b'{"amount": "5"}'),
    "conversion": (
        "post",
        "conversions",
        b'{"from_currency": "USD", "to_currency": "EUR", "amount": "5"}',
    ),
    "plan": ("put", "plan", b'{"plan_id": null}'),
    "accounts": ("post", "accounts", b'{"currency": "EUR"}'),
}

# (body or None for the valid one, media type, status, code)
BAD_BODIES = {
    "unclosed": (b"{", "application/json", 400, "malformed_json"),
    "trailing-comma": (
        b'{"a": 1, }',
        "application/json",
        400,
        "malformed_json",
    ),
    "not-utf8": (b"\xff\xfe{}", "application/json", 400, "malformed_json"),
    "empty": (b"", "application/json", 400, "validation_error"),
    "array": (b"[]", "application/json", 400, "validation_error"),
    "string": (b'"5"', "application/json", 400, "validation_error"),
    "text": (None, "text/plain", 415, "unsupported_media_type"),
    "form": (
        None,
        "application/x-www-form-urlencoded",
        415,
        "unsupported_media_type",
    ),
    "xml": (None, "application/xml", 415, "unsupported_media_type"),
    "over-1MiB": (None, "application/json", 413, "payload_too_large"),
}


@pytest.mark.usefixtures("rates")
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES)
@pytest.mark.parametrize("bad", BAD_BODIES.values(), ids=BAD_BODIES)
def test_an_unreadable_body_changes_nothing(api_client, wallets, write, bad):
    method, suffix, valid = write
    raw, content_type, status, code = bad
    if status == 413:
        # A valid document padded with whitespace one byte past the limit.
        raw = valid + b" " * (LIMIT + 1 - len(valid))
    elif raw is None:
        raw = valid  # readable JSON, sent under the wrong media type
    before = ledger_state()

    response = getattr(api_client, method)(
        f"/internal/v1/holders/{wallets.pk}/{suffix}",
        data=raw,
        content_type=content_type,
    )

    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert ledger_state() == before


@pytest.mark.usefixtures("rates")
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES)
def test_a_body_of_exactly_1_mib_is_read(api_client, wallets, write):
    method, suffix, valid = write
    raw = valid + b" " * (LIMIT - len(valid))

    response = getattr(api_client, method)(
        f"/internal/v1/holders/{wallets.pk}/{suffix}",
        data=raw,
        content_type="application/json",
    )

    assert response.status_code in {200, 201}, response.content
