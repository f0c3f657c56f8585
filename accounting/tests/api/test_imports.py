"""POST and GET /internal/v1/holders/{id}/imports over HTTP."""

import uuid

import pytest

from accounting import models, services
from accounting.api import imports as import_apis
from accounting.tests import factories
from accounting.tests.api.test_operations import assert_same_shape
from config.testing import assert_problem

pytestmark = pytest.mark.django_db

STATEMENT = b"date,amount,description\n2026-11-02,25.00,Pay\n2026-11-03,x,Bad\n"


def url(user_id, rest=""):
    return f"/internal/v1/holders/{user_id}/imports{rest}"


def send(api_client, user_id, data=STATEMENT, query="", **headers):
    return api_client.generic(
        "POST",
        url(user_id) + query,
        data,
        content_type=headers.pop("content_type", "text/csv; charset=utf-8"),
        **headers,
    )


def test_a_statement_is_accepted_then_applied(api_client, holder):
    accepted = send(api_client, holder.pk, HTTP_IDEMPOTENCY_KEY="nov")

    assert accepted.status_code == 202, accepted.content
    body = accepted.json()
    assert body["status"] == "queued"
    assert body["rows"] == {
        "read": 0,
        "applied": 0,
        "duplicate": 0,
        "refused": 0,
    }
    assert body["size_bytes"] == len(STATEMENT)
    assert body["error"] is None
    assert body["completed_at"] is None
    assert "Idempotent-Replayed" not in accepted.headers
    services.import_run(import_id=uuid.UUID(body["id"]))

    done = api_client.get(url(holder.pk, f"/{body['id']}")).json()

    assert done["status"] == "completed"
    assert done["rows"] == {
        "read": 2,
        "applied": 1,
        "duplicate": 0,
        "refused": 1,
    }
    assert done["refusals"] == [
        {
            "line": 3,
            "code": "invalid_amount",
            "detail": "The amount 'x' is not a decimal such as 100.00 or "
            "-12.50 (nor zero).",
        }
    ]
    assert done["completed_at"] is not None
    serializer = import_apis.ImportSerializer(data=done)
    assert serializer.is_valid(), serializer.errors
    assert_same_shape(import_apis.ImportSerializer(), done)
    replay = send(api_client, holder.pk, HTTP_IDEMPOTENCY_KEY="nov")
    assert replay.status_code == 202
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == done


def test_options_name_the_currency_delimiter_and_columns(api_client, holder):
    services.account_open(holder=holder, currency="EUR")
    data = b"Buchung;Betrag\n2026-11-02;-0.00\n2026-11-02;3.50\n"

    accepted = send(
        api_client,
        holder.pk,
        data,
        "?currency=eur&delimiter=semicolon&date_column=Buchung"
        "&amount_column=BETRAG",
    )
    assert accepted.status_code == 202, accepted.content
    job = services.import_run(import_id=uuid.UUID(accepted.json()["id"]))

    assert (job.currency, job.delimiter) == ("EUR", ";")
    assert (job.rows_applied, job.rows_refused) == (1, 1)
    assert holder.accounts.get(kind="main", currency="EUR").balance == 350


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?currency=XXX", "unsupported_currency"),
        ("?delimiter=pipe", "validation_error"),
        ("?unknown=1", "validation_error"),
        ("?date_column=" + "d" * 201, "validation_error"),
    ],
)
def test_bad_options_store_nothing(api_client, holder, query, code):
    assert_problem(send(api_client, holder.pk, query=query), 400, code)
    assert not models.Import.objects.exists()


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b'{"rows": []}', "application/json", 415, "unsupported_media_type"),
        (STATEMENT, "text/plain", 415, "unsupported_media_type"),
        (b"", "text/csv", 400, "invalid_import"),
        (b"", "", 400, "invalid_import"),  # no body: an empty statement
        (b"date,amount\n", "", 415, "unsupported_media_type"),
        (b"when,what\n1,2\n", "text/csv", 400, "invalid_import"),
        (b"date,amount\n\xff\n", "text/csv", 400, "invalid_import"),
    ],
)
def test_a_body_that_is_no_statement_stores_nothing(
    api_client, holder, *, data, content_type, status, code
):
    response = send(api_client, holder.pk, data, content_type=content_type)

    assert_problem(response, status, code)
    assert not models.Import.objects.exists()


def test_a_statement_over_the_limit_is_413(api_client, holder, settings):
    settings.IMPORT_MAX_BYTES = 30

    response = send(api_client, holder.pk)

    assert_problem(response, 413, "payload_too_large")
    assert not models.Import.objects.exists()


def test_a_key_reused_for_another_file_is_422(api_client, holder):
    send(api_client, holder.pk, HTTP_IDEMPOTENCY_KEY="k")

    response = send(
        api_client, holder.pk, STATEMENT + b"2026-11-04,1\n",
        HTTP_IDEMPOTENCY_KEY="k",
    )  # fmt: skip

    assert_problem(response, 422, "idempotency_key_reused")
    assert models.Import.objects.count() == 1


def test_another_holders_import_is_not_found(api_client, holder):
    accepted = send(api_client, holder.pk).json()
    other = factories.HolderFactory()

    for import_id in (accepted["id"], "not-a-uuid", str(uuid.uuid4())):
        response = api_client.get(url(other.pk, f"/{import_id}"))
        assert_problem(response, 404, "import_not_found")


def test_an_unknown_holder_is_not_ready(api_client):
    response = send(api_client, uuid.uuid4())

    assert_problem(response, 409, "account_not_ready")
