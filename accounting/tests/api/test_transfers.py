"""POST /holders/{id}/transfers: transfers and savings releases."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from accounting import models, selectors, services
from accounting.tests import factories
from accounting.tests.api.conftest import main_account
from accounting.tests.conftest import ledger_state
from config.testing import assert_problem

pytestmark = pytest.mark.django_db


def url(user_id):
    return f"/internal/v1/holders/{user_id}/transfers"


def post(api_client, user_id, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api_client.post(url(user_id), body, format="json", **headers)


def assert_ledger_clean():
    findings = selectors.ledger_verify()
    assert [f for f in findings if f.count] == []


# --- Transfers --------------------------------------------------------------


def test_a_transfer_reaches_the_recipient(api_client, funded_holder, recipient):
    to_account = main_account(recipient)
    from_account = main_account(funded_holder)

    response = post(
        api_client,
        funded_holder.pk,
        {"to_account": to_account, "amount": "25", "description": "Dinner"},
    )

    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response.headers
    body = response.json()
    sent = body["transaction"]
    assert (sent["kind"], sent["amount"], sent["currency"]) == (
        "transfer_out",
        "25.00",
        "USD",
    )
    assert sent["description"] == "Dinner"
    assert sent["counterparty_account"] == to_account
    assert sent["conversion"] is None
    assert sent["category"] is None
    assert sent["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "-25.00"}
    ]
    assert body["balances"] == {"main": "65.00", "savings": "10.00"}
    # The recipient sees it in its own history and balance.
    history = api_client.get(
        f"/internal/v1/holders/{recipient.pk}/transactions"
    ).json()["results"]
    assert len(history) == 1
    received = history[0]
    assert (received["kind"], received["amount"]) == ("transfer_in", "25.00")
    assert received["counterparty_account"] == from_account
    assert received["occurred_at"] == sent["occurred_at"]
    assert received["description"] == "Dinner"
    assert received["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "25.00"}
    ]
    balance = api_client.get(
        f"/internal/v1/holders/{recipient.pk}/balance"
    ).json()
    assert (balance["main"], balance["total"]) == ("25.00", "25.00")
    # The sender's history has the transfer_out, found by its kind.
    sender_out = api_client.get(
        f"/internal/v1/holders/{funded_holder.pk}/transactions",
        {"kind": "transfer_out"},
    ).json()["results"]
    assert sender_out == [sent]
    received_only = api_client.get(
        f"/internal/v1/holders/{recipient.pk}/transactions",
        {"kind": "transfer_in"},
    ).json()["results"]
    assert received_only == [received]
    assert_ledger_clean()


def test_a_transfer_in_jpy_and_an_explicit_kind(api_client, recipient):
    sender = factories.HolderFactory(wallet="JPY")
    services.account_open(holder=recipient, currency="JPY")
    services.credit_apply(holder_id=sender.pk, amount=1000, currency="JPY")

    response = post(
        api_client,
        sender.pk,
        {
            "kind": "transfer",
            "to_account": main_account(recipient, "JPY"),
            "amount": 300,
            "currency": "jpy",
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["transaction"]["amount"] == "300"
    assert response.json()["balances"] == {"main": "700", "savings": "0"}


def test_the_whole_balance_can_be_sent(api_client, funded_holder, recipient):
    response = post(
        api_client,
        funded_holder.pk,
        {"to_account": main_account(recipient), "amount": "90.00"},
    )

    assert response.status_code == 201
    assert response.json()["balances"]["main"] == "0.00"


def close_holder(holder):
    services.holder_apply_user_event(
        event=services.UserEvent.from_payload(
            factories.user_event(
                user_id=holder.pk, version=holder.version + 1, is_active=False
            )
        )
    )


def closed_wallet(recipient):
    services.account_close(account=recipient.accounts.get(kind="main"))
    return main_account(recipient)


def closed_holder_only(recipient):
    """The holder is closed; its accounts' own flags are left open."""
    models.Holder.objects.filter(pk=recipient.pk).update(
        closed_at=timezone.now()
    )
    return main_account(recipient)


