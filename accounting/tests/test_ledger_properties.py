"""Property test: random money movements keep every ledger invariant.

Hypothesis draws three holders with wallets in USD, EUR and JPY, their
plans (percentage or flat, in any of the currencies, with a holding period
of 0 to 3 days), a rate history per currency pair (some pairs have none,
some rates start later) and a sequence of credits, transfers, withdrawals,
savings releases, conversions, plan changes, wallet closings and waits. A
plain Python model of the rules (written from the design, not from the
services) predicts each outcome: the service must succeed exactly when the
model does, with the same balances, and a refusal must raise the model's
error and change nothing. After each sequence, every currency sums to zero
over all accounts, each customer account's projection equals a replay of
its entries, ``balance_at`` equals the replay at and just before every
transaction instant, and ``verify_ledger`` finds nothing.

Each example runs in a savepoint that is rolled back, on a frozen clock
that every operation moves forward, so its instants are distinct and known
to the model.
"""

import collections
import dataclasses
import datetime as dt
import decimal
import fractions

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounting import errors, models, selectors, services
from accounting.tests import factories
from accounting.tests.conftest import (
    constraints_check,
    failed_checks,
    frozen_clock,
    ledger_state,
)
from accounting.tests.examples import examples

CURRENCIES = ("USD", "EUR", "JPY")
EXPONENTS = {"USD": 2, "EUR": 2, "JPY": 0}
HOLDERS = 3
START = dt.datetime(2031, 3, 1, 9, tzinfo=dt.UTC)
TICK = dt.timedelta(milliseconds=1)


@dataclasses.dataclass(frozen=True)
class PlanSpec:
    """A plan to give a holder: ``value`` is a percentage or minor units."""

    kind: str
    value: decimal.Decimal | int
    currency: str
    hold_days: int


HOLDER = st.integers(0, HOLDERS - 1)
CURRENCY = st.sampled_from(CURRENCIES)
# None: the currency of the holder's plan (USD without one), where credits
# save and releases have savings to take.
SAVINGS_CURRENCY = st.one_of(st.none(), CURRENCY)
# An amount in minor units, or ("share", p): p percent of the balance it
# comes out of, at least 1 (so that most movements can apply).
AMOUNT = st.one_of(
    st.integers(1, 100).map(lambda percent: ("share", percent)),
    st.integers(1, 3_000_000),
)
PLAN = st.one_of(
    st.builds(
        PlanSpec,
        kind=st.just("percentage"),
        value=st.one_of(
            st.sampled_from(["10", "12.5", "50", "100"]).map(decimal.Decimal),
            st.decimals("0.01", "100", places=2),
        ),
        currency=CURRENCY,
        hold_days=st.integers(0, 3),
    ),
    st.builds(
        PlanSpec,
        kind=st.just("flat_amount"),
        value=st.integers(1, 20_000),
        currency=CURRENCY,
        hold_days=st.integers(0, 3),
    ),
    st.none(),
)
RATE = st.decimals("0.0001", "500", places=4).filter(lambda r: r > 0)
# Per pair, a rate valid from START plus -48 to 48 hours (a pair whose
# rate starts later has none until the clock gets there) and maybe a newer
# one that takes over up to four days later.
RATE_HISTORY = st.tuples(
    st.tuples(st.integers(-48, 48), RATE),
    st.lists(st.tuples(st.integers(49, 96), RATE), max_size=1),
).map(lambda rates: [rates[0], *rates[1]])
RATES = st.fixed_dictionaries(
    {
        (base, quote): RATE_HISTORY
        for base in CURRENCIES
        for quote in CURRENCIES
        if base != quote
    }
)
RELEASE = st.tuples(st.just("release"), HOLDER, SAVINGS_CURRENCY, AMOUNT)
CONVERT = st.tuples(st.just("convert"), HOLDER, CURRENCY, CURRENCY, AMOUNT)
# Releases and conversions have the most rules: they are drawn twice as
# often as the other operations.
OPERATION = st.one_of(
    st.tuples(
        st.just("credit"), HOLDER, SAVINGS_CURRENCY, st.integers(1, 5_000_000)
    ),
    st.tuples(st.just("transfer"), HOLDER, HOLDER, CURRENCY, AMOUNT),
    st.tuples(st.just("withdraw"), HOLDER, CURRENCY, AMOUNT),
    RELEASE,
    RELEASE,
    CONVERT,
    CONVERT,
    st.tuples(st.just("wait"), st.integers(1, 4 * 24 * 3600)),
    st.tuples(st.just("plan"), HOLDER, PLAN),
    st.tuples(st.just("close"), HOLDER, CURRENCY),
)


