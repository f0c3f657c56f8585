"""Webhooks over the internal API, for a holder and for a partner."""

import uuid

import pytest

from accounting import models, services
from accounting.api import webhooks as webhook_apis
from accounting.tests.api.test_operations import assert_same_shape
from config.testing import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_REQUIRE_HTTPS = False


@pytest.fixture
def partner():
    return models.Partner.objects.create(name="Acme Payroll")


@pytest.fixture(params=["holder", "partner"])
def account(request, holder, partner):
    """The path prefix of a holder's or a partner's webhooks."""
    if request.param == "holder":
        return f"/internal/v1/holders/{holder.pk}/webhooks"
    return f"/internal/v1/partners/{partner.pk}/webhooks"


def test_an_endpoint_is_made_shown_rotated_and_removed(
    api_client, account, receiver
):
    made = api_client.post(account, {"url": receiver.url}, format="json")

    assert made.status_code == 201, made.content
    body = made.json()
    assert body["secret"].startswith("whsec_")
    assert (body["url"], body["events"]) == (receiver.url, [])
    assert_same_shape(webhook_apis.WebhookWithSecretSerializer(), body)
    listed = api_client.get(account).json()["results"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    shown = api_client.get(f"{account}/{body['id']}").json()
    assert_same_shape(webhook_apis.WebhookSerializer(), shown)
    rotated = api_client.post(f"{account}/{body['id']}/secret")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != body["secret"]
    assert rotated.json()["previous_secret_until"] is not None
    removed = api_client.delete(f"{account}/{body['id']}")
    assert removed.status_code == 204
    assert api_client.get(account).json()["results"] == []
    for path in (f"{account}/{body['id']}", f"{account}/nope"):
        assert_problem(api_client.get(path), 404, "webhook_not_found")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "validation_error"),
        ({"url": "ftp://example.com"}, 422, "invalid_webhook_url"),
        ({"url": "https://example.invalid/h"}, 422, "invalid_webhook_url"),
        ({"url": "http://127.0.0.1:9/", "events": ["x"]}, 400,
         "validation_error"),
        ({"url": "http://127.0.0.1:9/", "secret": "mine"}, 400,
         "validation_error"),
    ],
)  # fmt: skip
def test_endpoints_that_are_not_ones_are_refused(
    api_client, holder, body, status, code
):
    answer = api_client.post(
        f"/internal/v1/holders/{holder.pk}/webhooks", body, format="json"
    )

    assert_problem(answer, status, code)
    assert not models.WebhookEndpoint.objects.exists()


def test_a_partner_subscribes_to_its_own_events_only(
    api_client, partner, receiver
):
    answer = api_client.post(
        f"/internal/v1/partners/{partner.pk}/webhooks",
        {"url": receiver.url, "events": ["transaction.created"]},
        format="json",
    )

    assert_problem(answer, 400, "validation_error")
    unknown = api_client.get(f"/internal/v1/partners/{uuid.uuid4()}/webhooks")
    assert_problem(unknown, 404, "not_found")


def test_the_delivery_log_pages_and_a_delivery_is_resent(
    api_client, holder, receiver
):
    made = api_client.post(
        f"/internal/v1/holders/{holder.pk}/webhooks",
        {"url": receiver.url, "events": ["transaction.created"]},
        format="json",
    ).json()
    for amount in (1_00, 2_00, 3_00):
        services.credit_apply(
            holder_id=holder.pk, amount=amount, currency="USD"
        )
    receiver.answer(status=503)
    services.deliveries_send()
    log = f"/internal/v1/holders/{holder.pk}/webhooks/{made['id']}/deliveries"

    first = api_client.get(log, {"limit": 2}).json()
    second = api_client.get(
        log, {"limit": 2, "cursor": first["next_cursor"]}
    ).json()

    page = first["results"] + second["results"]
    assert second["next_cursor"] is None
    assert [d["event"]["sequence"] for d in page] == [3, 2, 1]
    assert_same_shape(
        webhook_apis.WebhookDeliveryListApi.OutputSerializer(), first
    )
    assert {d["status"] for d in page} == {"pending"}
    assert page[0]["tries"] == [
        {
            "at": page[0]["tries"][0]["at"],
            "status_code": 503,
            "error": "http_5xx",
            "duration_ms": page[0]["tries"][0]["duration_ms"],
        }
    ]
    receiver.answer(status=200)
    resent = api_client.post(f"{log}/{page[0]['id']}/resend")
    assert resent.status_code == 202, resent.content
    assert resent.json()["status"] == "pending"
    services.deliveries_send()
    delivered = api_client.get(log, {"status": "delivered"}).json()["results"]
    assert [d["id"] for d in delivered] == [page[0]["id"]]
    assert delivered[0]["delivered_at"] is not None
    assert delivered[0]["next_attempt_at"] is None
    assert_problem(
        api_client.post(f"{log}/{uuid.uuid4()}/resend"),
        404,
        "delivery_not_found",
    )
    assert_problem(
        api_client.post(f"{log}/x/resend"), 404, "delivery_not_found"
    )
    assert_problem(api_client.get(log, {"cursor": "x"}), 400, "invalid_cursor")