def deleted_user(recipient):
    close_holder(recipient)
    return main_account(recipient)


RECIPIENTS_NOT_FOUND = {
    "unknown": lambda recipient: str(uuid.uuid4()),
    "closed-wallet": closed_wallet,
    "savings": lambda recipient: str(recipient.accounts.get(kind="savings").pk),
    "closed-holder": closed_holder_only,
    "deleted-user": deleted_user,
    "system-account": lambda recipient: str(
        models.Account.system_id(models.Account.Kind.WORLD, "USD")
    ),
}


@pytest.mark.parametrize(
    "make_recipient", RECIPIENTS_NOT_FOUND.values(), ids=RECIPIENTS_NOT_FOUND
)
def test_no_open_main_account_is_not_found(
    api_client, funded_holder, recipient, make_recipient
):
    to_account = make_recipient(recipient)
    before = ledger_state()

    response = post(
        api_client,
        funded_holder.pk,
        {"to_account": to_account, "amount": "5"},
        key="k",
    )

    assert_problem(response, 404, "account_not_found")
    assert ledger_state() == before


def test_a_transfer_to_oneself(api_client, funded_holder):
    before = ledger_state()

    response = post(
        api_client,
        funded_holder.pk,
        {"to_account": main_account(funded_holder), "amount": "5"},
    )

    assert_problem(response, 422, "same_account")
    assert ledger_state() == before


def test_a_recipient_in_another_currency(api_client, funded_holder, recipient):
    services.account_open(holder=recipient, currency="EUR")
    before = ledger_state()

    response = post(
        api_client,
        funded_holder.pk,
        {"to_account": main_account(recipient, "EUR"), "amount": "5"},
    )

    body = assert_problem(response, 422, "currency_mismatch")
    assert "EUR" in body["detail"]
    assert ledger_state() == before


@pytest.mark.parametrize("amount", ["90.01", "100.00", "1000000000"])
def test_insufficient_funds_writes_nothing(
    api_client, funded_holder, recipient, amount
):
    """Main holds 90.00: savings do not count, nothing is written."""
    before = ledger_state()

    response = post(
        api_client,
        funded_holder.pk,
        {"to_account": main_account(recipient), "amount": amount},
        key="too-much",
    )

    body = assert_problem(response, 422, "insufficient_funds")
    assert "90.00" in body["detail"]
    assert ledger_state() == before


def test_the_senders_closed_wallet(api_client, funded_holder, recipient):
    services.account_close(account=funded_holder.accounts.get(kind="main"))
    before = ledger_state()

    response = post(
        api_client,
        funded_holder.pk,
        {"to_account": main_account(recipient), "amount": "5"},
    )

    assert_problem(response, 422, "account_closed")
    assert ledger_state() == before


def test_no_wallet_in_the_currency(api_client, funded_holder, recipient):
    services.account_open(holder=recipient, currency="EUR")
    before = ledger_state()

    response = post(
        api_client,
        funded_holder.pk,
        {
            "to_account": main_account(recipient, "EUR"),
            "amount": "5",
            "currency": "EUR",
        },
    )

    assert_problem(response, 422, "account_not_open")
    assert ledger_state() == before


