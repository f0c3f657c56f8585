"""The back office of partners: keys issued once, revoked, batches shown."""

import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from accounting import models, services
from accounting.tests import factories
from config.testing import run_confirmed_action

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


@pytest.fixture
def partner():
    return models.Partner.objects.create(name="Acme Payroll")


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_key_is_issued_and_shown_once(staff, partner):
    add = reverse("admin:accounting_partnerkey_add")
    form = staff.get(add)
    assert form.status_code == 200
    assert b"key_hash" not in form.content

    issued = staff.post(
        add,
        {
            "partner": partner.pk,
            "name": "payroll",
            "scopes": ["credits:write", "webhooks:manage"],
            "rate_limit": " 600/min ",
        },
        follow=True,
    )

    assert issued.status_code == 200
    [shown] = [m for m in messages_of(issued) if "spk_" in m]
    raw_key = re.search(r"spk_[A-Za-z0-9_-]{43}", shown).group()
    key = models.PartnerKey.objects.get()
    assert key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert (key.scopes, key.rate_limit, key.created_by) == (
        ["credits:write", "webhooks:manage"],
        "600/min",
        "staff@example.com",
    )
    page = staff.get(
        reverse("admin:accounting_partnerkey_change", args=[key.pk])
    )
    assert page.status_code == 200
    assert raw_key.encode() not in page.content
    assert key.prefix.encode() in page.content
    assert b'name="name"' not in page.content  # nothing to edit


@pytest.mark.parametrize("rate", ["600", "0/min", "fast", "10/fortnight"])
def test_a_rate_the_gateway_could_not_read_is_refused(staff, partner, rate):
    answer = staff.post(
        reverse("admin:accounting_partnerkey_add"),
        {
            "partner": partner.pk,
            "name": "k",
            "scopes": ["credits:write"],
            "rate_limit": rate,
        },
    )

    assert answer.status_code == 200
    assert b"requests per period" in answer.content
    assert not models.PartnerKey.objects.exists()


def test_keys_are_revoked_never_deleted(staff, partner):
    key, _ = services.key_issue(partner=partner, name="k", scopes=[])
    changelist = reverse("admin:accounting_partnerkey_changelist")

    revoked = run_confirmed_action(staff, changelist, "revoke_keys", [key.pk])

    assert "1 key(s) revoked." in messages_of(revoked)
    key.refresh_from_db()
    assert (key.is_revoked, key.revoked_by) == (True, "staff@example.com")
    page = staff.get(changelist)
    assert b"delete_selected" not in page.content
    delete = reverse("admin:accounting_partnerkey_delete", args=[key.pk])
    assert staff.get(delete).status_code == 403
    partner_page = staff.get(
        reverse("admin:accounting_partner_change", args=[partner.pk])
    )
    assert key.prefix.encode() in partner_page.content
    assert (
        staff.get(
            reverse("admin:accounting_partner_delete", args=[partner.pk])
        ).status_code
        == 403
    )


def test_batches_and_their_items_are_shown_never_edited(staff, partner):
    key, _ = services.key_issue(partner=partner, name="k", scopes=[])
    holder = factories.HolderFactory()
    batch, _ = services.credit_batch_create(
        key=key,
        items=[
            services.BatchItemInput(str(holder.pk), 12_50, "USD", "PAY-1"),
            services.BatchItemInput("x@example.com", 1_00, "USD", "PAY-2"),
        ],
        idempotency_key="k",
    )
    services.credit_batch_run(batch_id=batch.id)

    listed = staff.get(reverse("admin:accounting_creditbatch_changelist"))
    shown = staff.get(
        reverse("admin:accounting_creditbatch_change", args=[batch.pk])
    )
    items = staff.get(
        reverse("admin:accounting_creditbatchitem_changelist")
        + f"?batch__id__exact={batch.id}"
    )

    assert listed.status_code == shown.status_code == items.status_code == 200
    assert str(batch.pk).encode() in listed.content
    assert b"2 item(s)" in shown.content
    assert b"12.50" in items.content
    assert b"user_not_found" in items.content
    assert b"PAY-2" in items.content
    assert (
        staff.get(reverse("admin:accounting_creditbatch_add")).status_code
        == 403
    )


def test_a_key_without_its_own_rate_takes_the_gateways(staff, partner):
    staff.post(
        reverse("admin:accounting_partnerkey_add"),
        {"partner": partner.pk, "name": "k", "scopes": ["credits:write"]},
    )

    assert models.PartnerKey.objects.get().rate_limit == ""
