"""Four eyes in the admin: one staff asks, another approves or rejects."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounting import models, services
from config.testing import run_confirmed_action

pytestmark = pytest.mark.django_db

ACCOUNTS = "admin:accounting_account_changelist"


def staff_client(name, *, superuser=True):
    maker = get_user_model().objects
    if superuser:
        user = maker.create_superuser(
            username=name, email=f"{name}@example.com", password="pw"
        )
    else:
        user = maker.create_user(
            username=name,
            email=f"{name}@example.com",
            password="pw",
            is_staff=True,
        )
        user.user_permissions.add(
            Permission.objects.get(codename="view_staffrequest")
        )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def asker():
    return staff_client("asker")


@pytest.fixture
def approver():
    return staff_client("approver")


@pytest.fixture
def rich(holder):
    """A holder whose USD wallet holds more than one staff may close."""
    services.credit_apply(holder_id=holder.pk, amount=250_000, currency="USD")
    return holder


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def ask_to_close(client, holder):
    main = holder.accounts.get(kind="main", currency="USD")
    return run_confirmed_action(
        client, reverse(ACCOUNTS), "close_wallets", [main.pk], reason="Leaving"
    )


def decide(client, staff_request, decision, note=""):
    return client.post(
        reverse(
            "admin:accounting_staffrequest_decide", args=[staff_request.pk]
        ),
        {"decision": decision, "note": note},
        follow=True,
    )


def test_closing_a_wallet_above_the_limit_only_asks(asker, rich):
    response = ask_to_close(asker, rich)

    assert messages_of(response) == [
        "1 wallet(s) hold more than one staff member may close alone: "
        "asked for approval by another."
    ]
    asked = models.StaffRequest.objects.get()
    assert (asked.kind, asked.status, asked.amount, asked.reason) == (
        "closure",
        "pending",
        250_000,
        "Leaving",
    )
    assert not rich.accounts.filter(closed_at__isnull=False).exists()
    # Asking again while pending files nothing more.
    ask_to_close(asker, rich)
    assert models.StaffRequest.objects.count() == 1


def test_the_asker_sees_they_cannot_decide(asker, rich):
    ask_to_close(asker, rich)
    asked = models.StaffRequest.objects.get()

    page = asker.get(
        reverse("admin:accounting_staffrequest_change", args=[asked.pk])
    )
    forced = decide(asker, asked, "approve")

    assert "another staff member must decide" in page.content.decode()
    assert 'id="approve"' not in page.content.decode()
    assert messages_of(forced) == [
        "Another staff member must approve this: you asked for it."
    ]
    asked.refresh_from_db()
    assert asked.status == "pending"


def test_another_staff_approves_and_the_wallet_closes(asker, approver, rich):
    ask_to_close(asker, rich)
    asked = models.StaffRequest.objects.get()

    page = approver.get(
        reverse("admin:accounting_staffrequest_change", args=[asked.pk])
    )
    approved = decide(approver, asked, "approve", "Ticket 42 checked")

    assert 'id="approve"' in page.content.decode()
    assert "2500.00" in page.content.decode()
    assert messages_of(approved)[0].startswith("Approved and done")
    asked.refresh_from_db()
    assert (asked.status, asked.requested_by, asked.decided_by) == (
        "done",
        "asker@example.com",
        "approver@example.com",
    )
    assert rich.accounts.filter(closed_at__isnull=False).count() == 2
    record = models.StaffAction.objects.get(action="approve")
    assert (record.before["status"], record.after["status"]) == (
        "pending",
        "done",
    )
    assert record.reason == "Ticket 42 checked"
    assert record.staff_email == "approver@example.com"


def test_a_rejection_needs_a_note_and_closes_nothing(asker, approver, rich):
    ask_to_close(asker, rich)
    asked = models.StaffRequest.objects.get()

    silent = decide(approver, asked, "reject")
    rejected = decide(approver, asked, "reject", "No ticket for this")
    again = decide(approver, asked, "approve")

    assert messages_of(silent) == ["Say why the request is rejected."]
    assert messages_of(rejected)[0].startswith("Rejected:")
    assert messages_of(again) == ["This request was already decided."]
    asked.refresh_from_db()
    assert (asked.status, asked.decision_note) == (
        "rejected",
        "No ticket for this",
    )
    assert not rich.accounts.filter(closed_at__isnull=False).exists()


def test_a_refusal_at_approval_is_shown_and_kept(asker, approver):
    asked = services.staff_request_create(
        kind=models.StaffRequest.Kind.CLOSURE,
        target="gone",
        summary="a wallet since removed",
        params={"account": str(uuid.uuid4())},
        amount=10**8,
        currency="USD",
        reason="Leaving",
        staff=services.Staff(id="0", email="someone@example.com"),
    )

    response = decide(approver, asked, "approve")

    assert messages_of(response)[0].startswith(
        "Approved, but the ledger refused:"
    )
    asked.refresh_from_db()
    assert asked.status == "failed"


def test_deciding_needs_its_permission(asker, rich):
    ask_to_close(asker, rich)
    asked = models.StaffRequest.objects.get()
    viewer = staff_client("viewer", superuser=False)

    page = viewer.get(
        reverse("admin:accounting_staffrequest_change", args=[asked.pk])
    )
    forced = viewer.post(
        reverse("admin:accounting_staffrequest_decide", args=[asked.pk]),
        {"decision": "approve"},
    )

    assert page.status_code == 200
    assert 'id="approve"' not in page.content.decode()
    assert "allowed to decide" in page.content.decode()
    assert forced.status_code == 403
    asked.refresh_from_db()
    assert asked.status == "pending"


def test_a_decision_is_a_post_with_a_known_decision(approver, asker, rich):
    ask_to_close(asker, rich)
    asked = models.StaffRequest.objects.get()
    url = reverse("admin:accounting_staffrequest_decide", args=[asked.pk])

    assert approver.get(url).status_code == 405
    odd = approver.post(url, {"decision": "maybe"}, follow=True)

    assert "Select a valid choice" in messages_of(odd)[0]
    asked.refresh_from_db()
    assert asked.status == "pending"


def freeze_form(holder, currency="USD"):
    return {
        "holder": str(holder.pk),
        "currency": currency,
        "mode": "debit",
        "reason": "Chargeback under review",
        "expires_at_0": "",
        "expires_at_1": "",
    }


def test_freezing_a_wallet_above_the_limit_waits_for_another(
    asker, approver, rich
):
    asked_page = asker.post(
        reverse("admin:accounting_freeze_add"), freeze_form(rich), follow=True
    )

    asked = models.StaffRequest.objects.get()
    assert asked_page.redirect_chain[-1][0] == reverse(
        "admin:accounting_staffrequest_change", args=[asked.pk]
    )
    assert "asked for approval by another" in messages_of(asked_page)[0]
    assert (asked.kind, asked.amount, asked.currency) == (
        "freeze",
        250_000,
        "USD",
    )
    assert not models.Freeze.objects.exists()
    record = models.StaffAction.objects.get()
    assert (record.action, record.object_id) == (
        "request_freeze",
        str(asked.pk),
    )
    # Money still moves until it is approved.
    services.credit_apply(holder_id=rich.pk, amount=100, currency="USD")

    decide(approver, asked, "approve", "Chargeback confirmed")

    frozen = models.Freeze.objects.get()
    assert (frozen.mode, frozen.created_by) == ("debit", "asker@example.com")
    asked.refresh_from_db()
    assert asked.outcome == {"freeze": str(frozen.pk)}
    assert asked.decided_by == "approver@example.com"


def test_a_lift_is_recorded_in_the_trail(asker, holder):
    frozen = services.freeze_create(
        holder=holder,
        currency="USD",
        mode="full",
        reason="Court order",
        created_by="seed@example.com",
    )

    asker.post(
        reverse("admin:accounting_freeze_lift", args=[frozen.pk]),
        {"lift_reason": "Order withdrawn"},
    )

    record = models.StaffAction.objects.get(action="lift")
    assert record.before["lifted_at"] is None
    assert record.after["lifted_by"] == "asker@example.com"
    assert record.reason == "Order withdrawn"


def test_a_large_reversal_waits_for_another_and_is_recorded(
    asker, approver, rich
):
    credit = models.Transaction.objects.get(holder=rich, kind="credit")
    page = reverse("admin:accounting_transaction_reverse", args=[credit.pk])

    asked_page = asker.post(page, {"reason": "Paid twice"}, follow=True)

    asked = models.StaffRequest.objects.get()
    assert asked_page.redirect_chain[-1][0] == reverse(
        "admin:accounting_staffrequest_change", args=[asked.pk]
    )
    assert (asked.kind, asked.amount, asked.target) == (
        "reversal",
        250_000,
        str(credit.pk),
    )
    assert not models.Transaction.objects.filter(kind="reversal").exists()
    assert models.StaffAction.objects.get().action == "request_reversal"

    decide(approver, asked, "approve", "Duplicate confirmed")

    reversal = models.Transaction.objects.get(kind="reversal")
    assert reversal.reverses_id == credit.pk
    assert models.Reversal.objects.get().created_by == "asker@example.com"


def test_a_small_reversal_is_recorded_as_done(asker, holder):
    services.credit_apply(holder_id=holder.pk, amount=2_500, currency="USD")
    credit = models.Transaction.objects.get(holder=holder, kind="credit")

    asker.post(
        reverse("admin:accounting_transaction_reverse", args=[credit.pk]),
        {"reason": "Paid twice"},
    )

    record = models.StaffAction.objects.get()
    reversal = models.Transaction.objects.get(kind="reversal")
    assert (record.action, record.object_id) == ("reverse", str(credit.pk))
    assert record.after == {"reversals": [str(reversal.pk)], "created": True}
    assert record.reason == "Paid twice"
