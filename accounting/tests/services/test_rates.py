"""rate_create, rate_validate and rate_use: rates are history."""

import concurrent.futures
import datetime as dt
import decimal

import pytest
from django.db import IntegrityError, connection, transaction

from accounting import errors, models, selectors, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_state

D = decimal.Decimal
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def publish(base="USD", quote="EUR", rate="0.92", valid_from=AT, **kwargs):
    return services.rate_create(
        base=base, quote=quote, rate=D(rate), valid_from=valid_from, **kwargs
    )


def rates():
    return list(
        models.Rate.objects.order_by("pk").values_list(
            "base", "quote", "rate", "valid_from"
        )
    )


# --- Publishing -------------------------------------------------------------


@pytest.mark.usefixtures("deferred_constraints")
def test_rate_create_publishes_a_rate(clock):
    valid_from = clock.now + dt.timedelta(hours=2)

    created = services.rate_create(
        base="USD",
        quote="JPY",
        rate=D("151.25"),
        valid_from=valid_from,
        created_by="staff@example.com",
    )

    stored = models.Rate.objects.get(pk=created.pk)
    assert (stored.base, stored.quote, stored.rate) == (
        "USD",
        "JPY",
        D("151.25"),
    )
    assert (stored.valid_from, stored.created_by) == (
        valid_from,
        "staff@example.com",
    )
    assert stored.created_at == clock.now
    # Not valid yet: conversions keep using what was there before.
    with pytest.raises(errors.RateUnavailableError):
        services.rate_at(base="USD", quote="JPY", at=clock.now)
    assert services.rate_at(base="USD", quote="JPY", at=valid_from) == stored


def test_without_an_instant_a_rate_starts_now(db, clock):
    del db
    created = services.rate_create(base="EUR", quote="USD", rate=D("1.08"))

    assert models.Rate.objects.get().valid_from == created.valid_from
    assert created.valid_from == clock.now


def test_a_correction_is_a_newer_rate(db, clock):
    del db
    first = services.rate_create(
        base="EUR", quote="USD", rate=D("1.08"), valid_from=clock.now
    )
    clock.advance(minutes=5)
    second = services.rate_create(
        base="EUR", quote="USD", rate=D("1.09"), valid_from=clock.now
    )

    assert services.rate_at(base="EUR", quote="USD", at=clock.now) == second
    first.refresh_from_db()
    assert first.rate == D("1.08")
    assert models.Rate.objects.count() == 2


@pytest.mark.parametrize(
    "value",
    ["0.0000000001", "0.92000000000000", "99999999999999.9999999999", "1E+2"],
)
def test_rates_the_column_holds_exactly_are_accepted(db, value):
    del db
    created = publish(rate=value)

    assert models.Rate.objects.get().rate == D(value) == created.rate


# --- Refusals ---------------------------------------------------------------


def test_rate_create_refuses_a_pair_of_one_currency(db):
    del db
    with pytest.raises(errors.SameCurrencyError) as caught:
        publish(quote="USD")

    assert caught.value.code == "same_currency"
    assert caught.value.detail == (
        "A rate's quote currency must differ from its base."
    )
    assert not models.Rate.objects.exists()


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "-1.5",
        "0.00000000001",  # rounded to 0 by numeric(24, 10)
        "0.12345678901",  # rounded to another rate
        "100000000000000",
        "NaN",
        "Infinity",
    ],
)
def test_a_rate_the_column_cannot_hold_is_refused(db, value):
    del db
    with pytest.raises(errors.RateInvalidError) as caught:
        publish(rate=value)

    assert (caught.value.field, caught.value.code) == (
        "rate",
        "validation_error",
    )
    assert caught.value.detail == (
        "A rate is above zero, below 100,000,000,000,000, with at most 10 "
        "decimal places."
    )
    assert not models.Rate.objects.exists()


@pytest.mark.parametrize("field", ["base", "quote"])
def test_an_unsupported_currency_is_refused(db, field):
    del db
    with pytest.raises(errors.RateInvalidError) as caught:
        publish(**{field: "CHF"})

    assert (caught.value.field, caught.value.code) == (
        field,
        "unsupported_currency",
    )
    assert not models.Rate.objects.exists()


def test_one_rate_per_pair_and_instant(db):
    del db
    publish(rate="0.9")

    with pytest.raises(errors.RateInvalidError) as caught:
        publish(rate="0.91")

    assert caught.value.field == "valid_from"
    assert caught.value.detail == (
        "A USD/EUR rate from this instant already exists."
    )
    # The same instant for another pair (or the reverse pair) is fine.
    publish(base="EUR", quote="USD", rate="1.1")
    assert models.Rate.objects.count() == 2


def test_the_database_refuses_what_the_service_refuses(db):
    del db
    publish()
    for fields in (
        {"rate": D("0")},
        {"rate": D("-1")},
        {"valid_from": AT},  # the pair's instant again
        {"quote": "USD"},
    ):
        row = {"base": "USD", "quote": "EUR", "rate": D("1")}
        row |= {"valid_from": AT + dt.timedelta(days=1)} | fields
        with pytest.raises(IntegrityError), transaction.atomic():
            models.Rate.objects.create(**row)

    assert models.Rate.objects.count() == 1


# --- No rate under a conversion ---------------------------------------------


