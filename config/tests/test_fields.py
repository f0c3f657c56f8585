import datetime as dt
import decimal

import pytest
from rest_framework import serializers

from config import fields, labels, money
from config.testing import FOLDED_LABEL, PADDED_LABEL


class CreditSerializer(serializers.Serializer):
    amount = fields.AmountField()
    currency = fields.CurrencyField(required=False)
    at = fields.InstantField(required=False)
    to = fields.InstantField(required=False, end_of_day=True)


def test_valid_values_are_parsed_exactly():
    serializer = CreditSerializer(
        data={
            "amount": decimal.Decimal("10.10"),
            "currency": "eur",
            "at": "2026-11-21T10:00:00+02:00",
            "to": "2026-11-21",
        }
    )
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {
        "amount": decimal.Decimal("10.10"),
        "currency": "EUR",
        "at": dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC),
        "to": dt.datetime(2026, 11, 21, 23, 59, 59, 999999, tzinfo=dt.UTC),
    }


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"amount": "1e3"}, "amount", "invalid_amount"),
        ({"amount": "-1"}, "amount", "invalid_amount"),
        ({}, "amount", "required"),
        (
            {"amount": "1", "currency": "XYZ"},
            "currency",
            "unsupported_currency",
        ),
        ({"amount": "1", "at": "2026-11-21T10:00"}, "at", "invalid_datetime"),
    ],
)
def test_errors_carry_stable_codes(data, field, code):
    serializer = CreditSerializer(data=data)
    assert not serializer.is_valid()
    assert serializer.errors[field][0].code == code


def test_representation():
    instant = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
    assert fields.AmountField().to_representation("10.10") == "10.10"
    assert fields.CurrencyField().to_representation("USD") == "USD"
    assert fields.InstantField().to_representation(instant) == (
        "2026-11-21T08:00:00Z"
    )


class RecipientSerializer(serializers.Serializer):
    to_account = fields.UUIDStringField()


@pytest.mark.parametrize(
    "value", [12345, 3.5, ["3f2e1d0c-9b8a-4f6e-8d5c-4b3a2f1e0d9c"], "nope"]
)
def test_an_id_must_be_a_uuid_string(value):
    serializer = RecipientSerializer(data={"to_account": value})

    assert not serializer.is_valid()
    assert serializer.errors["to_account"][0].code == "invalid"


def test_a_uuid_string_is_parsed():
    value = "3F2E1D0C-9B8A-4F6E-8D5C-4B3A2F1E0D9C"
    serializer = RecipientSerializer(data={"to_account": value})

    assert serializer.is_valid(), serializer.errors
    assert str(serializer.validated_data["to_account"]) == value.lower()


class LabelSerializer(serializers.Serializer):
    source = fields.LabelField(required=False, help_text="Where from.")
    category = fields.LabelField(required=False, allow_blank=True)


def test_a_label_is_read_normalised():
    serializer = LabelSerializer(
        data={"source": PADDED_LABEL, "category": "  "}
    )

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {
        "source": " ".join(["abcd"] * 20),
        "category": "",
    }


@pytest.mark.parametrize(
    "label", ["x" * 101, FOLDED_LABEL, "nul\x00", 7.5j, ["a"]]
)
def test_a_label_too_long_once_normalised_or_not_text_is_invalid(label):
    serializer = LabelSerializer(data={"source": label})

    assert not serializer.is_valid()
    assert list(serializer.errors) == ["source"]


def test_a_labels_help_text_says_how_it_is_stored():
    source, category = LabelSerializer().fields.values()

    assert source.help_text == f"Where from. {labels.RULE}"
    assert category.help_text == labels.RULE
    assert source.max_length is None


def test_a_refused_amount_is_an_error_on_its_field():
    with fields.amount_errors("target_amount"):
        assert money.to_minor(decimal.Decimal("1.5"), "USD") == 150

    with (
        pytest.raises(serializers.ValidationError) as refused,
        fields.amount_errors("target_amount"),
    ):
        money.to_minor(decimal.Decimal("1.005"), "USD")

    assert refused.value.get_codes() == {"target_amount": ["invalid_amount"]}
    assert refused.value.detail == {
        "target_amount": ["USD amounts have at most 2 decimal places."]
    }
