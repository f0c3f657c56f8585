"""Credits' sources and withdrawals' categories are stored normalised."""

import pytest

from accounting import models, services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("  Pay   Roll ", "pay roll"),
        ("PAYROLL", "payroll"),
        ("Stra\u00dfe", "strasse"),  # case folding, not just lower()
        ("\tTab\nand line ", "tab and line"),
        ("   ", ""),
        ("", ""),
    ],
)
def test_a_credit_source_is_stored_normalised(holder, given, stored):
    result = services.credit_apply(
        holder_id=holder.pk, amount=100, currency="USD", source=given
    )

    assert result.body["transaction"]["source"] == stored
    assert models.Transaction.objects.get().source == stored


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (" Eating   OUT ", "eating out"),
        ("groceries", "groceries"),
        ("  ", None),
        ("", None),
        (None, None),
    ],
)
def test_a_withdrawal_category_is_stored_normalised(
    funded_holder, given, stored
):
    result = services.withdrawal_apply(
        holder_id=funded_holder.pk, amount=100, currency="USD", category=given
    )

    assert result.body["transaction"]["category"] == stored
    assert result.transaction.category == stored
    found = models.Transaction.objects.get(kind="withdrawal")
    assert found.category == stored
