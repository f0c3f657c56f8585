"""Property test: reports add up to the ledger rows they summarise.

Hypothesis draws two holders with wallets in USD and EUR, their plans, and
a history of credits (with sources spelled every which way), withdrawals
(with categories, blank ones too), transfers, savings releases,
conversions and group contributions, on a clock that moves forward by up
to weeks at a time, across month ends. Then, for each holder, currency,
grouping and a few drawn ranges, the report must equal what the test
computes on its own from the ``Transaction`` headers (income, expenses,
counts, keys) and the savings ``Entry`` rows (saved), and its totals must
be the sums of its groups.

Movements the rules refuse (no funds, held savings) are simply skipped:
the ledger property test proves refusals change nothing. Each example
runs in a savepoint that is rolled back.
"""

import collections
import datetime as dt
import decimal
import fractions

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounting import errors, models, selectors, services
from accounting.selectors import reports
from accounting.tests import factories
from accounting.tests.conftest import frozen_clock
from accounting.tests.examples import examples
from config import labels

CURRENCIES = ("USD", "EUR")
HOLDERS = 2
START = dt.datetime(2030, 1, 30, 22, tzinfo=dt.UTC)

HOLDER = st.integers(0, HOLDERS - 1)
CURRENCY = st.sampled_from(CURRENCIES)
SHARE = st.integers(1, 100)  # percent of the balance the money leaves
LABELS = st.sampled_from(
    ["", "   ", "Pay", " pay ", "PAY", "Side  Gig", "side gig", "Café"]
)
CATEGORIES = st.one_of(
    st.none(),
    st.sampled_from(
        ["", "  ", "Food", "food ", "FOOD", "Eating   Out", "rent"]
    ),
)
# Every holder saves a percentage of credits in one currency.
PLAN = st.tuples(CURRENCY, st.decimals("0.01", "100", places=2))
# None: the currency of the holder's plan, where savings have money.
SAVINGS_CURRENCY = st.one_of(st.none(), CURRENCY)
OPERATION = st.one_of(
    st.tuples(
        st.just("credit"), HOLDER, CURRENCY, st.integers(1, 500_000), LABELS
    ),
    st.tuples(st.just("withdraw"), HOLDER, CURRENCY, SHARE, CATEGORIES),
    st.tuples(st.just("transfer"), HOLDER, CURRENCY, SHARE),
    st.tuples(st.just("release"), HOLDER, SAVINGS_CURRENCY, SHARE),
    st.tuples(st.just("convert"), HOLDER, CURRENCY, SHARE),
    st.tuples(st.just("contribute"), HOLDER, SAVINGS_CURRENCY, SHARE),
    # Seconds: from a moment to about three weeks, so months go by.
    st.tuples(st.just("wait"), st.integers(1, 21 * 24 * 3600)),
)
# A range as two offsets from START in seconds (None: open start).
RANGE = st.tuples(
    st.one_of(st.none(), st.integers(-3600, 120 * 24 * 3600)),
    st.integers(-3600, 150 * 24 * 3600),
)


