"""transaction_reverse: new headers mirroring a movement, once, with why."""

import decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounting import errors, models, services
from accounting.tests import factories
from accounting.tests.conftest import (
    failed_checks,
    ledger_state,
    postings,
    wallet,
)
from config import bounds, webhook_events

pytestmark = pytest.mark.usefixtures("deferred_constraints")

STAFF = "staff@example.com"


def reverse(original, reason="Credited twice by mistake", staff=STAFF):
    return services.transaction_reverse(
        original=original, reason=reason, staff=staff
    )


def header(result):
    return models.Transaction.objects.get(pk=result.body["transaction"]["id"])


def balances(holder, currency="USD"):
    accounts = wallet(holder, currency)
    return {
        kind: (accounts[kind].balance, accounts[kind].last_sequence)
        for kind in ("main", "savings")
    }


def credit_of(holder):
    return models.Transaction.objects.get(holder=holder, kind="credit")


def test_a_credit_is_undone_by_its_mirror(funded_holder):
    credit = credit_of(funded_holder)

    result = reverse(credit, reason="  Credited twice by mistake ")

    assert result.created
    [reversal] = result.headers
    assert (
        reversal.kind,
        reversal.holder_id,
        reversal.amount,
        reversal.currency,
        reversal.reverses_id,
        reversal.effective_at,
    ) == (
        "reversal",
        funded_holder.pk,
        10_000,
        "USD",
        credit.id,
        reversal.occurred_at,
    )
    assert postings(reversal) == [
        ("world", "USD", 10_000, None, None),
        ("main", "USD", -9_000, 2, 0),
        ("savings", "USD", -1_000, 2, 0),
    ]
    assert balances(funded_holder) == {"main": (0, 2), "savings": (0, 2)}
    record = models.Reversal.objects.get()
    assert (record.original, record.reason, record.created_by) == (
        credit,
        "Credited twice by mistake",
        STAFF,
    )
    assert record.created_at == reversal.occurred_at
    assert result.reversal == record
    assert failed_checks() == []


def test_a_withdrawal_gives_the_money_back(funded_holder):
    spent = header(
        services.withdrawal_apply(
            holder_id=funded_holder.pk,
            amount=2_000,
            currency="USD",
            category="groceries",
        )
    )

    [reversal] = reverse(spent).headers

    assert postings(reversal) == [
        ("main", "USD", 2_000, 3, 9_000),
        ("world", "USD", -2_000, None, None),
    ]
    assert reversal.description == spent.description
    assert failed_checks() == []


@pytest.mark.parametrize("named", ["transfer_out", "transfer_in"])
def test_a_transfer_is_undone_for_both_holders(funded_holder, named):
    recipient = factories.HolderFactory()
    sent = header(
        services.transfer_apply(
            holder_id=funded_holder.pk,
            to_account=wallet(recipient)["main"].id,
            amount=2_500,
            currency="USD",
            description="Rent",
        )
    )
    received = models.Transaction.objects.get(pk=sent.related_id)

    result = reverse(sent if named == "transfer_out" else received)

    back, taken = result.headers
    assert result.reversal.original == sent
    assert (back.holder_id, back.reverses_id) == (funded_holder.pk, sent.id)
    assert (taken.holder_id, taken.reverses_id) == (recipient.pk, received.id)
    assert back.occurred_at == taken.occurred_at
    assert (back.related_id, back.counterparty_account_id) == (None, None)
    assert postings(back) == [
        ("main", "USD", 2_500, 3, 9_000),
        ("clearing", "USD", -2_500, None, None),
    ]
    assert postings(taken) == [
        ("clearing", "USD", 2_500, None, None),
        ("main", "USD", -2_500, 2, 0),
    ]
    assert failed_checks() == []


def test_a_conversion_goes_back_at_its_own_rate(funded_holder):
    services.account_open(holder=funded_holder, currency="EUR")
    factories.RateFactory(rate=decimal.Decimal("0.9215"))
    converted = header(
        services.conversion_apply(
            holder_id=funded_holder.pk,
            from_currency="USD",
            to_currency="EUR",
            amount=2_500,
        )
    )
    # A newer rate changes nothing: the mirror is exact.
    factories.RateFactory(rate=decimal.Decimal("2"), valid_from=timezone.now())

    [reversal] = reverse(converted).headers

    assert (reversal.amount, reversal.currency, reversal.to_amount) == (
        2_500,
        "USD",
        None,
    )
    assert postings(reversal) == [
        ("main", "USD", 2_500, 3, 9_000),
        ("fx", "USD", -2_500, None, None),
        ("fx", "EUR", 2_304, None, None),
        ("main", "EUR", -2_304, 2, 0),
    ]
    assert failed_checks() == []


def test_asked_again_it_answers_the_first_and_moves_nothing(funded_holder):
    credit = credit_of(funded_holder)
    first = reverse(credit)
    before = ledger_state()

    again = reverse(credit, staff="other@example.com")

    assert not again.created
    assert again.reversal == first.reversal
    assert again.headers == first.headers
    assert ledger_state() == before


def test_either_half_of_a_reversed_transfer_answers_the_reversal(
    funded_holder,
):
    recipient = factories.HolderFactory()
    sent = header(
        services.transfer_apply(
            holder_id=funded_holder.pk,
            to_account=wallet(recipient)["main"].id,
            amount=2_500,
            currency="USD",
        )
    )
    first = reverse(sent)
    before = ledger_state()

    again = reverse(models.Transaction.objects.get(pk=sent.related_id))

    assert not again.created
    assert again.headers == first.headers
    assert ledger_state() == before


