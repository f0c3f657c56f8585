"""Freezes: what each mode stops, for how long, and the record they keep."""

import datetime as dt
import decimal

import pytest
from django.utils import timezone

from accounting import errors, models, services
from accounting.tests import factories
from accounting.tests.conftest import (
    embedded_manage,
    ledger_state,
    sqlite_copy,
    wallet,
)

pytestmark = pytest.mark.usefixtures("deferred_constraints")

STAFF = "staff@example.com"
DEBIT, CREDIT, FULL = "debit", "credit", "full"


def freeze(holder, mode, currency="USD", **kwargs):
    kwargs.setdefault("reason", "Suspicious activity")
    return services.freeze_create(
        holder=holder,
        currency=currency,
        mode=mode,
        created_by=STAFF,
        **kwargs,
    )


def lift(frozen, reason="Checked: all fine", by="lead@example.com"):
    return services.freeze_lift(freeze=frozen, reason=reason, lifted_by=by)


@pytest.fixture
def ana(db):
    """50% saver: main 50.00 and savings 50.00 USD, and a EUR wallet."""
    del db
    holder = factories.HolderFactory(email="ana@example.com")
    services.plan_assign(
        holder=holder,
        plan=factories.PlanFactory(percentage=decimal.Decimal("50")),
    )
    services.account_open(holder=holder, currency="EUR")
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    return holder


@pytest.fixture
def bob(db):
    del db
    return factories.HolderFactory(email="bob@example.com")


@pytest.fixture
def pot_group(ana):
    return services.group_create(
        holder=ana, name="Trip", target_amount=50_000, currency="USD"
    )


def credit(ana, bob, group):
    del bob, group
    return services.credit_apply(holder_id=ana.pk, amount=100, currency="USD")


def withdrawal(ana, bob, group):
    del bob, group
    return services.withdrawal_apply(
        holder_id=ana.pk, amount=100, currency="USD"
    )


def transfer(ana, bob, group):
    del group
    return services.transfer_apply(
        holder_id=ana.pk,
        to_account=wallet(bob)["main"].id,
        amount=100,
        currency="USD",
    )


def conversion(ana, bob, group):
    del bob, group
    factories.RateFactory()
    return services.conversion_apply(
        holder_id=ana.pk, from_currency="USD", to_currency="EUR", amount=100
    )


def release(ana, bob, group):
    del bob, group
    return services.savings_release_apply(
        holder_id=ana.pk, amount=100, currency="USD"
    )


def contribution(ana, bob, group):
    del bob
    return services.contribution_apply(
        holder_id=ana.pk, group_id=group.id, amount=100, currency="USD"
    )


# (movement, whose wallet is frozen, its currency, the modes that stop it)
CASES = [
    (credit, "ana", "USD", {CREDIT, FULL}),
    (withdrawal, "ana", "USD", {DEBIT, FULL}),
    (transfer, "ana", "USD", {DEBIT, FULL}),
    (transfer, "bob", "USD", {CREDIT, FULL}),
    (conversion, "ana", "USD", {DEBIT, FULL}),
    (conversion, "ana", "EUR", {CREDIT, FULL}),
    # Savings to main: a debit of savings and a credit of main.
    (release, "ana", "USD", {DEBIT, CREDIT, FULL}),
    (contribution, "ana", "USD", {DEBIT, FULL}),
]


@pytest.fixture
def people(ana, bob, pot_group):
    return {"ana": ana, "bob": bob, "group": pot_group}


@pytest.mark.parametrize("mode", [DEBIT, CREDIT, FULL])
@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c[0].__name__}-{c[1]}-{c[2]}" for c in CASES]
)
def test_each_movement_is_refused_by_the_modes_that_stop_it(people, case, mode):
    move, whose, currency, stopped_by = case
    freeze(people[whose], mode, currency)
    before = ledger_state()
    arguments = (people["ana"], people["bob"], people["group"])

    if mode not in stopped_by:
        result = move(*arguments)
        assert result.transaction is not None
        return
    with pytest.raises(errors.AccountFrozenError) as caught:
        move(*arguments)

    assert caught.value.code == "account_frozen"
    assert ledger_state() == before
    assert "Suspicious" not in caught.value.detail


