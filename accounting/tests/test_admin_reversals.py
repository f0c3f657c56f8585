"""Reversing in the admin: the Reverse page, its permission, its errors."""

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounting import models, services
from accounting.tests import factories
from accounting.tests.conftest import corrupt, ledger_state

pytestmark = pytest.mark.django_db

REVERSE_LINK = "Reverse…"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="boss", email="boss@example.com", password="pw"
    )
    client.force_login(user)
    return client


def clerk(client, *codenames):
    """A staff member with only the view permission on transactions."""
    user = get_user_model().objects.create_user(
        username="clerk", email="", password="pw", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounting",
            codename__in=["view_transaction", *codenames],
        )
    )
    client.force_login(user)
    return client


def page(transaction):
    return reverse("admin:accounting_transaction_change", args=[transaction.pk])


def reverse_page(transaction):
    return reverse(
        "admin:accounting_transaction_reverse", args=[transaction.pk]
    )


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def credit_of(holder):
    return models.Transaction.objects.get(holder=holder, kind="credit")


def test_staff_reverse_a_credit_seeing_what_moves_first(staff, funded_holder):
    credit = credit_of(funded_holder)
    assert REVERSE_LINK in text(staff.get(page(credit)))

    form = staff.get(reverse_page(credit))

    assert form.status_code == 200
    assert [
        (line.holder, line.account, line.currency, line.amount)
        for line in form.context["preview"]
    ] == [
        ("", "world", "USD", "100.00"),
        (funded_holder.email, "main", "USD", "-90.00"),
        (funded_holder.email, "savings", "USD", "-10.00"),
    ]
    assert "a transaction of kind <code>reversal</code>" in text(form)
    assert f"<td>{funded_holder.email}</td><td>main</td>" in text(form)

    done = staff.post(reverse_page(credit), {"reason": "Paid twice"})

    reversal = models.Transaction.objects.get(kind="reversal")
    assert done.status_code == 302
    assert done["Location"] == page(reversal)
    shown = staff.get(done["Location"])
    assert f'Reversed: <a href="{page(reversal)}">' in text(shown)
    assert f'Reverses <a href="{page(credit)}">' in text(shown)
    assert ": Paid twice (boss@example.com, " in text(shown)
    assert REVERSE_LINK not in text(shown)
    record = models.Reversal.objects.get()
    assert (record.original, record.created_by) == (credit, "boss@example.com")
    original = text(staff.get(page(credit)))
    assert f'Reversed by <a href="{page(reversal)}">' in original
    assert REVERSE_LINK not in original


def test_a_transfer_shows_both_holders_and_reverses_both(staff, funded_holder):
    recipient = factories.HolderFactory(email="bob@example.com")
    sent = services.transfer_apply(
        holder_id=funded_holder.pk,
        to_account=recipient.accounts.get(kind="main").pk,
        amount=2_500,
        currency="USD",
    ).transaction
    received = models.Transaction.objects.get(pk=sent.related_id)

    form = staff.get(reverse_page(received))

    assert [(line.holder, line.amount) for line in form.context["preview"]] == [
        (funded_holder.email, "25.00"),
        ("", "-25.00"),
        ("", "25.00"),
        ("bob@example.com", "-25.00"),
    ]
    assert "2 transactions" in text(form)
    staff.post(reverse_page(received), {"reason": "Wrong payee"})
    assert models.Transaction.objects.filter(kind="reversal").count() == 2
    assert recipient.accounts.get(kind="main").balance == 0


def test_a_reason_is_required(staff, funded_holder):
    before = ledger_state()

    answer = staff.post(reverse_page(credit_of(funded_holder)), {"reason": ""})

    assert answer.status_code == 200
    assert answer.context["form"].errors == {
        "reason": ["This field is required."]
    }
    assert ledger_state() == before


