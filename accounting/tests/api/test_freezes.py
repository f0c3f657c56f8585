"""A frozen wallet over the internal API: 422 account_frozen, nothing moved."""

import pytest

from accounting import models, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_state
from config.testing import assert_problem

pytestmark = pytest.mark.django_db


def freeze(holder, mode, currency="USD"):
    return services.freeze_create(
        holder=holder,
        currency=currency,
        mode=mode,
        reason="Fraud review #7",
        created_by="staff@example.com",
    )


@pytest.fixture
def recipient(db):
    del db
    return factories.HolderFactory()


def movements(holder, recipient):
    """Each money-moving operation: (path, body), stopped by a full freeze."""
    main = models.Account.objects.get(holder=recipient, kind="main")
    return [
        ("credits", {"amount": "1.00"}),
        ("withdrawals", {"amount": "1.00"}),
        ("transfers", {"to_account": str(main.id), "amount": "1.00"}),
        ("transfers", {"kind": "savings_release", "amount": "1.00"}),
        (
            "conversions",
            {"from_currency": "USD", "to_currency": "EUR", "amount": "1.00"},
        ),
    ]


@pytest.mark.parametrize("index", range(5))
def test_every_movement_of_a_frozen_wallet_is_422_and_changes_nothing(
    api_client, wallets, rates, recipient, index
):
    del rates
    freeze(wallets, "full")
    path, body = movements(wallets, recipient)[index]
    before = ledger_state()

    response = api_client.post(
        f"/internal/v1/holders/{wallets.pk}/{path}",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="frozen-1",
    )

    assert_problem(response, 422, "account_frozen")
    assert response.json()["detail"] == (
        "The USD wallet is frozen: full (no money in or out)."
    )
    assert "Fraud" not in response.content.decode()
    assert ledger_state() == before


def test_a_transfer_to_a_frozen_recipient_does_not_tell_its_mode(
    api_client, funded_holder, recipient
):
    freeze(recipient, "credit")
    main = models.Account.objects.get(holder=recipient, kind="main")
    before = ledger_state()

    response = api_client.post(
        f"/internal/v1/holders/{funded_holder.pk}/transfers",
        {"to_account": str(main.id), "amount": "1.00"},
        format="json",
    )

    assert_problem(response, 422, "account_frozen")
    assert response.json()["detail"] == (
        "The recipient's account cannot receive money now."
    )
    assert ledger_state() == before


def test_a_key_refused_by_a_freeze_applies_once_the_freeze_is_lifted(
    api_client, funded_holder
):
    frozen = freeze(funded_holder, "debit")

    def withdraw():
        return api_client.post(
            f"/internal/v1/holders/{funded_holder.pk}/withdrawals",
            {"amount": "1.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="retry-me",
        )

    assert_problem(withdraw(), 422, "account_frozen")
    # A debit-only freeze lets money in.
    credit = api_client.post(
        f"/internal/v1/holders/{funded_holder.pk}/credits",
        {"amount": "1.00"},
        format="json",
    )
    assert credit.status_code == 201, credit.content
    services.freeze_lift(
        freeze=frozen, reason="Cleared", lifted_by="lead@example.com"
    )

    applied = withdraw()
    assert applied.status_code == 201, applied.content
    assert "Idempotent-Replayed" not in applied.headers
    assert withdraw().headers["Idempotent-Replayed"] == "true"
