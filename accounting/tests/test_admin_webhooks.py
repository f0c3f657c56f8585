"""The back office of webhooks: endpoints removed, deliveries resent."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from accounting import models, services
from config.testing import run_confirmed_action

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_staff_read_the_log_resend_and_remove(staff, holder):
    endpoint = services.endpoint_create(
        holder=holder, url="http://127.0.0.1:9/hooks", events=[]
    )
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    services.deliveries_send()  # refused: port 9 listens to nobody
    delivery = models.WebhookDelivery.objects.get()

    shown = staff.get(
        reverse("admin:accounting_webhookdelivery_change", args=[delivery.pk])
    )
    page = staff.get(
        reverse("admin:accounting_webhookendpoint_change", args=[endpoint.pk])
    )
    resent = staff.post(
        reverse("admin:accounting_webhookdelivery_changelist"),
        {"action": "resend_deliveries", "_selected_action": [delivery.pk]},
        follow=True,
    )
    removed = run_confirmed_action(
        staff,
        reverse("admin:accounting_webhookendpoint_changelist"),
        "remove_endpoints",
        [endpoint.pk],
    )

    assert shown.status_code == 200
    assert b"connection_refused" in shown.content
    assert b"transaction.created" in shown.content
    assert page.status_code == 200
    assert b"delivery log" in page.content
    assert endpoint.secret.encode() not in page.content
    assert "1 delivery(ies) to be sent again." in messages_of(resent)
    assert "1 endpoint(s) removed." in messages_of(removed)
    endpoint.refresh_from_db()
    assert endpoint.is_removed
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (
        "failed",
        "endpoint_removed",
    )
    assert (
        staff.get(reverse("admin:accounting_webhookdelivery_add")).status_code
        == 403
    )
