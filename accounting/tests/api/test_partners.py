"""Partners over the internal API: keys verified, batches sent and read."""

import json
import uuid

import pytest

from accounting import models, services
from accounting.api import partners as partner_apis
from accounting.tests import factories
from accounting.tests.api.test_operations import assert_same_shape
from config import bounds
from config.testing import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return models.Partner.objects.create(name="Acme Payroll")


@pytest.fixture
def issued(partner):
    return services.key_issue(
        partner=partner,
        name="payroll",
        scopes=["credits:write"],
        rate_limit="600/min",
    )


def send(api_client, key, items, **headers):
    headers.setdefault("HTTP_IDEMPOTENCY_KEY", "batch-1")
    return api_client.post(
        f"/internal/v1/partner-keys/{key.pk}/credit-batches",
        {"items": items},
        format="json",
        **headers,
    )


def batch_url(partner, batch_id, rest=""):
    return f"/internal/v1/partners/{partner.pk}/credit-batches/{batch_id}{rest}"


def test_a_live_key_is_verified_with_what_it_may_do(api_client, issued):
    key, raw_key = issued

    answer = api_client.post(
        "/internal/v1/partner-keys/verify", {"key": raw_key}, format="json"
    )

    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "key_id": str(key.pk),
        "partner_id": str(key.partner_id),
        "partner_name": "Acme Payroll",
        "scopes": ["credits:write"],
        "rate_limit": "600/min",
    }
    assert_same_shape(partner_apis.PartnerKeySerializer(), answer.json())


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"key": "spk_nope"}, 401, "invalid_api_key"),
        ({}, 400, "validation_error"),
        ({"key": "x" * 201}, 400, "validation_error"),
        ({"key": "spk_x", "extra": 1}, 400, "validation_error"),
    ],
)
def test_anything_else_is_refused(api_client, issued, body, status, code):
    answer = api_client.post(
        "/internal/v1/partner-keys/verify", body, format="json"
    )

    assert_problem(answer, status, code)


def test_a_batch_is_accepted_then_applied_and_read(api_client, issued):
    key, _ = issued
    holder = factories.HolderFactory()

    accepted = send(
        api_client,
        key,
        [
            {
                "user": str(holder.pk),
                "amount": "12.50",
                "currency": "usd",
                "reference": "PAY-1",
            },
            {
                "user": "nobody@example.com",
                "amount": 3,
                "currency": "USD",
                "reference": "PAY-2",
            },
        ],
    )

    assert accepted.status_code == 202, accepted.content
    body = accepted.json()
    assert body["status"] == "queued"
    assert body["items"] == {
        "total": 2,
        "applied": 0,
        "refused": 0,
        "pending": 2,
    }
    assert body["error"] is None
    assert "Idempotent-Replayed" not in accepted.headers
    assert_same_shape(partner_apis.CreditBatchSerializer(), body)
    services.credit_batch_run(batch_id=uuid.UUID(body["id"]))

    done = api_client.get(batch_url(key.partner, body["id"])).json()
    assert done["status"] == "completed"
    assert done["items"] == {
        "total": 2,
        "applied": 1,
        "refused": 1,
        "pending": 0,
    }
    assert done["completed_at"] is not None
    page = api_client.get(batch_url(key.partner, body["id"], "/items")).json()
    assert page["next_cursor"] is None
    credit = models.Transaction.objects.get(holder=holder)
    assert page["results"] == [
        {
            "position": 0,
            "user": str(holder.pk),
            "amount": "12.50",
            "currency": "USD",
            "reference": "PAY-1",
            "status": "applied",
            "transaction_id": str(credit.pk),
            "error": None,
        },
        {
            "position": 1,
            "user": "nobody@example.com",
            "amount": "3.00",
            "currency": "USD",
            "reference": "PAY-2",
            "status": "refused",
            "transaction_id": None,
            "error": {
                "code": "user_not_found",
                "detail": "No user with that id or email.",
            },
        },
    ]
    assert_same_shape(
        partner_apis.CreditBatchItemListApi.OutputSerializer(), page
    )


def test_a_batch_sent_again_answers_the_first(api_client, issued):
    key, _ = issued
    items = [
        {"user": "a@example.com", "amount": "1", "currency": "USD",
         "reference": "R"},
    ]  # fmt: skip
    first = send(api_client, key, items).json()

    again = send(api_client, key, items)

    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"]
    other = [{**items[0], "amount": "2"}]
    assert_problem(send(api_client, key, other), 422, "idempotency_key_reused")