@pytest.mark.parametrize(
    ("mode", "detail"),
    [
        (DEBIT, "The USD wallet is frozen: debit-only (no money out)."),
        (FULL, "The USD wallet is frozen: full (no money in or out)."),
    ],
)
def test_the_detail_names_the_wallet_and_mode_never_the_reason(
    ana, mode, detail
):
    freeze(ana, mode, reason="Court order 42")

    with pytest.raises(errors.AccountFrozenError) as caught:
        withdrawal(ana, None, None)

    assert caught.value.detail == detail


def test_a_sender_is_not_told_the_recipients_mode(ana, bob):
    freeze(bob, FULL)

    with pytest.raises(errors.AccountFrozenError) as caught:
        transfer(ana, bob, None)

    assert caught.value.detail == (
        "The recipient's account cannot receive money now."
    )


def test_a_wallet_freeze_leaves_the_other_wallets_alone(ana):
    freeze(ana, FULL, "EUR")

    result = withdrawal(ana, None, None)

    assert result.body["balances"]["main"] == "49.00"


def test_a_holder_freeze_stops_every_wallet_and_those_opened_later(ana):
    freeze(ana, CREDIT, "")
    services.account_open(holder=ana, currency="JPY")

    for currency in ("USD", "EUR", "JPY"):
        with pytest.raises(errors.AccountFrozenError):
            services.credit_apply(
                holder_id=ana.pk, amount=100, currency=currency
            )
    accounts = models.Account.objects.filter(holder=ana)
    assert {a.credits_frozen_until for a in accounts} == {models.Freeze.FOREVER}
    assert {a.debits_frozen_until for a in accounts} == {None}
    # Money may still leave: the freeze stops credits only.
    assert withdrawal(ana, None, None).transaction is not None


def test_an_expired_freeze_stops_nothing_without_any_job(ana, clock):
    frozen = freeze(ana, DEBIT, expires_at=clock.now + dt.timedelta(hours=1))
    with pytest.raises(errors.AccountFrozenError):
        withdrawal(ana, None, None)

    clock.advance(hours=1)

    assert withdrawal(ana, None, None).transaction is not None
    assert frozen.state(clock.now) == "expired"
    assert wallet(ana)["main"].debits_frozen_until == frozen.expires_at


def test_the_latest_expiry_of_overlapping_freezes_applies(ana, clock):
    soon = freeze(ana, DEBIT, expires_at=clock.now + dt.timedelta(hours=1))
    later = freeze(ana, FULL, "", expires_at=clock.now + dt.timedelta(hours=2))

    clock.advance(minutes=90)
    assert soon.state(clock.now) == "expired"
    with pytest.raises(errors.AccountFrozenError):
        withdrawal(ana, None, None)

    clock.advance(minutes=30)
    assert later.state(clock.now) == "expired"
    assert withdrawal(ana, None, None).transaction is not None


def test_lifting_is_recorded_and_money_moves_again(ana):
    frozen = freeze(ana, FULL)

    lifted = lift(frozen)

    assert (lifted.lifted_by, lifted.lift_reason) == (
        "lead@example.com",
        "Checked: all fine",
    )
    assert lifted.lifted_at is not None
    assert lifted.state(timezone.now()) == "lifted"
    assert (lifted.reason, lifted.created_by) == ("Suspicious activity", STAFF)
    assert models.Freeze.objects.count() == 1
    main = wallet(ana)["main"]
    assert (main.debits_frozen_until, main.credits_frozen_until) == (
        None,
        None,
    )
    assert withdrawal(ana, None, None).transaction is not None


def test_lifting_one_freeze_leaves_the_others_in_force(ana):
    wallet_freeze = freeze(ana, DEBIT)
    freeze(ana, CREDIT, "")

    lift(wallet_freeze)

    assert withdrawal(ana, None, None).transaction is not None
    with pytest.raises(errors.AccountFrozenError):
        credit(ana, None, None)


def test_lifting_twice_keeps_the_first_lift(ana):
    frozen = lift(freeze(ana, FULL))

    again = lift(frozen, reason="Again", by="other@example.com")

    assert (again.lifted_at, again.lifted_by, again.lift_reason) == (
        frozen.lifted_at,
        "lead@example.com",
        "Checked: all fine",
    )


