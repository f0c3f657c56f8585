"""Freezes in the admin: made and lifted through the services, kept."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounting import errors, models, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db

ADD = "admin:accounting_freeze_add"
CHANGELIST = "admin:accounting_freeze_changelist"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


def freeze_form(holder, **overrides):
    data = {
        "holder": str(holder.pk),
        "currency": "USD",
        "mode": "debit",
        "reason": "Chargeback under review",
        "expires_at_0": "",
        "expires_at_1": "",
    }
    return data | overrides


def freeze(holder, mode="full", currency="USD", **kwargs):
    return services.freeze_create(
        holder=holder,
        currency=currency,
        mode=mode,
        reason=kwargs.pop("reason", "Court order"),
        created_by="seed@example.com",
        **kwargs,
    )


def lift_url(frozen):
    return reverse("admin:accounting_freeze_lift", args=[frozen.pk])


def change_url(frozen):
    return reverse("admin:accounting_freeze_change", args=[frozen.pk])


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_freeze_a_wallet_from_the_form(staff, holder):
    services.credit_apply(holder_id=holder.pk, amount=1_000, currency="USD")

    response = staff.post(reverse(ADD), freeze_form(holder))

    assert response.status_code == 302, response.content
    frozen = models.Freeze.objects.get()
    assert (frozen.holder, frozen.currency, frozen.mode) == (
        holder,
        "USD",
        "debit",
    )
    assert (frozen.reason, frozen.created_by) == (
        "Chargeback under review",
        "staff@example.com",
    )
    assert frozen.expires_at is None
    # The service ran: the API now refuses money out, and lets money in.
    with pytest.raises(errors.AccountFrozenError):
        services.withdrawal_apply(
            holder_id=holder.pk, amount=100, currency="USD"
        )
    services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")


def test_freeze_a_holder_until_an_instant(staff, holder):
    services.account_open(holder=holder, currency="EUR")
    until = timezone.localtime() + dt.timedelta(days=2)

    response = staff.post(
        reverse(ADD),
        freeze_form(
            holder,
            currency="",
            mode="credit",
            expires_at_0=until.strftime("%Y-%m-%d"),
            expires_at_1=until.strftime("%H:%M:%S"),
        ),
    )

    assert response.status_code == 302, response.content
    frozen = models.Freeze.objects.get()
    assert (frozen.currency, frozen.mode) == ("", "credit")
    assert frozen.expires_at == until.replace(microsecond=0)
    for currency in ("USD", "EUR"):
        with pytest.raises(errors.AccountFrozenError):
            services.credit_apply(
                holder_id=holder.pk, amount=100, currency=currency
            )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reason": ""}, "reason", "This field is required."),
        (
            {"expires_at_0": "2020-01-01", "expires_at_1": "00:00:00"},
            "expires_at",
            "A freeze must expire in the future (or never).",
        ),
        ({"currency": "JPY"}, "currency", "has no JPY wallet."),
        ({"mode": "sideways"}, "mode", "Select a valid choice."),
    ],
)
def test_the_form_shows_why_a_freeze_is_refused(
    staff, holder, overrides, field, message
):
    response = staff.post(reverse(ADD), freeze_form(holder, **overrides))

    assert response.status_code == 200
    errors_of = response.context["adminform"].form.errors
    assert any(message in error for error in errors_of[field]), errors_of
    assert not models.Freeze.objects.exists()


def test_the_form_is_prefilled_from_the_holder_or_account_page(staff, holder):
    response = staff.get(reverse(ADD) + f"?holder={holder.pk}&currency=USD")

    form = response.context["adminform"].form
    assert str(form.initial["holder"]) == str(holder.pk)
    assert form.initial["currency"] == "USD"
    choices = dict(form.fields["currency"].choices)
    assert choices[""] == "Every wallet"


def test_freezes_are_listed_and_filtered_by_state_mode_and_currency(
    staff, holder, clock
):
    other = factories.HolderFactory(email="zed@example.com")
    services.account_open(holder=holder, currency="EUR")
    active = freeze(holder, "debit", "USD")
    expired = freeze(
        holder, "credit", "EUR", expires_at=clock.now + dt.timedelta(hours=1)
    )
    lifted = freeze(other, "full", "")
    services.freeze_lift(freeze=lifted, reason="Done", lifted_by="x@y.z")
    clock.advance(hours=2)

    def listed(**query):
        response = staff.get(reverse(CHANGELIST), query)
        assert response.status_code == 200
        return {f.pk for f in response.context["cl"].result_list}

    assert listed() == {active.pk, expired.pk, lifted.pk}
    assert listed(state="active") == {active.pk}
    assert listed(state="expired") == {expired.pk}
    assert listed(state="lifted") == {lifted.pk}
    assert listed(mode="credit") == {expired.pk}
    assert listed(currency="") == {lifted.pk}
    assert listed(currency="USD") == {active.pk}
    assert listed(q="zed@") == {lifted.pk}
    page = staff.get(reverse(CHANGELIST)).content.decode()
    assert "every wallet" in page
    assert ">expired<" in page


def test_a_freeze_is_shown_never_edited_nor_deleted(staff, holder):
    frozen = freeze(holder)

    page = staff.get(change_url(frozen))
    changed = staff.post(change_url(frozen), {"reason": "Other"})
    deleted = staff.post(
        reverse("admin:accounting_freeze_delete", args=[frozen.pk]),
        {"post": "yes"},
    )

    assert page.status_code == 200
    assert lift_url(frozen) in page.content.decode()
    assert changed.status_code == 403
    assert deleted.status_code == 403
    frozen.refresh_from_db()
    assert frozen.reason == "Court order"


def test_lift_a_freeze_with_a_reason(staff, holder):
    frozen = freeze(holder)

    form = staff.get(lift_url(frozen))
    blank = staff.post(lift_url(frozen), {"lift_reason": "  "})
    response = staff.post(
        lift_url(frozen), {"lift_reason": "Documents received"}, follow=True
    )

    assert form.status_code == 200
    assert "Court order" in form.content.decode()
    assert blank.context["form"].errors == {
        "lift_reason": ["This field is required."]
    }
    assert messages_of(response) == [f"Freeze lifted: {frozen}."]
    frozen.refresh_from_db()
    assert (frozen.lifted_by, frozen.lift_reason) == (
        "staff@example.com",
        "Documents received",
    )
    assert frozen.lifted_at is not None
    # Money moves again, and the page offers no second lift.
    services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")
    assert (
        lift_url(frozen) not in staff.get(change_url(frozen)).content.decode()
    )
    again = staff.post(lift_url(frozen), {"lift_reason": "Again"}, follow=True)
    assert messages_of(again) == ["This freeze is lifted already."]
    frozen.refresh_from_db()
    assert frozen.lift_reason == "Documents received"


def test_a_lift_the_service_refuses_is_shown_on_the_form(
    staff, holder, monkeypatch
):
    frozen = freeze(holder)

    def refuse(**arguments):
        raise errors.FreezeInvalidError("lift_reason", "Say why.")

    monkeypatch.setattr(services, "freeze_lift", refuse)
    response = staff.post(lift_url(frozen), {"lift_reason": "x"})

    assert response.context["form"].errors == {"lift_reason": ["Say why."]}
    frozen.refresh_from_db()
    assert frozen.lifted_at is None


def test_lifting_needs_the_change_permission(client, holder):
    frozen = freeze(holder)
    user = get_user_model().objects.create_user(
        username="viewer", password="pw", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_freeze"))
    client.force_login(user)

    page = client.get(change_url(frozen))
    response = client.post(lift_url(frozen), {"lift_reason": "Mine"})

    assert page.status_code == 200
    assert lift_url(frozen) not in page.content.decode()
    assert response.status_code == 403
    frozen.refresh_from_db()
    assert frozen.lifted_at is None


def test_an_unknown_freeze_cannot_be_lifted(staff):
    response = staff.get(
        reverse(
            "admin:accounting_freeze_lift",
            args=["00000000-0000-4000-8000-000000000000"],
        )
    )

    assert response.status_code == 404


def test_holder_and_account_pages_show_freezes_and_link_to_freeze(
    staff, holder
):
    services.account_open(holder=holder, currency="EUR")
    wallet_freeze = freeze(holder, "debit", "USD", reason="Chargeback")
    freeze(holder, "credit", "", reason="KYC expired")
    lifted = freeze(holder, "full", "EUR", reason="Old")
    services.freeze_lift(freeze=lifted, reason="Done", lifted_by="x@y.z")
    usd = models.Account.objects.get(holder=holder, currency="USD", kind="main")
    eur = models.Account.objects.get(holder=holder, currency="EUR", kind="main")
    world = models.Account.objects.get(
        pk=models.Account.system_id(models.Account.Kind.WORLD, "USD")
    )

    holder_page = staff.get(
        reverse("admin:accounting_holder_change", args=[holder.pk])
    ).content.decode()
    usd_page = staff.get(
        reverse("admin:accounting_account_change", args=[usd.pk])
    ).content.decode()
    eur_page = staff.get(
        reverse("admin:accounting_account_change", args=[eur.pk])
    ).content.decode()
    world_page = staff.get(
        reverse("admin:accounting_account_change", args=[world.pk])
    ).content.decode()

    assert "Chargeback" in holder_page
    assert "KYC expired" in holder_page
    assert "Old" not in holder_page
    assert f"?holder={holder.pk}" in holder_page
    assert "Freeze this holder" in holder_page
    assert change_url(wallet_freeze) in usd_page
    assert "KYC expired" in usd_page
    assert "Freeze this wallet" in usd_page
    assert f"?holder={holder.pk}&amp;currency=USD" in usd_page
    assert "Chargeback" not in eur_page
    assert "KYC expired" in eur_page
    assert "Freeze this" not in world_page


def test_a_holder_without_freezes_says_none(staff, holder):
    page = staff.get(
        reverse("admin:accounting_holder_change", args=[holder.pk])
    ).content.decode()

    assert "None." in page
    assert "Freeze this holder" in page