def test_the_sender_unknown_or_deleted(api_client, funded_holder, recipient):
    body = {"to_account": main_account(recipient), "amount": "5"}
    unknown = post(api_client, uuid.uuid4(), body)
    close_holder(funded_holder)
    before = ledger_state()

    deleted = post(api_client, funded_holder.pk, body)

    assert_problem(unknown, 409, "account_not_ready")
    assert unknown.headers["Retry-After"] == "1"
    assert_problem(deleted, 401, "user_inactive")
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": "5"}, "validation_error"),
        ({"amount": "5", "to_account": None}, "validation_error"),
        ({"amount": "5", "to_account": "nope"}, "validation_error"),
        ({"amount": "5", "to_account": 5}, "validation_error"),
        ({"amount": "5", "to_account": ["x"]}, "validation_error"),
        (
            {"kind": "gift", "to_account": "RECIPIENT", "amount": "5"},
            ("validation_error"),
        ),
        (
            {"kind": "transfer_out", "to_account": "RECIPIENT", "amount": "5"},
            ("validation_error"),
        ),
        ({"to_account": "RECIPIENT"}, "validation_error"),
        ({"to_account": "RECIPIENT", "amount": "5.001"}, "invalid_amount"),
        ({"to_account": "RECIPIENT", "amount": "0"}, "invalid_amount"),
        ({"to_account": "RECIPIENT", "amount": "-5"}, "invalid_amount"),
        ({"to_account": "RECIPIENT", "amount": "1e3"}, "invalid_amount"),
        (
            {"to_account": "RECIPIENT", "amount": "1000000000.01"},
            "invalid_amount",
        ),
        (
            {"to_account": "RECIPIENT", "amount": "1.5", "currency": "JPY"},
            "invalid_amount",
        ),
        (
            {"to_account": "RECIPIENT", "amount": "5", "currency": "XXX"},
            "unsupported_currency",
        ),
        (
            {
                "to_account": "RECIPIENT",
                "amount": "5",
                "description": "x" * 501,
            },
            "validation_error",
        ),
        (
            {
                "kind": "savings_release",
                "to_account": "RECIPIENT",
                "amount": "5",
            },
            "validation_error",
        ),
    ],
)
def test_bad_input_changes_nothing(
    api_client, funded_holder, recipient, body, code
):
    if body.get("to_account") == "RECIPIENT":
        body = {**body, "to_account": main_account(recipient)}
    before = ledger_state()

    response = post(api_client, funded_holder.pk, body)

    problem = assert_problem(response, 400, code)
    assert ledger_state() == before
    if code == "validation_error" and "amount" in body:
        assert set(problem["errors"]) <= {"to_account", "kind", "description"}


