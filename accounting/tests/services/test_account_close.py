"""account_close: staff close a wallet, its history stays."""

import pytest

from accounting import errors, models, selectors, services, wire
from accounting.tests import factories
from accounting.tests.conftest import ledger_state, wallet

pytestmark = pytest.mark.usefixtures("deferred_constraints")

# --- account_close ----------------------------------------------------------


@pytest.fixture
def two_wallets(funded_holder):
    services.account_open(holder=funded_holder, currency="EUR")
    return funded_holder


@pytest.mark.parametrize("kind", ["main", "savings"])
def test_closing_either_account_closes_the_wallet(two_wallets, clock, kind):
    usd = wallet(two_wallets)

    closed = services.account_close(account=usd[kind])

    assert [(a.kind, a.currency) for a in closed] == [
        ("main", "USD"),
        ("savings", "USD"),
    ]
    assert all(a.closed_at == clock.now for a in closed)
    assert all(a.is_closed for a in wallet(two_wallets).values())
    # Balances and the other currency's wallet stay as they were.
    assert {a.kind: a.balance for a in wallet(two_wallets).values()} == {
        "main": 9_000,
        "savings": 1_000,
    }
    assert not any(a.is_closed for a in wallet(two_wallets, "EUR").values())
    two_wallets.refresh_from_db()
    assert not two_wallets.is_closed


def test_closing_twice_keeps_the_first_instant(two_wallets, clock):
    first = services.account_close(account=wallet(two_wallets)["main"])
    closed_at = first[0].closed_at
    clock.advance(hours=1)

    again = services.account_close(account=wallet(two_wallets)["main"])

    assert [a.closed_at for a in again] == [closed_at, closed_at]


@pytest.mark.parametrize("kind", ["world", "fx", "clearing"])
def test_system_accounts_never_close(holder, kind):
    del holder  # opens the USD wallet, and so the system accounts
    system = models.Account.objects.get(
        pk=models.Account.system_id(kind, "USD")
    )
    before = ledger_state()

    with pytest.raises(errors.AccountNotFoundError) as caught:
        services.account_close(account=system)

    assert caught.value.code == "account_not_found"
    assert ledger_state() == before
    assert not models.Account.objects.exclude(closed_at=None).exists()


def test_a_closed_wallet_accepts_no_credit(two_wallets):
    services.account_close(account=wallet(two_wallets)["main"])
    before = ledger_state()

    with pytest.raises(errors.AccountClosedError) as caught:
        services.credit_apply(
            holder_id=two_wallets.pk, amount=100, currency="USD"
        )

    assert caught.value.code == "account_closed"
    assert caught.value.detail == "The USD account is closed."
    assert ledger_state() == before
    # The other wallet still works.
    result = services.credit_apply(
        holder_id=two_wallets.pk, amount=100, currency="EUR"
    )
    assert result.body["balances"]["main"] == "1.00"


def test_a_closed_wallet_is_not_opened_again(two_wallets):
    closed = services.account_close(account=wallet(two_wallets)["main"])
    before = ledger_state()

    with pytest.raises(errors.AccountClosedError) as caught:
        services.account_open(holder=two_wallets, currency="USD")

    assert caught.value.code == "account_closed"
    assert ledger_state() == before
    # Still closed, at the instant staff closed it; the other one opens.
    assert [a.closed_at for a in wallet(two_wallets).values()] == [
        a.closed_at for a in closed
    ]
    assert [
        a.kind
        for a in services.account_open(holder=two_wallets, currency="EUR")
    ] == ["main", "savings"]


def test_a_closed_wallet_keeps_its_history(two_wallets):
    services.withdrawal_apply(
        holder_id=two_wallets.pk, amount=500, currency="USD"
    )
    services.account_close(account=wallet(two_wallets)["main"])

    page = selectors.transactions_page(holder=two_wallets)
    assert [t.kind for t in page.results] == ["withdrawal", "credit"]
    at = page.results[0].occurred_at
    found = selectors.balance_at(holder=two_wallets, currency="USD", at=at)
    assert (found.main, found.savings) == (8_500, 1_000)
    documents = [
        wire.account_data(account)
        for account in selectors.accounts_list(holder=two_wallets)
    ]
    assert [(a["currency"], a["closed_at"] is None) for a in documents] == [
        ("EUR", True),
        ("EUR", True),
        ("USD", False),
        ("USD", False),
    ]
    assert documents[2]["closed_at"].endswith("Z")


def test_a_closed_wallet_is_not_found_as_a_recipient(two_wallets):
    sender = factories.HolderFactory()
    services.credit_apply(holder_id=sender.pk, amount=1_000, currency="USD")
    services.account_close(account=wallet(two_wallets)["savings"])
    before = ledger_state()

    with pytest.raises(errors.AccountNotFoundError):
        services.transfer_apply(
            holder_id=sender.pk,
            to_account=wallet(two_wallets)["main"].id,
            amount=100,
            currency="USD",
        )

    assert ledger_state() == before
