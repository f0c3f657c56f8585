"""conversion_apply: the rate of the instant, half-even, through fx."""

import datetime as dt
import decimal
import uuid

import pytest
from django.db.models import Sum

from accounting import errors, models, selectors, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_state, postings, wallet

pytestmark = pytest.mark.usefixtures("deferred_constraints")

D = decimal.Decimal


def convert(holder, amount, from_currency="USD", to_currency="EUR", **kw):
    return services.conversion_apply(
        holder_id=holder.pk,
        from_currency=from_currency,
        to_currency=to_currency,
        amount=amount,
        **kw,
    )


@pytest.fixture
def multi(holder):
    """A holder with 100.00 USD in main, and EUR and JPY wallets."""
    for currency in ("EUR", "JPY"):
        services.account_open(holder=holder, currency=currency)
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    return holder


def rate(base="USD", quote="EUR", value="0.92", **kwargs):
    return factories.RateFactory(
        base=base, quote=quote, rate=D(value), **kwargs
    )


def test_a_conversion_moves_both_wallets_through_fx(multi):
    used = rate(value="0.9215")

    result = convert(multi, 2_500, description="Trip")

    assert not result.replayed
    body = result.body
    # 25.00 x 0.9215 = 23.0375 EUR: 23.04 to the cent.
    assert body["balances"] == {"main": "75.00", "savings": "0.00"}
    assert body["to_balances"] == {"main": "23.04", "savings": "0.00"}
    assert body["rate"] == {
        "base": "USD",
        "quote": "EUR",
        "rate": "0.9215",
        "valid_from": body["rate"]["valid_from"],
    }
    assert body["rate"]["valid_from"].endswith("Z")
    txn = body["transaction"]
    assert txn["effective_at"] == txn["occurred_at"]
    assert {
        k: txn[k] for k in txn if k not in ("id", "occurred_at", "effective_at")
    } == {
        "kind": "conversion",
        "amount": "25.00",
        "currency": "USD",
        "description": "Trip",
        "source": "",
        "category": None,
        "splits": [
            {"account_kind": "main", "currency": "USD", "amount": "-25.00"},
            {"account_kind": "main", "currency": "EUR", "amount": "23.04"},
        ],
        "plan": None,
        "counterparty_account": None,
        "conversion": {
            "to_amount": "23.04",
            "to_currency": "EUR",
            "rate": "0.9215",
        },
        "group": None,
        "reverses": None,
        "reversed_by": None,
    }
    stored = models.Transaction.objects.get(pk=txn["id"])
    assert (stored.to_amount, stored.to_currency) == (2_304, "EUR")
    assert (stored.rate_id, stored.fx_rate) == (used.id, D("0.9215"))
    assert postings(stored) == [
        ("main", "USD", -2_500, 2, 7_500),
        ("fx", "USD", 2_500, None, None),
        ("fx", "EUR", -2_304, None, None),
        ("main", "EUR", 2_304, 1, 2_304),
    ]
    fx_ids = {
        models.Account.system_id("fx", currency) for currency in ("USD", "EUR")
    }
    assert (
        set(
            stored.entries.filter(sequence=None).values_list(
                "account_id", flat=True
            )
        )
        == fx_ids
    )
    assert (
        selectors.transaction_data(
            selectors.transaction_get(holder=multi, transaction_id=txn["id"])
        )
        == txn
    )


def test_every_currency_sums_to_zero_with_the_fx_accounts(multi):
    rate(value="0.92")
    rate(base="EUR", quote="JPY", value="161.37")
    rate(base="JPY", quote="USD", value="0.0067")
    convert(multi, 5_000)  # 46.00 EUR
    convert(multi, 1_234, "EUR", "JPY")  # 12.34 x 161.37 = 1991.3058
    convert(multi, 1_991, "JPY", "USD")  # 1991 x 0.0067 = 13.3397 USD

    totals = dict(
        models.Entry.objects.values_list("currency").annotate(Sum("amount"))
    )
    assert totals == {"USD": 0, "EUR": 0, "JPY": 0}
    fx = {
        currency: models.Entry.objects.filter(
            account_id=models.Account.system_id("fx", currency)
        ).aggregate(total=Sum("amount"))["total"]
        for currency in ("USD", "EUR", "JPY")
    }
    # What customers sold minus what they bought, per currency.
    assert fx == {
        "USD": 5_000 - 1_334,
        "EUR": 1_234 - 4_600,
        "JPY": -1_991 + 1_991,
    }
    assert {
        currency: wallet(multi, currency)["main"].balance
        for currency in ("USD", "EUR", "JPY")
    } == {"USD": 10_000 - 5_000 + 1_334, "EUR": 4_600 - 1_234, "JPY": 0}


