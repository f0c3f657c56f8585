"""transfer_apply: two linked halves through the clearing account."""

import datetime as dt
import uuid

import pytest

from accounting import errors, models, selectors, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_state, postings, wallet

pytestmark = pytest.mark.usefixtures("deferred_constraints")


def transfer(sender, to_account, amount, currency="USD", **kwargs):
    return services.transfer_apply(
        holder_id=sender.pk,
        to_account=to_account,
        amount=amount,
        currency=currency,
        **kwargs,
    )


@pytest.fixture
def recipient(db):
    del db
    return factories.HolderFactory()


def main_of(holder, currency="USD"):
    return wallet(holder, currency)["main"]


def test_a_transfer_writes_one_half_per_holder(funded_holder, recipient):
    sender_main = main_of(funded_holder)
    recipient_main = main_of(recipient)

    result = transfer(
        funded_holder, recipient_main.id, 2_500, description="Rent share"
    )

    assert not result.replayed
    assert result.body["balances"] == {"main": "65.00", "savings": "10.00"}
    sent = result.body["transaction"]
    assert sent["effective_at"] == sent["occurred_at"]
    assert {
        k: sent[k]
        for k in sent
        if k not in ("id", "occurred_at", "effective_at")
    } == {
        "kind": "transfer_out",
        "amount": "25.00",
        "currency": "USD",
        "description": "Rent share",
        "source": "",
        "category": None,
        "splits": [
            {"account_kind": "main", "currency": "USD", "amount": "-25.00"}
        ],
        "plan": None,
        "counterparty_account": str(recipient_main.id),
        "conversion": None,
        "group": None,
        "reverses": None,
        "reversed_by": None,
    }
    outgoing = models.Transaction.objects.get(pk=sent["id"])
    incoming = models.Transaction.objects.get(pk=outgoing.related_id)
    assert incoming.related_id == outgoing.id
    assert (incoming.holder_id, incoming.kind) == (recipient.pk, "transfer_in")
    assert incoming.counterparty_account_id == sender_main.id
    assert outgoing.counterparty_account_id == recipient_main.id
    assert [
        (t.amount, t.currency, t.occurred_at, t.description)
        for t in (outgoing, incoming)
    ] == [(2_500, "USD", outgoing.occurred_at, "Rent share")] * 2
    assert postings(outgoing) == [
        ("main", "USD", -2_500, 2, 6_500),
        ("clearing", "USD", 2_500, None, None),
    ]
    assert postings(incoming) == [
        ("clearing", "USD", -2_500, None, None),
        ("main", "USD", 2_500, 1, 2_500),
    ]
    clearing = models.Account.system_id("clearing", "USD")
    assert models.Entry.objects.filter(account_id=clearing).count() == 2
    assert (main_of(recipient).balance, main_of(recipient).last_sequence) == (
        2_500,
        1,
    )
    # Each side reads the transfer in its own history.
    received = selectors.transactions_page(holder=recipient).results
    assert [t.id for t in received] == [incoming.id]
    assert selectors.transaction_data(received[0])["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "25.00"}
    ]
    assert selectors.transaction_data(received[0])[
        "counterparty_account"
    ] == str(sender_main.id)
    stored = selectors.transaction_get(
        holder=funded_holder, transaction_id=sent["id"]
    )
    assert selectors.transaction_data(stored) == sent


def test_both_sides_balance_as_of_the_transfer(funded_holder, recipient):
    result = transfer(funded_holder, main_of(recipient).id, 4_000)
    at = result.transaction.occurred_at
    tick = dt.timedelta(microseconds=1)

    def balance(holder, instant):
        found = selectors.balance_at(holder=holder, currency="USD", at=instant)
        return (found.main, found.savings)

    assert balance(funded_holder, at - tick) == (9_000, 1_000)
    assert balance(funded_holder, at) == (5_000, 1_000)
    assert balance(recipient, at - tick) == (0, 0)
    assert balance(recipient, at) == (4_000, 0)


def test_money_goes_back_and_forth(funded_holder, recipient):
    there = transfer(funded_holder, main_of(recipient).id, 9_000)
    back = transfer(recipient, main_of(funded_holder).id, 3_000)

    assert there.body["balances"]["main"] == "0.00"
    assert back.body["balances"] == {"main": "60.00", "savings": "0.00"}
    assert back.body["transaction"]["counterparty_account"] == str(
        main_of(funded_holder).id
    )
    assert (main_of(funded_holder).balance, main_of(recipient).balance) == (
        3_000,
        6_000,
    )
    assert (
        main_of(funded_holder).last_sequence,
        main_of(recipient).last_sequence,
    ) == (
        3,
        2,
    )


