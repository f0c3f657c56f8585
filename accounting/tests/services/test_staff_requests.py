"""Four eyes: above the limit one staff asks, another approves."""

import datetime as dt
import decimal
import uuid

import pytest
from django.utils import timezone

from accounting import errors, models, services
from accounting.tests import factories

pytestmark = pytest.mark.django_db

ASKER = services.Staff(id="1", email="asker@example.com")
APPROVER = services.Staff(id="2", email="approver@example.com")


@pytest.fixture(autouse=True)
def limits(settings):
    settings.FOUR_EYES_LIMITS = {
        "USD": decimal.Decimal("1000"),
        "JPY": decimal.Decimal("150000"),
    }


def close(account, amount, currency="USD"):
    return services.four_eyes_submit(
        kind=models.StaffRequest.Kind.CLOSURE,
        target=f"{account.holder_id}:{currency}",
        summary="a wallet",
        params={"account": str(account.pk)},
        amount=amount,
        currency=currency,
        reason="Holder asked",
        staff=ASKER,
    )


def main_of(holder, currency="USD"):
    return holder.accounts.get(kind="main", currency=currency)


@pytest.mark.parametrize(
    ("amount", "currency", "needed"),
    [
        (100_000, "USD", False),  # exactly the limit: alone
        (100_001, "USD", True),
        (-100_001, "USD", True),  # a debit counts by its size
        (150_000, "JPY", False),  # yen have no minor unit
        (150_001, "JPY", True),
        (1, "EUR", True),  # no limit: always two
    ],
)
def test_the_limit_is_per_currency_in_major_units(amount, currency, needed):
    assert services.four_eyes_needed(amount=amount, currency=currency) is needed


def test_below_the_limit_the_action_runs_at_once(holder):
    done = close(main_of(holder), 100_000)

    assert set(done["accounts"]) == {
        str(a.pk) for a in holder.accounts.filter(currency="USD")
    }
    assert main_of(holder).closed_at is not None
    assert not models.StaffRequest.objects.exists()


def test_above_the_limit_it_is_only_asked(holder):
    asked = close(main_of(holder), 100_001)

    assert isinstance(asked, models.StaffRequest)
    assert (asked.status, asked.requested_by, asked.reason) == (
        "pending",
        "asker@example.com",
        "Holder asked",
    )
    assert main_of(holder).closed_at is None
    with pytest.raises(errors.StaffRequestPendingError):
        close(main_of(holder), 100_001)
    assert models.StaffRequest.objects.count() == 1


def test_the_asker_can_neither_approve_nor_reject(holder):
    asked = close(main_of(holder), 100_001)

    with pytest.raises(errors.FourEyesSameStaffError):
        services.staff_request_approve(staff_request=asked, staff=ASKER)
    with pytest.raises(errors.FourEyesSameStaffError):
        services.staff_request_reject(
            staff_request=asked, staff=ASKER, note="oops"
        )

    asked.refresh_from_db()
    assert asked.status == "pending"
    assert main_of(holder).closed_at is None


def test_another_staff_approves_and_the_action_runs_once(holder):
    asked = close(main_of(holder), 100_001)

    done = services.staff_request_approve(
        staff_request=asked, staff=APPROVER, note="Checked the ticket"
    )

    assert (done.status, done.decided_by, done.decision_note) == (
        "done",
        "approver@example.com",
        "Checked the ticket",
    )
    assert done.requested_by == "asker@example.com"
    assert done.decided_at is not None
    assert str(main_of(holder).pk) in done.outcome["accounts"]
    assert main_of(holder).closed_at is not None
    with pytest.raises(errors.StaffRequestDecidedError):
        services.staff_request_approve(staff_request=asked, staff=APPROVER)


def test_a_rejection_does_nothing_and_keeps_why(holder):
    asked = close(main_of(holder), 100_001)

    rejected = services.staff_request_reject(
        staff_request=asked, staff=APPROVER, note="No ticket"
    )

    assert (rejected.status, rejected.decision_note) == (
        "rejected",
        "No ticket",
    )
    assert main_of(holder).closed_at is None
    with pytest.raises(errors.StaffRequestDecidedError):
        services.staff_request_reject(
            staff_request=asked, staff=APPROVER, note="again"
        )
    # Once decided, the same action may be asked again.
    assert close(main_of(holder), 100_001).status == "pending"


@pytest.mark.parametrize("exists", [True, False])
def test_a_refusal_at_approval_is_kept_and_nothing_moves(exists):
    world = models.Account.system_id(models.Account.Kind.WORLD, "USD")
    if not exists:
        world = uuid.uuid4()
    asked = services.staff_request_create(
        kind=models.StaffRequest.Kind.CLOSURE,
        target="system",
        summary="a system account",
        params={"account": str(world)},
        amount=10**9,
        currency="USD",
        reason="by mistake",
        staff=ASKER,
    )

    failed = services.staff_request_approve(staff_request=asked, staff=APPROVER)

    assert failed.status == "failed"
    assert failed.outcome["code"] == "account_not_found"
    assert not models.Account.objects.filter(closed_at__isnull=False).exists()