@pytest.mark.parametrize(
    ("pair", "value", "amount", "expected"),
    [
        # USD cents -> JPY yen: amount / 100 x rate, to the yen.
        (("USD", "JPY"), "150", 1, 2),  # 1.5 -> 2
        (("USD", "JPY"), "250", 1, 2),  # 2.5 -> 2 (even)
        (("USD", "JPY"), "350", 1, 4),  # 3.5 -> 4
        (("USD", "JPY"), "149.99", 10_000, 14_999),
        (("USD", "JPY"), "151.2345", 333, 504),  # 503.610885 -> 504
        # JPY yen -> USD cents: amount x rate x 100, to the cent.
        (("JPY", "USD"), "0.005", 3, 2),  # 1.5 -> 2
        (("JPY", "USD"), "0.005", 5, 2),  # 2.5 -> 2 (even)
        (("JPY", "USD"), "0.0067", 1, 1),  # 0.67 -> 1
        # Same exponent: cents to cents.
        (("USD", "EUR"), "0.9", 5, 4),  # 4.5 -> 4 (even)
        (("USD", "EUR"), "0.9", 15, 14),  # 13.5 -> 14 (even)
        (("USD", "EUR"), "0.9", 25, 22),  # 22.5 -> 22 (even)
        (("USD", "EUR"), "0.9216", 10_000_000, 9_216_000),
    ],
)
def test_rounding_is_half_even_to_the_targets_minor_unit(
    multi, pair, value, amount, expected
):
    from_currency, to_currency = pair
    assert (
        services.converted_amount(
            amount=amount,
            rate=D(value),
            from_currency=from_currency,
            to_currency=to_currency,
        )
        == expected
    )
    rate(base=from_currency, quote=to_currency, value=value)
    services.credit_apply(
        holder_id=multi.pk, amount=amount, currency=from_currency
    )
    held = wallet(multi, to_currency)["main"].balance

    result = convert(multi, amount, from_currency, to_currency)

    assert result.transaction.to_amount == expected
    assert wallet(multi, to_currency)["main"].balance == held + expected


def test_the_newest_rate_valid_at_the_instant_is_used(multi, clock):
    now = clock.now
    rate(value="0.80", valid_from=now - dt.timedelta(days=10))
    current = rate(value="0.90", valid_from=now - dt.timedelta(days=1))
    future = rate(value="0.95", valid_from=now + dt.timedelta(hours=1))
    rate(base="EUR", quote="USD", value="2", valid_from=now)  # other pair

    first = convert(multi, 1_000)

    assert (first.transaction.rate_id, first.transaction.to_amount) == (
        current.id,
        900,
    )
    assert first.body["rate"]["rate"] == "0.9"
    clock.now = future.valid_from  # a rate is valid from its instant on
    second = convert(multi, 1_000)
    assert (second.transaction.rate_id, second.transaction.to_amount) == (
        future.id,
        950,
    )
    # The older conversion still shows the rate it used.
    old = selectors.transaction_get(
        holder=multi, transaction_id=str(first.transaction.id)
    )
    assert selectors.transaction_data(old)["conversion"]["rate"] == "0.9"
    assert old.rate_id == current.id


def test_rate_at_picks_the_newest_valid_from_not_after_the_instant(db, clock):
    del db
    now = clock.now
    older = rate(value="1.1", valid_from=now - dt.timedelta(days=2))
    newer = rate(value="1.2", valid_from=now)

    found = services.rate_at(base="USD", quote="EUR", at=now)
    assert found == newer
    just_before = now - dt.timedelta(microseconds=1)
    assert services.rate_at(base="USD", quote="EUR", at=just_before) == older
    with pytest.raises(errors.RateUnavailableError) as caught:
        services.rate_at(base="USD", quote="EUR", at=now - dt.timedelta(days=3))
    assert caught.value.detail == "No USD/EUR rate is available."


