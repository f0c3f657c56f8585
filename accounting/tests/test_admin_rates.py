"""The rate admin: staff publish rates; history is never edited."""

import datetime as dt
import decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounting import errors, models, services

pytestmark = pytest.mark.django_db

ADD = "admin:accounting_rate_add"
CHANGELIST = "admin:accounting_rate_changelist"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


def rate_form(**overrides):
    data = {
        "base": "USD",
        "quote": "EUR",
        "rate": "0.95",
        "valid_from_0": "",
        "valid_from_1": "",
    }
    return data | overrides


def publish(base="USD", quote="EUR", rate="0.92", valid_from=None):
    return services.rate_create(
        base=base,
        quote=quote,
        rate=decimal.Decimal(rate),
        valid_from=valid_from or dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        created_by="seed",
    )


def test_add_a_rate_valid_now(staff):
    assert staff.get(reverse(ADD)).status_code == 200
    before = timezone.now()

    response = staff.post(reverse(ADD), rate_form())

    assert response.status_code == 302
    rate = models.Rate.objects.get()
    assert (rate.base, rate.quote, rate.rate_display) == ("USD", "EUR", "0.95")
    assert rate.created_by == "staff@example.com"
    assert before <= rate.valid_from <= timezone.now()
    log = LogEntry.objects.get()
    assert log.object_id == str(rate.pk)
    assert log.get_edited_object() == rate


def test_add_a_rate_from_a_given_instant(staff):
    response = staff.post(
        reverse(ADD),
        rate_form(
            base="JPY",
            quote="MXN",
            rate="0.11333333",
            valid_from_0="2030-01-02",
            valid_from_1="03:04:05",
        ),
    )

    assert response.status_code == 302
    rate = models.Rate.objects.get()
    assert rate.valid_from == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert rate.rate == decimal.Decimal("0.11333333")


def test_the_signature_falls_back_to_the_username(client):
    user = get_user_model().objects.create_superuser(
        username="ops", email="", password="pw"
    )
    client.force_login(user)

    client.post(reverse(ADD), rate_form())

    assert models.Rate.objects.get().created_by == "ops"


OUT_OF_RANGE = (
    "A rate is above zero, below 100,000,000,000,000, with at most 10 "
    "decimal places."
)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        # The service's rules, shown on their fields.
        (
            {"quote": "USD"},
            "quote",
            "A rate's quote currency must differ from its base.",
        ),
        ({"rate": "0"}, "rate", OUT_OF_RANGE),
        ({"rate": "-1"}, "rate", OUT_OF_RANGE),
        ({"rate": "0.00000000001"}, "rate", OUT_OF_RANGE),
        ({"rate": "100000000000000"}, "rate", OUT_OF_RANGE),
        # What the form cannot parse.
        ({"base": "XXX"}, "base", "Select a valid choice."),
        ({"quote": "CHF"}, "quote", "Select a valid choice."),
        ({"rate": "abc"}, "rate", "Enter a number."),
        ({"rate": ""}, "rate", "This field is required."),
        (
            {"valid_from_0": "2030-13-01", "valid_from_1": "00:00"},
            "valid_from",
            "Enter a valid date.",
        ),
    ],
)
def test_invalid_rates_are_refused(staff, overrides, field, message):
    response = staff.post(reverse(ADD), rate_form(**overrides))

    assert response.status_code == 200  # the form again, with errors
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert not models.Rate.objects.exists()


def test_publishing_goes_through_the_service(staff, monkeypatch):
    calls = []
    create = services.rate_create

    def spy(**arguments):
        calls.append(arguments)
        return create(**arguments)

    monkeypatch.setattr(services, "rate_create", spy)

    response = staff.post(
        reverse(ADD),
        rate_form(valid_from_0="2030-01-02", valid_from_1="03:04:05"),
    )

    assert response.status_code == 302
    assert calls == [
        {
            "base": "USD",
            "quote": "EUR",
            "rate": decimal.Decimal("0.95"),
            "valid_from": dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            "created_by": "staff@example.com",
        }
    ]
    assert models.Rate.objects.get().rate == decimal.Decimal("0.95")


