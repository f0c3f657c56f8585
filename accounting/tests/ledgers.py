"""A sample ledger with every kind of movement, for the ledger checks.

Written through the real services, so it must pass every check; the
tests of ``accounting.selectors.ledger_checks`` then break it one rule at
a time. The same function fills the PostgreSQL test database (in process)
and the embedded default's SQLite file (in a ``manage.py shell`` child
process, see ``sqlite_ledger`` in ``conftest.py``)::

    python manage.py shell -c \
        "from accounting.tests import ledgers; ledgers.sample_in_the_past()"
"""

import datetime as dt
import decimal

from django.utils import timezone

from accounting import models, services
from accounting.tests import factories
from accounting.tests.conftest import Clock, frozen_clock

# 1.00 USD costs 151.2345 yen and so on; JPY to USD at 7.775 (no such rate,
# but a half-way one): 75,783 yen make exactly 58,921,282.5 cents, which
# doubles compute as 58,921,282.50000001 (see ledger_checks.RELATIVE_ERROR).
RATES = (
    ("USD", "JPY", "151.2345"),
    ("JPY", "EUR", "0.00617"),
    ("EUR", "USD", "1.0833"),
    ("JPY", "USD", "7.775"),
)
HALF_WAY = ("JPY", "USD", 75_783)


def sample(clock: Clock) -> dict[str, models.Holder]:
    """Writes the sample ledger at the clock's instants.

    Alice (10% plan, savings held 2 days) and Bob (half of each credit
    saved) in USD, EUR and JPY: credits, a withdrawal, transfers both
    ways, a savings release after the holding period, conversions with
    rounding into and out of JPY (one half-way), contributions to two
    groups' pots, reversals of a credit, a withdrawal, a conversion and
    a transfer, and a closed wallet.

    Args:
        clock: A frozen clock (``conftest.Clock``), moved forward here.

    Returns:
        ``{"alice": ..., "bob": ...}``.
    """
    alice, bob = (
        factories.HolderFactory(email=f"{name}@example.com")
        for name in ("alice", "bob")
    )
    for holder in (alice, bob):
        for currency in ("EUR", "JPY"):
            services.account_open(holder=holder, currency=currency)
    services.plan_assign(
        holder=alice, plan=factories.PlanFactory(savings_hold_days=2)
    )
    services.plan_assign(
        holder=bob,
        plan=factories.PlanFactory(percentage=decimal.Decimal("50")),
    )
    for base, quote, rate in RATES:
        factories.RateFactory(
            base=base,
            quote=quote,
            rate=decimal.Decimal(rate),
            valid_from=clock.now - dt.timedelta(days=1),
        )
    usd = {"currency": "USD"}
    services.credit_apply(holder_id=alice.pk, amount=100_005, **usd)
    services.credit_apply(
        holder_id=bob.pk,
        amount=12_000,
        effective_at=clock.now - dt.timedelta(days=1),
        **usd,
    )
    services.credit_apply(holder_id=alice.pk, amount=100_000, currency="JPY")
    clock.advance(minutes=1)
    services.withdrawal_apply(
        holder_id=alice.pk,
        amount=1_234,
        category="food",
        effective_at=clock.now - dt.timedelta(hours=1),
        **usd,
    )
    mains = {
        holder: holder.accounts.get(kind="main", currency="USD")
        for holder in (alice, bob)
    }
    services.transfer_apply(
        holder_id=alice.pk, to_account=mains[bob].id, amount=777, **usd
    )
    services.transfer_apply(
        holder_id=bob.pk, to_account=mains[alice].id, amount=5_777, **usd
    )
    summer = services.group_create(
        holder=alice, name="Summer", target_amount=10_000, **usd
    )
    winter = services.group_create(
        holder=bob, name="Winter", target_amount=10_000, **usd
    )
    services.member_add(
        holder_id=alice.pk, group_id=summer.id, email="bob@example.com"
    )
    for holder, group, amount in (
        (alice, summer, 500),
        (bob, summer, 250),
        (bob, winter, 400),
        (alice, summer, 100),
    ):
        clock.advance(seconds=1)
        services.contribution_apply(
            holder_id=holder.pk, group_id=group.id, amount=amount, **usd
        )
    clock.advance(days=2)
    services.savings_release_apply(holder_id=alice.pk, amount=9_000, **usd)
    for from_currency, to_currency, amount in (
        ("USD", "JPY", 333),
        ("JPY", "EUR", 501),
        ("EUR", "USD", 3),
        HALF_WAY,
    ):
        clock.advance(seconds=1)
        services.conversion_apply(
            holder_id=alice.pk,
            from_currency=from_currency,
            to_currency=to_currency,
            amount=amount,
        )
    _reversals(clock, alice, bob)
    services.account_close(
        account=bob.accounts.get(kind="main", currency="EUR")
    )
    return {"alice": alice, "bob": bob}


def _reversals(clock: Clock, alice: models.Holder, bob: models.Holder) -> None:
    """Makes and reverses one movement of each reversible kind.

    Movements of their own, so that the defects of the sample's others
    break nothing of a reversal; the transfer (named by its
    ``transfer_in``) last in both mains, so that a defect may move one
    half's reversal later.
    """
    usd = {"currency": "USD"}
    originals = [
        services.credit_apply(holder_id=bob.pk, amount=300, **usd),
        services.withdrawal_apply(
            holder_id=alice.pk, amount=100, category="mistake", **usd
        ),
        services.conversion_apply(
            holder_id=alice.pk,
            from_currency="JPY",
            to_currency="EUR",
            amount=1_000,
        ),
        services.transfer_apply(
            holder_id=alice.pk,
            to_account=bob.accounts.get(kind="main", currency="USD").id,
            amount=200,
            **usd,
        ),
    ]
    headers = [
        models.Transaction.objects.get(pk=result.body["transaction"]["id"])
        for result in originals
    ]
    headers[-1] = models.Transaction.objects.get(pk=headers[-1].related_id)
    for original in headers:
        clock.advance(seconds=1)
        services.transaction_reverse(
            original=original, reason="Sample", staff="staff@example.com"
        )


def sample_in_the_past() -> None:
    """Writes the sample ledger from three days ago (for a child process)."""
    with frozen_clock(timezone.now() - dt.timedelta(days=3)) as clock:
        sample(clock)