@pytest.mark.parametrize(
    "rates",
    [
        [],
        # The reverse pair is not inverted: a pair is quoted as given.
        [{"base": "EUR", "quote": "USD"}],
        # A rate that starts later is not valid yet.
        [{"valid_from": dt.datetime(2999, 1, 1, tzinfo=dt.UTC)}],
        [{"quote": "GBP"}],
    ],
)
def test_no_rate_at_the_instant_is_rate_unavailable(multi, rates):
    for kwargs in rates:
        rate(**kwargs)
    before = ledger_state()

    with pytest.raises(errors.RateUnavailableError) as caught:
        convert(multi, 1_000, idempotency_key="k", request_hash="h")

    assert caught.value.code == "rate_unavailable"
    assert caught.value.detail == "No USD/EUR rate is available."
    assert ledger_state() == before


def test_a_result_that_rounds_to_zero_is_amount_too_small(multi):
    rate(base="USD", quote="JPY", value="0.4")  # 1.00 USD buys 0.4 yen
    before = ledger_state()

    with pytest.raises(errors.AmountTooSmallError) as caught:
        convert(multi, 100, "USD", "JPY")

    assert caught.value.code == "amount_too_small"
    assert caught.value.detail == (
        "1.00 USD is less than the smallest JPY amount at this rate."
    )
    assert ledger_state() == before


def test_half_a_minor_unit_rounds_to_zero_too(multi):
    services.credit_apply(holder_id=multi.pk, amount=1, currency="JPY")
    rate(base="JPY", quote="USD", value="0.005")  # 1 yen = 0.5 cent -> 0

    with pytest.raises(errors.AmountTooSmallError):
        convert(multi, 1, "JPY", "USD")

    assert wallet(multi, "JPY")["main"].balance == 1


def test_the_same_currency_is_refused_before_anything_else(db):
    del db
    before = ledger_state()

    # Even for an unknown holder: the request itself is wrong.
    with pytest.raises(errors.SameCurrencyError) as caught:
        services.conversion_apply(
            holder_id=uuid.uuid4(),
            from_currency="USD",
            to_currency="USD",
            amount=100,
        )

    assert caught.value.code == "same_currency"
    assert ledger_state() == before


def test_more_than_main_holds_is_insufficient_funds(multi):
    rate()
    before = ledger_state()

    with pytest.raises(errors.InsufficientFundsError) as caught:
        convert(multi, 10_001)

    assert caught.value.code == "insufficient_funds"
    assert caught.value.detail == "The main account holds 100.00 USD."
    assert ledger_state() == before


def close(holder, currency):
    services.account_close(account=wallet(holder, currency)["main"])


@pytest.mark.parametrize(
    ("setup", "to_currency", "error", "code"),
    [
        (lambda h: close(h, "USD"), "EUR", errors.AccountClosedError,
         "account_closed"),
        (lambda h: close(h, "EUR"), "EUR", errors.AccountClosedError,
         "account_closed"),
        (lambda h: None, "GBP", errors.AccountNotOpenError,
         "account_not_open"),
    ],
)  # fmt: skip
def test_both_wallets_must_be_open(multi, setup, to_currency, error, code):
    rate(quote=to_currency)
    setup(multi)
    before = ledger_state()

    with pytest.raises(error) as caught:
        convert(multi, 100, "USD", to_currency)

    assert caught.value.code == code
    assert ledger_state() == before


def test_a_conversion_is_listed_under_both_currencies(multi):
    rate()
    txn = convert(multi, 1_000).transaction

    def listed(currency):
        page = selectors.transactions_page(
            holder=multi, currency=currency, kind="conversion"
        )
        return [t.id for t in page.results]

    assert listed("USD") == [txn.id]
    assert listed("EUR") == [txn.id]
    assert listed("JPY") == []