def test_a_system_account_is_never_asked_to_close():
    world = models.Account(
        id=models.Account.system_id(models.Account.Kind.WORLD, "USD"),
        kind=models.Account.Kind.WORLD,
        currency="USD",
    )

    with pytest.raises(errors.AccountNotFoundError):
        services.closure_submit(account=world, reason="no", staff=ASKER)
    assert not models.StaffRequest.objects.exists()


def freeze_every_wallet(holder):
    return services.freeze_submit(
        holder=holder,
        currency="",
        mode="full",
        reason="Court order",
        expires_at=None,
        staff=ASKER,
    )


def test_a_holder_wide_freeze_is_judged_by_its_richest_wallet(holder):
    services.account_open(holder=holder, currency="JPY")
    services.credit_apply(holder_id=holder.pk, amount=200_000, currency="JPY")
    services.credit_apply(holder_id=holder.pk, amount=50_000, currency="USD")

    asked = freeze_every_wallet(holder)

    assert (asked.kind, asked.amount, asked.currency) == (
        "freeze",
        200_000,
        "JPY",
    )
    assert asked.target == f"{holder.pk}:*"
    assert not models.Freeze.objects.exists()


def test_a_freeze_of_empty_wallets_runs_at_once(holder):
    done = freeze_every_wallet(holder)

    frozen = models.Freeze.objects.get()
    assert done == {"freeze": str(frozen.pk)}
    assert (frozen.currency, frozen.created_by) == ("", "asker@example.com")


def test_a_holder_without_wallets_is_judged_in_the_default_currency():
    holder = models.Holder.objects.create(
        user_id=uuid.uuid4(), email="new@example.com", version=1
    )

    done = freeze_every_wallet(holder)

    assert "freeze" in done


def test_an_approved_freeze_keeps_its_expiry(holder):
    services.credit_apply(holder_id=holder.pk, amount=500_000, currency="USD")
    until = timezone.now() + dt.timedelta(days=3)
    asked = services.freeze_submit(
        holder=holder,
        currency="USD",
        mode="credit",
        reason="KYC review",
        expires_at=until,
        staff=ASKER,
    )

    services.staff_request_approve(staff_request=asked, staff=APPROVER)

    assert models.Freeze.objects.get().expires_at == until


def credit_of(holder, amount):
    done = services.credit_apply(
        holder_id=holder.pk, amount=amount, currency="USD"
    )
    return models.Transaction.objects.get(pk=done.body["transaction"]["id"])


def test_a_small_reversal_runs_at_once(holder):
    credit = credit_of(holder, 50_000)

    done = services.reversal_submit(
        original=credit, reason="Paid twice", staff=ASKER
    )

    (reversal,) = models.Transaction.objects.filter(reverses=credit)
    assert done == {"reversals": [str(reversal.pk)], "created": True}


@pytest.mark.parametrize("named", ["transfer_out", "transfer_in"])
def test_a_large_transfer_is_one_request_whichever_half(holder, named):
    credit_of(holder, 300_000)
    recipient = factories.HolderFactory()
    sent = models.Transaction.objects.get(
        pk=services.transfer_apply(
            holder_id=holder.pk,
            to_account=recipient.accounts.get(kind="main", currency="USD").pk,
            amount=200_000,
            currency="USD",
        ).body["transaction"]["id"]
    )
    received = models.Transaction.objects.get(pk=sent.related_id)

    asked = services.reversal_submit(
        original=sent if named == "transfer_out" else received,
        reason="Wrong payee",
        staff=ASKER,
    )
    with pytest.raises(errors.StaffRequestPendingError):
        services.reversal_submit(
            original=received, reason="Wrong payee", staff=ASKER
        )
    done = services.staff_request_approve(staff_request=asked, staff=APPROVER)

    assert (asked.target, asked.amount) == (str(sent.pk), 200_000)
    assert done.status == "done"
    assert models.Transaction.objects.filter(kind="reversal").count() == 2
    assert recipient.accounts.get(kind="main", currency="USD").balance == 0


def test_a_reversal_refused_at_approval_moves_nothing(holder):
    credit = credit_of(holder, 200_000)
    asked = services.reversal_submit(
        original=credit, reason="Paid twice", staff=ASKER
    )
    services.withdrawal_apply(
        holder_id=holder.pk, amount=150_000, currency="USD"
    )

    failed = services.staff_request_approve(staff_request=asked, staff=APPROVER)

    assert failed.status == "failed"
    assert failed.outcome["code"] == "reversal_insufficient_funds"
    assert not models.Transaction.objects.filter(kind="reversal").exists()


def test_what_cannot_be_reversed_is_not_asked_for(holder):
    credit = credit_of(holder, 200_000)
    services.reversal_submit(original=credit, reason="Paid twice", staff=ASKER)
    asked = models.StaffRequest.objects.get()
    services.staff_request_approve(staff_request=asked, staff=APPROVER)
    reversal = models.Transaction.objects.get(reverses=credit)

    with pytest.raises(errors.TransactionNotReversibleError):
        services.reversal_submit(original=reversal, reason="x", staff=ASKER)
    assert models.StaffRequest.objects.count() == 1