def test_a_batch_needs_a_key_and_a_live_api_key(api_client, issued):
    key, _ = issued
    items = [
        {"user": "a@example.com", "amount": "1", "currency": "USD",
         "reference": "R"},
    ]  # fmt: skip

    missing = api_client.post(
        f"/internal/v1/partner-keys/{key.pk}/credit-batches",
        {"items": items},
        format="json",
    )
    assert_problem(missing, 400, "invalid_idempotency_key")
    services.key_revoke(key=key)
    assert_problem(send(api_client, key, items), 401, "invalid_api_key")
    unknown = api_client.post(
        f"/internal/v1/partner-keys/{uuid.uuid4()}/credit-batches",
        {"items": items},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert_problem(unknown, 401, "invalid_api_key")
    assert not models.CreditBatch.objects.exists()


@pytest.mark.parametrize(
    ("items", "code", "pointer"),
    [
        ([], "validation_error", "items"),
        ("nope", "validation_error", "items"),
        ([{"user": "a@example.com", "amount": "1", "currency": "USD"}],
         "validation_error", "items"),
        ([{"user": "not an email", "amount": "1", "currency": "USD",
           "reference": "R"}], "validation_error", "items"),
        ([{"user": "a@example.com", "amount": "0", "currency": "USD",
           "reference": "R"}], "invalid_amount", "items"),
        ([{"user": "a@example.com", "amount": "1.001", "currency": "USD",
           "reference": "R"}], "invalid_amount", "items"),
        ([{"user": "a@example.com", "amount": "1", "currency": "XXX",
           "reference": "R"}], "unsupported_currency", "items"),
        ([{"user": "a@example.com", "amount": "1", "currency": "USD",
           "reference": "R" * 101}], "validation_error", "items"),
        ([{"user": "a@example.com", "amount": "1", "currency": "USD",
           "reference": "R", "note": "x"}], "validation_error", "items"),
        ([{"user": "a@example.com", "amount": "1", "currency": "USD",
           "reference": "R"}] * 2, "validation_error", "items"),
    ],
)  # fmt: skip
def test_a_batch_that_is_not_one_is_refused_whole(
    api_client, issued, items, code, pointer
):
    key, _ = issued

    problem = assert_problem(send(api_client, key, items), 400, code)

    assert pointer in json.dumps(problem)
    assert not models.CreditBatch.objects.exists()


def test_a_batch_of_the_most_items_is_taken_and_one_more_is_not(
    api_client, issued
):
    key, _ = issued
    item = {"user": "someone.with.a.long.name@example.com", "amount": "1.00",
            "currency": "USD"}  # fmt: skip
    most = bounds.CREDIT_BATCH_MAX_ITEMS
    items = [{**item, "reference": f"PAY-{n:06d}"} for n in range(most)]

    taken = send(api_client, key, items)
    too_many = send(
        api_client,
        key,
        [*items, {**item, "reference": "one more"}],
        HTTP_IDEMPOTENCY_KEY="batch-2",
    )

    assert taken.status_code == 202, taken.content[:300]
    assert taken.json()["items"]["total"] == most
    assert_problem(too_many, 400, "validation_error")


def test_a_body_over_the_largest_batch_is_refused(api_client, issued):
    key, _ = issued
    body = b'{"items": [' + b" " * bounds.CREDIT_BATCH_MAX_BYTES + b"]}"

    answer = api_client.generic(
        "POST",
        f"/internal/v1/partner-keys/{key.pk}/credit-batches",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert_problem(answer, 413, "payload_too_large")


def test_another_partners_batch_is_not_found(api_client, issued):
    key, _ = issued
    batch, _ = services.credit_batch_create(
        key=key,
        items=[services.BatchItemInput("a@example.com", 1, "USD", "R")],
        idempotency_key="k",
    )
    rival = models.Partner.objects.create(name="Rival")

    for url in (
        batch_url(rival, batch.id),
        batch_url(rival, batch.id, "/items"),
        batch_url(key.partner, "not-a-uuid"),
        batch_url(key.partner, uuid.uuid4(), "/items"),
    ):
        assert_problem(api_client.get(url), 404, "batch_not_found")


def test_items_are_paged_and_filtered(api_client, issued):
    key, _ = issued
    holder = factories.HolderFactory()
    items = [
        services.BatchItemInput(
            str(holder.pk) if n % 2 else "nobody@example.com",
            1_00,
            "USD",
            f"R{n}",
        )
        for n in range(7)
    ]
    batch, _ = services.credit_batch_create(
        key=key, items=items, idempotency_key="k"
    )
    services.credit_batch_run(batch_id=batch.id)

    def positions(query):
        answer = api_client.get(
            batch_url(key.partner, batch.id, "/items" + query)
        )
        assert answer.status_code == 200, answer.content
        page = answer.json()
        return [i["position"] for i in page["results"]], page["next_cursor"]

    assert positions("?limit=3") == ([0, 1, 2], "2")
    assert positions("?limit=3&cursor=2") == ([3, 4, 5], "5")
    assert positions("?limit=3&cursor=5") == ([6], None)
    assert positions("?status=applied") == ([1, 3, 5], None)
    assert positions("?status=refused&limit=2&cursor=0") == ([2, 4], "4")
    for query in (
        "?cursor=x",
        "?cursor=-1",
        "?cursor=1234567890",
        "?cursor=\u0661",
    ):
        assert_problem(
            api_client.get(batch_url(key.partner, batch.id, "/items" + query)),
            400,
            "invalid_cursor",
        )
    for query in ("?limit=0", "?limit=501", "?status=lost", "?page=2"):
        assert_problem(
            api_client.get(batch_url(key.partner, batch.id, "/items" + query)),
            400,
            "validation_error",
        )