def test_the_form_shows_the_service_s_refusal(staff, monkeypatch):
    def refuse(**arguments):
        del arguments
        raise errors.RateBackdatedError("Not from then.")

    monkeypatch.setattr(services, "rate_validate", refuse)

    response = staff.post(reverse(ADD), rate_form())

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"valid_from": ["Not from then."]}
    assert not models.Rate.objects.exists()


def test_a_rate_twice_from_the_same_instant_is_refused(staff):
    publish(valid_from=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))

    response = staff.post(
        reverse(ADD),
        rate_form(valid_from_0="2030-01-01", valid_from_1="00:00:00"),
    )

    assert response.status_code == 200
    assert b"already exists" in response.content
    assert models.Rate.objects.count() == 1


def test_a_rate_cannot_start_before_the_pairs_last_conversion(staff, holder):
    publish()
    services.credit_apply(holder_id=holder.pk, amount=1000, currency="USD")
    services.account_open(holder=holder, currency="EUR")
    converted = services.conversion_apply(
        holder_id=holder.pk, from_currency="USD", to_currency="EUR", amount=100
    ).transaction
    at = converted.occurred_at
    before = at - dt.timedelta(seconds=1)
    after = at + dt.timedelta(seconds=1)

    refused = staff.post(
        reverse(ADD),
        rate_form(
            valid_from_0=f"{before:%Y-%m-%d}", valid_from_1=f"{before:%H:%M:%S}"
        ),
    )
    other_pair = staff.post(
        reverse(ADD),
        rate_form(
            quote="GBP",
            valid_from_0=f"{before:%Y-%m-%d}",
            valid_from_1=f"{before:%H:%M:%S}",
        ),
    )
    later = staff.post(
        reverse(ADD),
        rate_form(
            valid_from_0=f"{after:%Y-%m-%d}", valid_from_1=f"{after:%H:%M:%S}"
        ),
    )

    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert list(errors) == ["valid_from"]
    assert "used the rate valid then" in errors["valid_from"][0]
    assert (other_pair.status_code, later.status_code) == (302, 302)
    assert models.Rate.objects.filter(quote="EUR").count() == 2
    # The conversion still shows the rate it used.
    converted.refresh_from_db()
    assert converted.rate.rate_display == "0.92"


def test_rates_are_listed_filtered_and_never_changed(staff):
    old = publish()
    newer = publish(rate="0.93", valid_from=timezone.now())
    publish(base="GBP", quote="JPY", rate="189.87341772")
    changelist = reverse(CHANGELIST)

    listing = staff.get(changelist)
    by_quote = staff.get(changelist, {"quote": "JPY"})
    by_base = staff.get(changelist, {"base__exact": "USD"})
    by_year = staff.get(changelist, {"valid_from__year": "2026"})
    view = staff.get(reverse("admin:accounting_rate_change", args=[old.pk]))
    edit = staff.post(
        reverse("admin:accounting_rate_change", args=[old.pk]),
        rate_form(rate="1"),
    )
    delete = staff.post(
        reverse("admin:accounting_rate_delete", args=[old.pk]), {"post": "yes"}
    )
    bulk = staff.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [old.pk, newer.pk]},
    )

    assert listing.status_code == 200
    for text in (b"0.92", b"0.93", b"189.87341772", b"seed"):
        assert text in listing.content
    assert b"0.9200000000" not in listing.content
    assert by_quote.context["cl"].result_count == 1
    assert by_base.context["cl"].result_count == 2
    assert by_year.context["cl"].result_count == 3
    assert view.status_code == 200
    assert b'name="_save"' not in view.content
    assert b"seed" in view.content  # created_by shown on the record
    assert (edit.status_code, delete.status_code) == (403, 403)
    assert bulk.status_code in {200, 302}
    assert models.Rate.objects.count() == 3
    old.refresh_from_db()
    assert old.rate_display == "0.92"


def test_staff_without_the_add_permission_cannot_publish(client):
    user = get_user_model().objects.create_user(
        username="viewer", password="pw", is_staff=True
    )
    client.force_login(user)

    response = client.post(reverse(ADD), rate_form())

    assert response.status_code == 403
    assert not models.Rate.objects.exists()