def test_a_lift_needs_a_reason(ana):
    frozen = freeze(ana, FULL)

    with pytest.raises(errors.FreezeInvalidError) as caught:
        lift(frozen, reason="  ")

    assert caught.value.field == "lift_reason"
    frozen.refresh_from_db()
    assert frozen.lifted_at is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"mode": "sideways"}, "mode"),
        (
            {"expires_at": timezone.now() - dt.timedelta(seconds=1)},
            "expires_at",
        ),
    ],
)
def test_a_freeze_is_refused_without_what_it_needs(ana, changes, field):
    arguments = {"mode": FULL, **changes}

    with pytest.raises(errors.FreezeInvalidError) as caught:
        freeze(ana, **arguments)

    assert caught.value.field == field
    assert not models.Freeze.objects.exists()


def test_a_wallet_the_holder_lacks_cannot_be_frozen(ana):
    with pytest.raises(errors.AccountNotOpenError):
        freeze(ana, FULL, "JPY")

    assert not models.Freeze.objects.exists()


def test_a_refused_keyed_request_stores_no_answer(ana):
    frozen = freeze(ana, DEBIT)

    def keyed():
        return services.withdrawal_apply(
            holder_id=ana.pk,
            amount=100,
            currency="USD",
            idempotency_key="k-1",
            request_hash="h-1",
        )

    with pytest.raises(errors.AccountFrozenError):
        keyed()
    assert not models.IdempotencyKey.objects.filter(key="k-1").exists()
    lift(frozen)

    # The same request, retried once the freeze is lifted, applies.
    result = keyed()
    assert not result.replayed
    assert keyed().replayed


def test_a_batch_item_to_a_frozen_wallet_is_refused_with_the_code(ana, bob):
    partner = models.Partner.objects.create(name="Acme Payroll")
    key, _ = services.key_issue(
        partner=partner, name="payroll", scopes=["credits:write"]
    )
    freeze(ana, CREDIT)
    batch, _ = services.credit_batch_create(
        key=key,
        items=[
            services.BatchItemInput(ana.email, 1_000, "USD", "PAY-1"),
            services.BatchItemInput(bob.email, 1_000, "USD", "PAY-2"),
        ],
        idempotency_key="batch-1",
    )

    batch = services.credit_batch_run(batch_id=batch.id)

    items = models.CreditBatchItem.objects.filter(batch=batch)
    assert [(i.status, i.error_code) for i in items] == [
        ("refused", "account_frozen"),
        ("applied", ""),
    ]
    assert wallet(ana)["main"].balance == 5_000
    assert wallet(bob)["main"].balance == 1_000


def test_an_imported_row_into_a_frozen_wallet_is_refused(ana):
    freeze(ana, DEBIT)
    job, _ = services.import_create(
        holder_id=ana.pk,
        pieces=[
            b"date,amount,description\n"
            b"2026-11-02,10.00,Pay\n2026-11-03,-5.00,Bus\n"
        ],
        currency="USD",
    )

    job = services.import_run(import_id=job.id)

    assert (job.rows_applied, job.rows_refused) == (1, 1)
    refusal = models.ImportRefusal.objects.get(import_job=job)
    assert (refusal.line, refusal.code) == (3, "account_frozen")


# On the embedded default: SQLite returns the accounts' instants as text,
# which the lock query's conversions read back into datetimes.
SQLITE_SCRIPT = """
import datetime as dt
import uuid
from django.utils import timezone
from accounting import errors, models, services
holder = models.Holder.objects.create(
    user_id=uuid.UUID("6c0b6f6e-0000-4000-8000-000000000001"),
    email="ana@example.com",
    version=1,
)
services.account_open(holder=holder, currency="USD")
services.credit_apply(holder_id=holder.pk, amount=1_000, currency="USD")
frozen = services.freeze_create(
    holder=holder, currency="USD", mode="debit", reason="Review",
    created_by="staff", expires_at=timezone.now() + dt.timedelta(days=1),
)
try:
    services.withdrawal_apply(holder_id=holder.pk, amount=100, currency="USD")
except errors.AccountFrozenError as error:
    print("refused", error.code)
services.credit_apply(holder_id=holder.pk, amount=100, currency="USD")
services.freeze_lift(freeze=frozen, reason="Done", lifted_by="staff")
services.withdrawal_apply(holder_id=holder.pk, amount=100, currency="USD")
print("balance", models.Account.objects.get(holder=holder, kind="main").balance)
"""


def test_freezes_hold_on_the_embedded_default(sqlite_empty, tmp_path):
    var_dir = tmp_path / "var"
    sqlite_copy(sqlite_empty, var_dir)

    done = embedded_manage(var_dir, "shell", "-c", SQLITE_SCRIPT)

    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    assert printed[-2:] == ["refused account_frozen", "balance 1000"]