def test_jpy_transfers(holder, recipient):
    for account_holder in (holder, recipient):
        services.account_open(holder=account_holder, currency="JPY")
    services.credit_apply(holder_id=holder.pk, amount=1_000, currency="JPY")

    result = transfer(holder, main_of(recipient, "JPY").id, 999, "JPY")

    assert result.body["transaction"]["amount"] == "999"
    assert result.body["balances"] == {"main": "1", "savings": "0"}
    assert main_of(recipient, "JPY").balance == 999
    assert postings(result.transaction)[1] == (
        "clearing",
        "JPY",
        999,
        None,
        None,
    )


def other_holders_closed_wallet(sender, recipient):
    del sender
    services.account_close(account=main_of(recipient))
    return main_of(recipient).id


def deleted_users_account(sender, recipient):
    del sender
    services.holder_apply_user_event(
        event=services.UserEvent.from_payload(
            factories.user_event(
                user_id=recipient.pk, version=2, is_active=False
            )
        )
    )
    return main_of(recipient).id


def recipients_euro_account(sender, recipient):
    del sender
    return services.account_open(holder=recipient, currency="EUR")[0].id


def own_euro_account(sender, recipient):
    del recipient
    return services.account_open(holder=sender, currency="EUR")[0].id


NOT_FOUND = (errors.AccountNotFoundError, "account_not_found")
SAME_ACCOUNT = (errors.SameAccountError, "same_account")
MISMATCH = (errors.CurrencyMismatchError, "currency_mismatch")


@pytest.mark.parametrize(
    ("to_account", "refusal"),
    [
        (lambda s, r: main_of(s).id, SAME_ACCOUNT),
        (lambda s, r: wallet(s)["savings"].id, NOT_FOUND),
        (lambda s, r: wallet(r)["savings"].id, NOT_FOUND),
        (lambda s, r: uuid.uuid4(), NOT_FOUND),
        (lambda s, r: models.Account.system_id("world", "USD"), NOT_FOUND),
        (lambda s, r: models.Account.system_id("clearing", "USD"), NOT_FOUND),
        (other_holders_closed_wallet, NOT_FOUND),
        (deleted_users_account, NOT_FOUND),
        (recipients_euro_account, MISMATCH),
        (own_euro_account, MISMATCH),
    ],
)
def test_bad_recipients_change_nothing(
    funded_holder, recipient, to_account, refusal
):
    error, code = refusal
    target = to_account(funded_holder, recipient)
    before = ledger_state()

    with pytest.raises(error) as caught:
        transfer(
            funded_holder, target, 100, idempotency_key="k", request_hash="h"
        )

    assert caught.value.code == code
    assert ledger_state() == before


def test_a_currency_mismatch_names_the_recipients_currency(
    funded_holder, recipient
):
    target = recipients_euro_account(funded_holder, recipient)

    with pytest.raises(errors.CurrencyMismatchError) as caught:
        transfer(funded_holder, target, 100)

    assert caught.value.detail == (
        "The recipient's account is in EUR, not USD."
    )


def test_more_than_main_holds_is_insufficient_funds(funded_holder, recipient):
    before = ledger_state()

    with pytest.raises(errors.InsufficientFundsError) as caught:
        transfer(funded_holder, main_of(recipient).id, 9_001)

    assert caught.value.code == "insufficient_funds"
    assert caught.value.detail == "The main account holds 90.00 USD."
    assert ledger_state() == before


def close_own_wallet(sender):
    services.account_close(account=wallet(sender)["savings"])


def delete_sender(sender):
    services.holder_apply_user_event(
        event=services.UserEvent.from_payload(
            factories.user_event(user_id=sender.pk, version=2, is_active=False)
        )
    )


@pytest.mark.parametrize(
    ("setup", "currency", "refusal"),
    [
        (close_own_wallet, "USD",
         (errors.AccountClosedError, "account_closed")),
        (delete_sender, "USD", (errors.HolderClosedError, "user_inactive")),
        (lambda s: None, "EUR",
         (errors.AccountNotOpenError, "account_not_open")),
    ],
)  # fmt: skip
def test_a_sender_who_cannot_pay_changes_nothing(
    funded_holder, recipient, setup, currency, refusal
):
    error, code = refusal
    services.account_open(holder=recipient, currency="EUR")
    setup(funded_holder)
    before = ledger_state()

    with pytest.raises(error) as caught:
        transfer(funded_holder, main_of(recipient, currency).id, 100, currency)

    assert caught.value.code == code
    assert ledger_state() == before


def test_an_unknown_sender_is_not_ready(recipient):
    with pytest.raises(errors.HolderNotReadyError):
        services.transfer_apply(
            holder_id=uuid.uuid4(),
            to_account=main_of(recipient).id,
            amount=1,
            currency="USD",
        )