@pytest.fixture
def converted(holder, clock, deferred_constraints):
    """A USD to EUR conversion at ``clock.now``, at a rate of yesterday."""
    del deferred_constraints
    publish(valid_from=clock.now - dt.timedelta(days=1))
    services.account_open(holder=holder, currency="EUR")
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    clock.advance(seconds=1)
    return services.conversion_apply(
        holder_id=holder.pk, from_currency="USD", to_currency="EUR", amount=100
    ).transaction


@pytest.mark.parametrize(
    "delta",
    [
        dt.timedelta(microseconds=-1),
        dt.timedelta(0),  # would be the rate valid at the conversion
        dt.timedelta(days=-1, microseconds=1),
    ],
)
def test_a_rate_starting_at_or_before_the_last_conversion_is_refused(
    converted, clock, delta
):
    del clock
    before = (rates(), ledger_state())

    with pytest.raises(errors.RateBackdatedError) as caught:
        publish(rate="0.5", valid_from=converted.occurred_at + delta)

    error = caught.value
    assert error.code == "rate_backdated"
    at = converted.occurred_at
    assert error.detail == (
        f"A USD/EUR conversion at {at:%Y-%m-%d %H:%M:%S.%f} UTC used the rate "
        "valid then; a new rate must start after it."
    )
    assert (rates(), ledger_state()) == before
    # History still says which rate applied at the conversion.
    used = services.rate_at(base="USD", quote="EUR", at=converted.occurred_at)
    assert used.pk == converted.rate_id


def test_the_validation_alone_refuses_it_too(converted):
    with pytest.raises(errors.RateBackdatedError):
        services.rate_validate(
            base="USD",
            quote="EUR",
            rate=D("0.5"),
            valid_from=converted.occurred_at,
        )


def test_a_rate_after_the_last_conversion_or_of_another_pair_is_accepted(
    converted, clock
):
    at = converted.occurred_at
    just_after = at + dt.timedelta(microseconds=1)

    publish(rate="0.5", valid_from=just_after)
    publish(base="EUR", quote="USD", rate="1.1", valid_from=at)
    publish(quote="GBP", rate="0.8", valid_from=at - dt.timedelta(hours=1))
    clock.advance(seconds=1)
    publish(rate="0.6", valid_from=None)

    assert [r[3] for r in rates()][1:] == [
        just_after,
        at,
        at - dt.timedelta(hours=1),
        clock.now,
    ]
    assert [f for f in selectors.ledger_verify() if f.count] == []


# --- Concurrency: a conversion and a rate of its pair -----------------------


def funded(holder):
    services.account_open(holder=holder, currency="EUR")
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    return holder


def in_thread(function, *args, **kwargs):
    """Runs ``function`` on a connection of its own, closed afterwards."""
    try:
        return function(*args, **kwargs)
    except errors.AccountingError as error:
        return error
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_rate_waits_for_a_conversion_in_flight_then_sees_it(holder):
    publish(valid_from=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    funded(holder)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            # The conversion is written, not committed: its pair is held.
            converted = services.conversion_apply(
                holder_id=holder.pk,
                from_currency="USD",
                to_currency="EUR",
                amount=100,
            ).transaction
            backdated = pool.submit(
                in_thread,
                publish,
                rate="0.5",
                valid_from=converted.occurred_at,
            )
            # Without the lock it would not see the conversion, and pass.
            with pytest.raises(concurrent.futures.TimeoutError):
                backdated.result(timeout=0.5)
        refused = backdated.result(timeout=10)

    assert isinstance(refused, errors.RateBackdatedError)
    assert models.Rate.objects.count() == 1
    assert [f for f in selectors.ledger_verify() if f.count] == []


@pytest.mark.django_db(transaction=True)
def test_a_conversion_waits_for_a_rate_being_published_then_applies_it(
    holder,
):
    old = publish(valid_from=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    funded(holder)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        with transaction.atomic():
            # Valid from now, not committed: its pair is held.
            new = publish(rate="0.5", valid_from=None)
            conversion = pool.submit(
                in_thread,
                services.conversion_apply,
                holder_id=holder.pk,
                from_currency="USD",
                to_currency="EUR",
                amount=100,
            )
            # Without the lock it would apply the old rate after the new
            # one's start.
            with pytest.raises(concurrent.futures.TimeoutError):
                conversion.result(timeout=0.5)
        applied = conversion.result(timeout=10).transaction

    assert applied.rate_id == new.pk != old.pk
    assert applied.occurred_at >= new.valid_from
    assert applied.to_amount == 50
    assert [f for f in selectors.ledger_verify() if f.count] == []


@pytest.mark.django_db(transaction=True)
def test_conversions_of_a_pair_do_not_wait_for_each_other(holder):
    publish(valid_from=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    funded(holder)
    other = funded(factories.HolderFactory())

    with (
        concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool,
        transaction.atomic(),
    ):
        services.conversion_apply(
            holder_id=holder.pk,
            from_currency="USD",
            to_currency="EUR",
            amount=100,
        )
        second = pool.submit(
            in_thread,
            services.conversion_apply,
            holder_id=other.pk,
            from_currency="USD",
            to_currency="EUR",
            amount=100,
        )
        result = second.result(timeout=10)

    assert not result.replayed
    assert models.Transaction.objects.filter(kind="conversion").count() == 2