def resolve(amount, balance):
    """Returns the minor units an AMOUNT draw means for a balance."""
    if isinstance(amount, tuple):
        return max(1, balance * amount[1] // 100)
    return amount


def half_even(value: fractions.Fraction) -> int:
    """Rounds an exact fraction to an integer, ties to even."""
    whole, rest = divmod(value.numerator, value.denominator)
    twice = 2 * rest
    if twice > value.denominator or (twice == value.denominator and whole % 2):
        return whole + 1
    return whole


class Model:
    """The rules of the design, on plain dicts of integers.

    Each ``*_expect`` method returns the error class the service must
    raise, or None after applying the movement to the model.
    """

    def __init__(self, rates):
        self.main = collections.Counter()  # (holder, currency) -> minor
        self.savings = collections.Counter()
        self.inflows = collections.defaultdict(list)  # -> [(at, amount)]
        self.plans = [None] * HOLDERS
        self.closed = set()  # (holder, currency)
        self.rates = rates  # (base, quote) -> [(valid_from, rate)]

    def plan_currency(self, h):
        plan = self.plans[h]
        return plan.currency if plan else "USD"

    def credit_expect(self, h, currency, amount, now):
        if (h, currency) in self.closed:
            return errors.AccountClosedError
        plan = self.plans[h]
        saved = 0
        if plan is not None and plan.currency == currency:
            if plan.kind == "flat_amount":
                if amount <= plan.value:
                    return errors.AmountNotAboveFlatAmountError
                saved = plan.value
            else:
                share = (
                    fractions.Fraction(amount)
                    * fractions.Fraction(plan.value)
                    / 100
                )
                saved = half_even(share)
        self.main[h, currency] += amount - saved
        self.savings[h, currency] += saved
        if saved:
            self.inflows[h, currency].append((now, saved))
        return None

    def transfer_expect(self, h, to, currency, amount):
        if (h, currency) in self.closed:
            return errors.AccountClosedError
        if h == to:
            return errors.SameAccountError
        if (to, currency) in self.closed:
            return errors.AccountNotFoundError
        if self.main[h, currency] < amount:
            return errors.InsufficientFundsError
        self.main[h, currency] -= amount
        self.main[to, currency] += amount
        return None

    def withdraw_expect(self, h, currency, amount):
        if (h, currency) in self.closed:
            return errors.AccountClosedError
        if self.main[h, currency] < amount:
            return errors.InsufficientFundsError
        self.main[h, currency] -= amount
        return None

    def held(self, h, currency, now):
        plan = self.plans[h]
        if plan is None or plan.hold_days == 0:
            return 0
        since = now - dt.timedelta(days=plan.hold_days)
        recent = sum(a for at, a in self.inflows[h, currency] if at > since)
        return min(recent, self.savings[h, currency])

    def release_expect(self, h, currency, amount, now):
        if (h, currency) in self.closed:
            return errors.AccountClosedError
        savings = self.savings[h, currency]
        if savings < amount:
            return errors.InsufficientFundsError
        if amount > savings - self.held(h, currency, now):
            return errors.SavingsLockedError
        self.savings[h, currency] -= amount
        self.main[h, currency] += amount
        return None

    def rate(self, base, quote, now):
        valid = [(at, r) for at, r in self.rates[base, quote] if at <= now]
        return max(valid)[1] if valid else None

    def convert_expect(self, h, source, target, amount, now):
        if source == target:
            return errors.SameCurrencyError
        if {(h, source), (h, target)} & self.closed:
            return errors.AccountClosedError
        if self.main[h, source] < amount:
            return errors.InsufficientFundsError
        rate = self.rate(source, target, now)
        if rate is None:
            return errors.RateUnavailableError
        shift = EXPONENTS[target] - EXPONENTS[source]
        bought = half_even(
            fractions.Fraction(amount)
            * fractions.Fraction(rate)
            * fractions.Fraction(10) ** shift
        )
        if bought == 0:
            return errors.AmountTooSmallError
        self.main[h, source] -= amount
        self.main[h, target] += bought
        return None


def plan_make(spec):
    if spec is None:
        return None
    if spec.kind == "percentage":
        return factories.PlanFactory(
            currency=spec.currency,
            percentage=spec.value,
            savings_hold_days=spec.hold_days,
        )
    return factories.PlanFactory(
        flat=True,
        currency=spec.currency,
        flat_amount=spec.value,
        savings_hold_days=spec.hold_days,
    )


class Run:
    """One example: the holders, the model and the clock."""

    def __init__(self, clock, rates):
        self.clock = clock
        self.holders = [factories.HolderFactory() for _ in range(HOLDERS)]
        for holder in self.holders:
            for currency in CURRENCIES[1:]:
                services.account_open(holder=holder, currency=currency)
        history = {}
        for (base, quote), drawn in rates.items():
            history[base, quote] = [
                (START + dt.timedelta(hours=hours), rate)
                for hours, rate in drawn
            ]
            for valid_from, rate in history[base, quote]:
                services.rate_create(
                    base=base, quote=quote, rate=rate, valid_from=valid_from
                )
        self.model = Model(history)
        self.mains = {
            (h, a.currency): a.id
            for h, holder in enumerate(self.holders)
            for a in holder.accounts.filter(kind="main")
        }

    def apply(self, operation):
        """Runs one operation on the services and on the model."""
        name, *args = operation
        if name == "wait":
            self.clock.advance(seconds=args[0])
            return
        self.clock.advance(milliseconds=1)
        before = ledger_state()
        expected, call = self.expect(name, args)
        # Shown by --hypothesis-show-statistics: how often each path ran.
        event(f"{name}: {expected.__name__ if expected else 'applied'}")
        if expected is None:
            call()
            return
        with pytest.raises(expected):
            call()
        assert ledger_state() == before, operation

    def expect(self, name, args):
        """Returns the model's outcome and the service call to compare.

        The model decides first (and applies the movement to itself when
        it succeeds), at the clock's instant; the call runs the service
        with the same arguments.
        """
        return getattr(self, f"expect_{name}")(*args)

    def expect_plan(self, h, spec):
        self.model.plans[h] = spec
        holder = self.holders[h]
        return None, lambda: services.plan_assign(
            holder=holder, plan=plan_make(spec)
        )

    def expect_close(self, h, currency):
        self.model.closed.add((h, currency))
        main = models.Account.objects.get(pk=self.mains[h, currency])
        return None, lambda: services.account_close(account=main)

    def expect_credit(self, h, currency, amount):
        currency = currency or self.model.plan_currency(h)
        outcome = self.model.credit_expect(h, currency, amount, self.clock.now)
        return outcome, lambda: services.credit_apply(
            holder_id=self.holders[h].pk, amount=amount, currency=currency
        )

    def expect_transfer(self, h, to, currency, amount):
        amount = resolve(amount, self.model.main[h, currency])
        outcome = self.model.transfer_expect(h, to, currency, amount)
        return outcome, lambda: services.transfer_apply(
            holder_id=self.holders[h].pk,
            to_account=self.mains[to, currency],
            amount=amount,
            currency=currency,
        )

    def expect_withdraw(self, h, currency, amount):
        amount = resolve(amount, self.model.main[h, currency])
        outcome = self.model.withdraw_expect(h, currency, amount)
        return outcome, lambda: services.withdrawal_apply(
            holder_id=self.holders[h].pk, amount=amount, currency=currency
        )

    def expect_release(self, h, currency, amount):
        currency = currency or self.model.plan_currency(h)
        amount = resolve(amount, self.model.savings[h, currency])
        outcome = self.model.release_expect(h, currency, amount, self.clock.now)
        return outcome, lambda: services.savings_release_apply(
            holder_id=self.holders[h].pk, amount=amount, currency=currency
        )

    def expect_convert(self, h, source, target, amount):
        amount = resolve(amount, self.model.main[h, source])
        outcome = self.model.convert_expect(
            h, source, target, amount, self.clock.now
        )
        return outcome, lambda: services.conversion_apply(
            holder_id=self.holders[h].pk,
            from_currency=source,
            to_currency=target,
            amount=amount,
        )

    def check_invariants(self):
        """Every invariant of the ledger, after the sequence."""
        totals = models.Entry.objects.values_list("currency").annotate(
            total=Sum("amount")
        )
        assert {c: t for c, t in totals if t} == {}
        instants = sorted(
            set(
                models.Transaction.objects.values_list("occurred_at", flat=True)
            )
        )
        probes = [at - dt.timedelta(microseconds=1) for at in instants]
        probes += [*instants, self.clock.now + dt.timedelta(days=1)]
        for h, holder in enumerate(self.holders):
            for currency in CURRENCIES:
                replays = {
                    kind: self.replay(holder, kind, currency)
                    for kind in models.Account.CUSTOMER_KINDS
                }
                assert (
                    replays["main"][-1][1] if replays["main"] else 0
                ) == self.model.main[h, currency]
                assert (
                    replays["savings"][-1][1] if replays["savings"] else 0
                ) == self.model.savings[h, currency]
                for at in probes:
                    found = selectors.balance_at(
                        holder=holder, currency=currency, at=at
                    )
                    assert (found.main, found.savings) == tuple(
                        balance_as_of(replays[kind], at)
                        for kind in models.Account.CUSTOMER_KINDS
                    ), (currency, at)
        assert failed_checks() == []
        constraints_check()

    @staticmethod
    def replay(holder, kind, currency):
        """Replays an account's entries; checks its projection on the way.

        Returns:
            ``[(occurred_at, balance after), ...]`` in sequence order.
        """
        account = models.Account.objects.get(
            holder=holder, kind=kind, currency=currency
        )
        rows = list(
            account.entries.order_by("sequence").values_list(
                "sequence", "amount", "balance_after", "occurred_at"
            )
        )
        running, history = 0, []
        for position, (sequence, amount, balance_after, at) in enumerate(
            rows, start=1
        ):
            running += amount
            assert (sequence, balance_after) == (position, running)
            assert running >= 0
            history.append((at, running))
        assert [at for at, _ in history] == sorted(at for at, _ in history)
        assert (account.balance, account.last_sequence) == (running, len(rows))
        return history


def balance_as_of(history, at):
    """The replayed balance after the last entry at or before ``at``."""
    balance = 0
    for occurred_at, after in history:
        if occurred_at > at:
            break
        balance = after
    return balance


@pytest.mark.django_db
@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    plans=st.lists(PLAN, min_size=HOLDERS, max_size=HOLDERS),
    funding=st.lists(
        st.integers(50_000, 2_000_000),
        min_size=HOLDERS * len(CURRENCIES),
        max_size=HOLDERS * len(CURRENCIES),
    ),
    rates=RATES,
    operations=st.lists(OPERATION, min_size=5, max_size=30),
)
def test_random_movements_keep_every_invariant(
    plans, funding, rates, operations
):
    with transaction.atomic(), frozen_clock(START) as clock:
        run = Run(clock, rates)
        for h, spec in enumerate(plans):
            run.apply(("plan", h, spec))
        wallets = [(h, c) for h in range(HOLDERS) for c in CURRENCIES]
        for (h, currency), amount in zip(wallets, funding, strict=True):
            run.apply(("credit", h, currency, amount))
        for operation in operations:
            run.apply(operation)
        run.check_invariants()
        transaction.set_rollback(True)