def test_another_reason_for_a_reversed_movement_is_refused(funded_holder):
    credit = credit_of(funded_holder)
    reverse(credit)
    before = ledger_state()

    with pytest.raises(errors.TransactionAlreadyReversedError) as caught:
        reverse(credit, reason="Fraud")

    assert caught.value.code == "transaction_already_reversed"
    assert STAFF in caught.value.detail
    assert "Credited twice by mistake" in caught.value.detail
    assert ledger_state() == before


def test_a_reversal_cannot_be_reversed(funded_holder):
    [reversal] = reverse(credit_of(funded_holder)).headers
    before = ledger_state()

    with pytest.raises(errors.TransactionNotReversibleError) as caught:
        reverse(reversal)

    assert caught.value.code == "transaction_not_reversible"
    assert "A reversal cannot be reversed" in caught.value.detail
    assert ledger_state() == before


def test_a_savings_release_is_not_reversible(funded_holder):
    released = header(
        services.savings_release_apply(
            holder_id=funded_holder.pk, amount=500, currency="USD"
        )
    )
    before = ledger_state()

    with pytest.raises(errors.TransactionNotReversibleError) as caught:
        reverse(released)

    assert "A savings_release cannot be reversed" in caught.value.detail
    assert ledger_state() == before


def test_a_recipient_who_spent_the_transfer_makes_it_refused(funded_holder):
    recipient = factories.HolderFactory()
    received_main = wallet(recipient)["main"]
    sent = header(
        services.transfer_apply(
            holder_id=funded_holder.pk,
            to_account=received_main.id,
            amount=2_500,
            currency="USD",
        )
    )
    services.withdrawal_apply(
        holder_id=recipient.pk, amount=1_000, currency="USD"
    )
    before = ledger_state()

    with pytest.raises(errors.ReversalInsufficientFundsError) as caught:
        reverse(sent)

    assert caught.value.code == "reversal_insufficient_funds"
    assert caught.value.detail == (
        f"The main USD account {received_main.id} of {recipient.email} "
        "holds 15.00 USD; the reversal takes 25.00: 10.00 USD short."
    )
    assert ledger_state() == before
    assert not models.Reversal.objects.exists()


def test_released_savings_make_a_credits_reversal_refused(funded_holder):
    services.savings_release_apply(
        holder_id=funded_holder.pk, amount=400, currency="USD"
    )
    before = ledger_state()

    with pytest.raises(errors.ReversalInsufficientFundsError) as caught:
        reverse(credit_of(funded_holder))

    assert "savings USD account" in caught.value.detail
    assert "4.00 USD short" in caught.value.detail
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (" ", "Say why."),
        (
            "x" * (bounds.REVERSAL_REASON_MAX_LENGTH + 1),
            "At most 500 characters.",
        ),
    ],
)
def test_a_reason_is_required_and_bounded(funded_holder, reason, message):
    before = ledger_state()

    with pytest.raises(errors.ReversalInvalidError) as caught:
        reverse(credit_of(funded_holder), reason=reason)

    assert caught.value.errors == {"reason": [message]}
    assert ledger_state() == before


def test_a_closed_recipient_wallet_makes_it_refused(funded_holder):
    recipient = factories.HolderFactory()
    sent = header(
        services.transfer_apply(
            holder_id=funded_holder.pk,
            to_account=wallet(recipient)["main"].id,
            amount=2_500,
            currency="USD",
        )
    )
    services.withdrawal_apply(
        holder_id=recipient.pk, amount=2_500, currency="USD"
    )
    services.account_close(account=wallet(recipient)["main"])
    before = ledger_state()

    with pytest.raises(errors.AccountClosedError) as caught:
        reverse(sent)

    assert caught.value.detail == "The recipient's USD account is closed."
    assert ledger_state() == before


def test_holders_with_webhooks_are_told_of_the_reversal(
    funded_holder, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    services.endpoint_create(
        holder=funded_holder, url="http://127.0.0.1:9/in", events=[]
    )
    credit = credit_of(funded_holder)

    [reversal] = reverse(credit).headers

    event = models.WebhookEvent.objects.filter(holder=funded_holder).latest(
        "sequence"
    )
    assert event.type == webhook_events.TRANSACTION_CREATED
    assert event.data["transaction"]["kind"] == "reversal"
    assert event.data["transaction"]["id"] == str(reversal.id)
    assert event.data["transaction"]["reverses"] == str(credit.id)


def test_the_database_refuses_a_second_reversal_and_edits(funded_holder):
    """Even written around the service: the indexes and the trigger."""
    credit = credit_of(funded_holder)
    first = reverse(credit)

    with pytest.raises(IntegrityError), transaction.atomic():
        models.Reversal.objects.create(
            original=credit,
            reason="Again",
            created_by=STAFF,
            created_at=timezone.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Transaction.objects.create(
            holder=funded_holder,
            kind="reversal",
            amount=10_000,
            currency="USD",
            occurred_at=timezone.now(),
            reverses=credit,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Reversal.objects.filter(pk=first.reversal.pk).update(
            reason="Edited"
        )