def test_replay_and_key_reuse(api_client, funded_holder, recipient):
    other = factories.HolderFactory()
    body = {"to_account": main_account(recipient), "amount": "5"}
    first = post(api_client, funded_holder.pk, body, key="t-1")
    before = ledger_state()

    again = post(
        api_client,
        funded_holder.pk,
        {**body, "amount": "5.00", "currency": "usd", "kind": "transfer"},
        key="t-1",
    )
    changed = {
        "amount": {**body, "amount": "6"},
        "recipient": {**body, "to_account": main_account(other)},
        "description": {**body, "description": "other"},
        "kind": {"kind": "savings_release", "amount": "5"},
    }
    reused = {
        name: post(api_client, funded_holder.pk, changed_body, key="t-1")
        for name, changed_body in changed.items()
    }
    as_withdrawal = api_client.post(
        f"/internal/v1/holders/{funded_holder.pk}/withdrawals",
        {"amount": "5"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="t-1",
    )

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    for name, response in reused.items():
        assert response.status_code == 422, name
        assert_problem(response, 422, "idempotency_key_reused")
    assert_problem(as_withdrawal, 422, "idempotency_key_reused")
    assert ledger_state() == before
    # The recipient was credited once.
    assert models.Transaction.objects.filter(kind="transfer_in").count() == 1


def test_keys_are_scoped_to_the_sender(api_client, funded_holder, recipient):
    services.credit_apply(holder_id=recipient.pk, amount=500, currency="USD")

    there = post(
        api_client,
        funded_holder.pk,
        {"to_account": main_account(recipient), "amount": "1"},
        key="same",
    )
    back = post(
        api_client,
        recipient.pk,
        {"to_account": main_account(funded_holder), "amount": "1"},
        key="same",
    )

    assert there.status_code == back.status_code == 201
    assert "Idempotent-Replayed" not in back.headers
    assert back.json()["balances"]["main"] == "5.00"


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
def test_a_bad_key_is_refused(api_client, funded_holder, recipient, key):
    before = ledger_state()

    response = post(
        api_client,
        funded_holder.pk,
        {"to_account": main_account(recipient), "amount": "1"},
        key=key,
    )

    assert_problem(response, 400, "invalid_idempotency_key")
    assert ledger_state() == before


# --- Savings releases -------------------------------------------------------


def release(api_client, holder, amount, key=None, **extra):
    body = {"kind": "savings_release", "amount": amount, **extra}
    return post(api_client, holder.pk, body, key=key)


@pytest.mark.parametrize("to_account", ["absent", None])
def test_a_release_moves_savings_to_main(api_client, funded_holder, to_account):
    extra = {} if to_account == "absent" else {"to_account": None}

    response = release(
        api_client, funded_holder, "4", description="Rainy day", **extra
    )

    assert response.status_code == 201, response.content
    body = response.json()
    txn = body["transaction"]
    assert (txn["kind"], txn["amount"], txn["currency"]) == (
        "savings_release",
        "4.00",
        "USD",
    )
    assert txn["description"] == "Rainy day"
    assert txn["counterparty_account"] is None
    assert sorted(txn["splits"], key=lambda s: s["account_kind"]) == [
        {"account_kind": "main", "currency": "USD", "amount": "4.00"},
        {"account_kind": "savings", "currency": "USD", "amount": "-4.00"},
    ]
    assert body["balances"] == {"main": "94.00", "savings": "6.00"}
    listed = api_client.get(
        f"/internal/v1/holders/{funded_holder.pk}/transactions",
        {"kind": "savings_release"},
    ).json()["results"]
    assert listed == [txn]
    assert_ledger_clean()


def test_releasing_more_than_savings(api_client, funded_holder):
    before = ledger_state()

    response = release(api_client, funded_holder, "10.01", key="r")

    assert_problem(response, 422, "insufficient_funds")
    assert ledger_state() == before


def test_savings_within_the_holding_period_are_locked(api_client, holder):
    plan = factories.PlanFactory(savings_hold_days=30)
    services.plan_assign(holder=holder, plan=plan)
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    before = ledger_state()

    response = release(api_client, holder, "1", key="locked")

    body = assert_problem(response, 422, "savings_locked")
    assert "30 days" in body["detail"]
    assert ledger_state() == before


def test_only_savings_older_than_the_holding_period_are_released(
    api_client, holder, monkeypatch
):
    """Saved 40 days ago: free; saved today: held."""
    plan = factories.PlanFactory(savings_hold_days=30)
    services.plan_assign(holder=holder, plan=plan)
    now = timezone.now()
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: now - dt.timedelta(days=40))
        services.credit_apply(holder_id=holder.pk, amount=5_000, currency="USD")
    services.credit_apply(holder_id=holder.pk, amount=3_000, currency="USD")
    # Savings: 5.00 (40 days old) + 3.00 (today).
    before = ledger_state()

    too_much = release(api_client, holder, "5.01")
    assert ledger_state() == before
    allowed = release(api_client, holder, "5.00")

    body = assert_problem(too_much, 422, "savings_locked")
    assert "5.00 USD can be released now" in body["detail"]
    assert allowed.status_code == 201, allowed.content
    assert allowed.json()["balances"] == {"main": "77.00", "savings": "3.00"}


def test_release_replay(api_client, funded_holder):
    first = release(api_client, funded_holder, "1", key="r-1")
    again = release(api_client, funded_holder, "1.00", key="r-1")
    reused = release(api_client, funded_holder, "2", key="r-1")

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert_problem(reused, 422, "idempotency_key_reused")
    assert funded_holder.accounts.get(kind="savings").balance == 900