def test_a_refusal_of_the_service_is_shown_on_the_form(staff, funded_holder):
    services.withdrawal_apply(
        holder_id=funded_holder.pk, amount=8_000, currency="USD"
    )
    before = ledger_state()

    answer = staff.post(
        reverse_page(credit_of(funded_holder)), {"reason": "Paid twice"}
    )

    assert answer.status_code == 200
    [error] = answer.context["form"].errors["reason"]
    assert error.endswith(
        "holds 10.00 USD; the reversal takes 90.00: 80.00 USD short."
    )
    assert ledger_state() == before
    assert not models.Reversal.objects.exists()


def test_asked_again_it_says_so_or_refuses_another_reason(staff, funded_holder):
    credit = credit_of(funded_holder)
    services.transaction_reverse(
        original=credit, reason="Paid twice", staff="other@example.com"
    )
    before = ledger_state()

    same = staff.post(reverse_page(credit), {"reason": "Paid twice"})
    shown = text(staff.get(same["Location"]))
    other = staff.post(reverse_page(credit), {"reason": "Fraud"})

    assert "Already reversed, for the same reason" in shown
    [error] = other.context["form"].errors["reason"]
    assert error.startswith("Reversed already by other@example.com at ")
    assert ledger_state() == before


def test_a_kind_without_a_mirror_offers_nothing(staff, funded_holder):
    released = services.savings_release_apply(
        holder_id=funded_holder.pk, amount=500, currency="USD"
    ).transaction

    assert REVERSE_LINK not in text(staff.get(page(released)))
    answer = staff.get(reverse_page(released), follow=True)

    assert "A savings_release cannot be reversed" in text(answer)
    assert answer.redirect_chain == [(page(released), 302)]


def test_reversing_needs_its_own_permission(client, funded_holder):
    credit = credit_of(funded_holder)
    viewer = clerk(client)
    before = ledger_state()

    assert viewer.get(page(credit)).status_code == 200
    assert REVERSE_LINK not in text(viewer.get(page(credit)))
    assert viewer.get(reverse_page(credit)).status_code == 403
    assert viewer.post(reverse_page(credit), {"reason": "x"}).status_code == 403
    assert ledger_state() == before


def test_with_the_permission_a_clerk_reverses_as_their_username(
    client, funded_holder
):
    credit = credit_of(funded_holder)
    reverser = clerk(client, "reverse_transaction")

    assert REVERSE_LINK in text(reverser.get(page(credit)))
    reverser.post(reverse_page(credit), {"reason": "Paid twice"})

    assert models.Reversal.objects.get().created_by == "clerk"


def test_an_unknown_transaction_is_not_found(staff):
    missing = reverse(
        "admin:accounting_transaction_reverse", args=[uuid.uuid4()]
    )
    assert staff.get(missing).status_code == 404


def test_the_reasons_are_listed_and_never_edited(staff, funded_holder):
    services.transaction_reverse(
        original=credit_of(funded_holder), reason="Paid twice", staff="boss"
    )
    listing = staff.get(
        reverse("admin:accounting_reversal_changelist"), {"q": "twice"}
    )
    record = models.Reversal.objects.get()

    assert list(listing.context["cl"].result_list) == [record]
    change = staff.post(
        reverse("admin:accounting_reversal_change", args=[record.pk]),
        {"reason": "Edited"},
    )
    assert change.status_code == 403
    assert models.Reversal.objects.get().reason == "Paid twice"


def test_a_reversal_whose_reason_is_lost_still_shows(staff, funded_holder):
    """A ledger broken around the service (verify_ledger names it)."""
    credit = credit_of(funded_holder)
    [reversal] = services.transaction_reverse(
        original=credit, reason="Paid twice", staff="boss"
    ).headers
    corrupt("DELETE FROM accounting_reversal")

    shown = text(staff.get(page(reversal)))

    assert f'Reverses <a href="{page(credit)}">credit 100.00 USD</a></div>' in (
        shown
    )
