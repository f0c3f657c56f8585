"""Rates are history, and each transaction kind has exactly its fields."""

import decimal
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounting import models
from accounting.tests import factories
from config.append_only import AppendOnlyError

pytestmark = pytest.mark.django_db

D = decimal.Decimal


def test_python_refuses_to_change_or_remove_a_rate():
    rate = factories.RateFactory()
    rate.rate = D("2")
    with pytest.raises(AppendOnlyError):
        rate.save()
    with pytest.raises(AppendOnlyError):
        rate.delete()
    assert models.Rate.objects.get().rate == D("0.92")


def test_postgresql_refuses_to_change_or_remove_a_rate():
    factories.RateFactory()
    for sql in (
        "UPDATE accounting_rate SET rate = 2",
        "DELETE FROM accounting_rate",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert models.Rate.objects.get().rate == D("0.92")


@pytest.mark.parametrize(
    ("base", "quote", "value"),
    [("USD", "USD", D("1")), ("USD", "EUR", D("0")), ("USD", "EUR", D("-1"))],
)
def test_the_database_refuses_bad_rates(base, quote, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Rate.objects.create(
            base=base, quote=quote, rate=value, valid_from=timezone.now()
        )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("0.9200000000"), "0.92"),
        (D("150.0000000000"), "150"),
        (D("100"), "100"),
        (D("1E+2"), "100"),
        (D("0.0000000001"), "0.0000000001"),
        (D("12345678901234.5"), "12345678901234.5"),
    ],
)
def test_rates_show_without_trailing_zeros(value, shown):
    assert models.format_rate(value) == shown
    rate = models.Rate(base="USD", quote="JPY", rate=value)
    assert rate.rate_display == shown
    assert str(rate) == f"1 USD = {shown} JPY"


def test_an_account_is_closed_once_it_has_a_closing_instant():
    account = models.Account(kind="main", currency="USD")
    assert not account.is_closed
    account.closed_at = timezone.now()
    assert account.is_closed


@pytest.mark.parametrize("kind", ["world", "fx", "clearing"])
def test_system_kinds_have_no_holder_and_customer_kinds_have_one(holder, kind):
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Account.objects.create(holder=holder, kind=kind, currency="GBP")
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Account.objects.create(kind="savings", currency="GBP")
    models.Account.objects.create(kind=kind, currency="GBP")


@pytest.fixture
def parts(holder):
    """What a transaction row may point at: a rate, an account, a header."""
    now = timezone.now()
    credit = models.Transaction.objects.create(
        holder=holder, kind="credit", amount=1, currency="USD", occurred_at=now
    )
    return {
        "holder": holder,
        "now": now,
        "rate": factories.RateFactory(),
        "account": holder.accounts.get(kind="main"),
        "other": credit,
    }


def conversion(p, **changes):
    return {
        "kind": "conversion", "to_amount": 92, "to_currency": "EUR",
        "rate": p["rate"], "fx_rate": D("0.92"),
    } | changes  # fmt: skip


def transfer(p, **changes):
    return {
        "kind": "transfer_out", "related": p["other"],
        "counterparty_account": p["account"],
    } | changes  # fmt: skip


def create(p, fields):
    return models.Transaction.objects.create(
        holder=p["holder"],
        amount=100,
        currency="USD",
        occurred_at=p["now"],
        **({"kind": "withdrawal"} | fields),
    )


@pytest.mark.parametrize(
    "fields",
    [
        conversion,
        transfer,
        lambda p: transfer(p, kind="transfer_in"),
        lambda p: {"kind": "savings_release"},
        lambda p: {"kind": "withdrawal", "category": "food"},
        lambda p: {"kind": "reversal", "reverses": p["other"]},
    ],
)
def test_each_kind_with_its_fields_is_accepted(parts, fields):
    assert create(parts, fields(parts)).pk


@pytest.mark.parametrize(
    "fields",
    [
        lambda p: conversion(p, to_amount=None),
        lambda p: conversion(p, to_amount=0),
        lambda p: conversion(p, to_currency=""),
        lambda p: conversion(p, to_currency="USD"),
        lambda p: conversion(p, rate=None),
        lambda p: conversion(p, fx_rate=None),
        lambda p: conversion(p, fx_rate=D("0")),
        lambda p: {"kind": "withdrawal", "to_amount": 5},
        lambda p: {"kind": "credit", "to_currency": "EUR"},
        lambda p: {"kind": "savings_release", "rate": p["rate"]},
        lambda p: {"kind": "transfer_in", "fx_rate": D("1")} | transfer(p),
        lambda p: transfer(p, related=None),
        lambda p: transfer(p, counterparty_account=None),
        lambda p: {"kind": "credit", "related": p["other"]},
        lambda p: {"kind": "withdrawal", "counterparty_account": p["account"]},
        lambda p: conversion(p, related=p["other"]),
        lambda p: {"kind": "reversal"},
        lambda p: {"kind": "credit", "reverses": p["other"]},
        lambda p: transfer(p, reverses=p["other"]),
    ],
)
def test_fields_of_another_kind_are_refused(parts, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        create(parts, fields(parts))


def test_transaction_kinds_and_str():
    assert [kind.value for kind in models.Transaction.Kind] == [
        "credit",
        "transfer_out",
        "transfer_in",
        "withdrawal",
        "conversion",
        "savings_release",
        "group_contribution",
        "reversal",
    ]
    txn = models.Transaction(kind="conversion", amount=150, currency="JPY")
    assert str(txn) == "conversion 150 JPY"
    assert models.Account.system_id("fx", "USD") != models.Account.system_id(
        "clearing", "USD"
    )
    assert models.Account.system_id("fx", "USD") == uuid.uuid5(
        uuid.NAMESPACE_URL, "savings:account:fx:USD"
    )