class History:
    """The holders, their group pots and the services called on them."""

    def __init__(self, clock, plans):
        self.clock = clock
        self.holders = [factories.HolderFactory() for _ in range(HOLDERS)]
        for holder in self.holders:
            services.account_open(holder=holder, currency="EUR")
        self.plan_currencies = [currency for currency, _ in plans]
        for holder, (currency, percentage) in zip(
            self.holders, plans, strict=True
        ):
            services.plan_assign(
                holder=holder,
                plan=factories.PlanFactory(
                    currency=currency, percentage=percentage
                ),
            )
        for base, quote, rate in (("USD", "EUR", "0.9"), ("EUR", "USD", "1.1")):
            services.rate_create(
                base=base,
                quote=quote,
                rate=decimal.Decimal(rate),
                valid_from=START - dt.timedelta(days=1),
            )
        # One group per currency, both holders members.
        self.groups = {}
        for currency in CURRENCIES:
            group = services.group_create(
                holder=self.holders[0],
                name=f"Pot {currency}",
                target_amount=1_000_000,
                currency=currency,
            )
            services.member_add(
                holder_id=self.holders[0].pk,
                group_id=group.id,
                email=self.holders[1].email,
            )
            self.groups[currency] = group.id

    def balance(self, h, kind, currency):
        return models.Account.objects.get(
            holder=self.holders[h], kind=kind, currency=currency
        ).balance

    def part(self, h, kind, currency, share):
        return max(1, self.balance(h, kind, currency) * share // 100)

    def apply(self, operation):
        name, *args = operation
        if name == "wait":
            self.clock.advance(seconds=args[0])
            return
        self.clock.advance(milliseconds=1)
        try:
            getattr(self, name)(*args)
        except errors.AccountingError as refused:
            # No funds and the like: nothing moved.
            event(f"{name}: {refused.code}")
        else:
            event(f"{name}: applied")

    def credit(self, h, currency, amount, source):
        services.credit_apply(
            holder_id=self.holders[h].pk,
            amount=amount,
            currency=currency,
            source=source,
        )

    def withdraw(self, h, currency, share, category):
        services.withdrawal_apply(
            holder_id=self.holders[h].pk,
            amount=self.part(h, "main", currency, share),
            currency=currency,
            category=category,
        )

    def transfer(self, h, currency, share):
        to = self.holders[1 - h].accounts.get(kind="main", currency=currency)
        services.transfer_apply(
            holder_id=self.holders[h].pk,
            to_account=to.pk,
            amount=self.part(h, "main", currency, share),
            currency=currency,
        )

    def release(self, h, currency, share):
        currency = currency or self.plan_currencies[h]
        services.savings_release_apply(
            holder_id=self.holders[h].pk,
            amount=self.part(h, "savings", currency, share),
            currency=currency,
        )

    def convert(self, h, currency, share):
        services.conversion_apply(
            holder_id=self.holders[h].pk,
            from_currency=currency,
            to_currency=next(c for c in CURRENCIES if c != currency),
            amount=self.part(h, "main", currency, share),
        )

    def contribute(self, h, currency, share):
        currency = currency or self.plan_currencies[h]
        services.contribution_apply(
            holder_id=self.holders[h].pk,
            group_id=self.groups[currency],
            amount=self.part(h, "savings", currency, share),
            currency=currency,
        )


def label_key(transaction, group_by):
    """The group of a transaction, from its header alone."""
    kind = transaction.kind
    if group_by == "month":
        return transaction.occurred_at.astimezone(dt.UTC).strftime("%Y-%m")
    if group_by == "category":
        return (transaction.category or None) if kind == "withdrawal" else None
    return (transaction.source or None) if kind == "credit" else None


def expected_groups(holder, currency, start, end, group_by):
    """The report's groups computed from the rows, without its query.

    Income and expenses from the headers' amounts, saved from the savings
    entries; keys from the stored labels and the UTC month.
    """
    totals = collections.defaultdict(lambda: [0, 0, 0, 0])
    transactions = models.Transaction.objects.filter(
        holder=holder, currency=currency, occurred_at__lte=end
    ).exclude(kind__in=["conversion", "group_contribution"])
    if start is not None:
        transactions = transactions.filter(occurred_at__gte=start)
    for txn in transactions:
        group = totals[label_key(txn, group_by)]
        if txn.kind in ("credit", "transfer_in"):
            group[0] += txn.amount
        elif txn.kind in ("withdrawal", "transfer_out"):
            group[1] += txn.amount
        group[3] += 1
    savings = models.Entry.objects.filter(
        account__holder=holder,
        account__kind="savings",
        account__currency=currency,
        occurred_at__lte=end,
    ).select_related("transaction")
    if start is not None:
        savings = savings.filter(occurred_at__gte=start)
    for entry in savings:
        if entry.transaction.kind != "group_contribution":
            totals[label_key(entry.transaction, group_by)][2] += entry.amount
    return sorted(
        ((key, *values) for key, values in totals.items()),
        key=lambda row: (row[0] is None, row[0] or ""),
    )


def rate_of(saved, income):
    """The savings rate from an exact fraction, rounded half to even."""
    if income == 0:
        return None
    # round() of a Fraction goes half to even.
    hundredths = round(fractions.Fraction(saved * 10_000, income))
    return f"{decimal.Decimal(hundredths).scaleb(-2):.2f}"


def check_report(holder, currency, start, end, group_by):
    found = selectors.report_summary(
        holder_id=holder.pk,
        currency=currency,
        start=start,
        end=end,
        group_by=group_by,
    )
    rows = [
        (g.key, g.income, g.expenses, g.saved, g.transactions)
        for g in found.groups
    ]
    assert rows == expected_groups(holder, currency, start, end, group_by)
    assert found.income == sum(g.income for g in found.groups)
    assert found.expenses == sum(g.expenses for g in found.groups)
    assert found.saved == sum(g.saved for g in found.groups)
    for item in (found, *found.groups):
        assert item.savings_rate == rate_of(item.saved, item.income)
    for g in found.groups:
        assert g.key is None or g.key == labels.normalize(g.key)


@pytest.mark.django_db
@settings(
    max_examples=examples(15),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    plans=st.lists(PLAN, min_size=HOLDERS, max_size=HOLDERS),
    operations=st.lists(OPERATION, min_size=5, max_size=30),
    ranges=st.lists(RANGE, min_size=1, max_size=3),
)
def test_reports_add_up_to_the_ledger(plans, operations, ranges):
    with transaction.atomic(), frozen_clock(START) as clock:
        history = History(clock, plans)
        for h in range(HOLDERS):
            for currency in CURRENCIES:
                history.apply(("credit", h, currency, 200_000, "Salary"))
        for operation in operations:
            history.apply(operation)
        clock.advance(seconds=1)
        windows = [(None, clock.now)]
        for first, last in ranges:
            start = (
                None if first is None else START + dt.timedelta(seconds=first)
            )
            end = START + dt.timedelta(seconds=last)
            if start is not None and start > end:
                start, end = end, start
            windows.append((start, end))
        for holder in history.holders:
            for currency in CURRENCIES:
                for start, end in windows:
                    for group_by in reports.GROUP_BY:
                        check_report(holder, currency, start, end, group_by)
        transaction.set_rollback(True)
