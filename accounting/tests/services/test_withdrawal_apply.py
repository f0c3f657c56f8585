"""withdrawal_apply: an expense leaves main for the currency's world."""

import uuid

import pytest

from accounting import errors, models, selectors, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_state, postings, wallet

pytestmark = pytest.mark.usefixtures("deferred_constraints")


def withdraw(holder_id, amount, currency="USD", **kwargs):
    return services.withdrawal_apply(
        holder_id=holder_id, amount=amount, currency=currency, **kwargs
    )


def test_money_leaves_main_for_the_world_account(funded_holder):
    # funded_holder: main 90.00, savings 10.00 (one credit, sequence 1).
    result = withdraw(
        funded_holder.pk, 2_550, category="groceries", description="Market"
    )

    assert not result.replayed
    body = result.body
    assert body["balances"] == {"main": "64.50", "savings": "10.00"}
    txn = body["transaction"]
    assert txn["effective_at"] == txn["occurred_at"]
    assert {
        k: txn[k] for k in txn if k not in ("id", "occurred_at", "effective_at")
    } == {
        "kind": "withdrawal",
        "amount": "25.50",
        "currency": "USD",
        "description": "Market",
        "source": "",
        "category": "groceries",
        "splits": [
            {"account_kind": "main", "currency": "USD", "amount": "-25.50"}
        ],
        "plan": None,
        "counterparty_account": None,
        "conversion": None,
        "group": None,
        "reverses": None,
        "reversed_by": None,
    }
    assert postings(result.transaction) == [
        ("main", "USD", -2_550, 2, 6_450),
        ("world", "USD", 2_550, None, None),
    ]
    world = result.transaction.entries.get(amount=2_550)
    assert world.account_id == models.Account.system_id("world", "USD")
    accounts = wallet(funded_holder)
    assert (accounts["main"].balance, accounts["main"].last_sequence) == (
        6_450,
        2,
    )
    assert (accounts["savings"].balance, accounts["savings"].last_sequence) == (
        1_000,
        1,
    )
    # The read path shows the document the service answered with.
    stored = selectors.transaction_get(
        holder=funded_holder, transaction_id=txn["id"]
    )
    assert selectors.transaction_data(stored) == txn


def test_the_whole_main_balance_can_leave(funded_holder):
    result = withdraw(funded_holder.pk, 9_000)

    assert result.body["balances"] == {"main": "0.00", "savings": "10.00"}
    assert result.body["transaction"]["category"] is None
    assert wallet(funded_holder)["main"].balance == 0
    assert result.transaction.category is None


def test_jpy_amounts_have_no_minor_digits(holder):
    services.account_open(holder=holder, currency="JPY")
    services.credit_apply(holder_id=holder.pk, amount=1_500, currency="JPY")

    result = withdraw(holder.pk, 499, currency="JPY", category="")

    assert result.body["transaction"]["amount"] == "499"
    # A blank category is none (labels are stored normalised).
    assert result.body["transaction"]["category"] is None
    assert result.body["balances"] == {"main": "1001", "savings": "0"}
    assert postings(result.transaction) == [
        ("main", "JPY", -499, 2, 1_001),
        ("world", "JPY", 499, None, None),
    ]


def test_more_than_main_holds_is_insufficient_funds(funded_holder):
    before = ledger_state()

    # 90.00 in main: the 10.00 of savings cannot be withdrawn.
    with pytest.raises(errors.InsufficientFundsError) as caught:
        withdraw(funded_holder.pk, 9_001, idempotency_key="k", request_hash="h")

    assert caught.value.code == "insufficient_funds"
    assert caught.value.detail == "The main account holds 90.00 USD."
    assert ledger_state() == before


def close_user(holder):
    services.holder_apply_user_event(
        event=services.UserEvent.from_payload(
            factories.user_event(user_id=holder.pk, version=2, is_active=False)
        )
    )


@pytest.mark.parametrize(
    ("setup", "currency", "error", "code"),
    [
        (lambda h: None, "EUR", errors.AccountNotOpenError, "account_not_open"),
        (lambda h: services.account_close(account=h.accounts.first()), "USD",
         errors.AccountClosedError, "account_closed"),
        (close_user, "USD", errors.HolderClosedError, "user_inactive"),
    ],
)  # fmt: skip
def test_refusals_change_nothing(funded_holder, setup, currency, error, code):
    setup(funded_holder)
    before = ledger_state()

    with pytest.raises(error) as caught:
        withdraw(funded_holder.pk, 100, currency=currency)

    assert caught.value.code == code
    assert ledger_state() == before


def test_an_unknown_holder_is_not_ready(db):
    del db
    with pytest.raises(errors.HolderNotReadyError):
        withdraw(uuid.uuid4(), 100)
    assert ledger_state()["transactions"] == 0
