"""The income, expenses and savings report of a holder, grouped.

One SQL query reads the holder's entries on main and savings in one
currency, joined to their transactions, and sums them per group with
conditional aggregates (``GROUP BY`` the key): nothing is loaded row by
row, so a report costs the same whether a group holds ten transactions or
ten thousand. The totals are the sums of the groups, so they always agree.

What counts (design of issue 4):

* income: ``credit`` and ``transfer_in`` amounts;
* expenses: ``withdrawal`` and ``transfer_out`` amounts;
* saved: the net of the savings-account entries of those kinds and of
  ``savings_release``; a ``group_contribution`` moves savings into a pot
  where they stay saved, and a ``conversion`` is neither income nor
  expense, so both are in no group;
* a ``reversal`` counts as what it undoes, with its entries' own (opposite)
  signs, under the original's label, on its own ``effective_at``: a
  reversed credit lowers the income and the saved of the period staff
  reversed it in, and a period already reported never changes.

Reports go by the clock of the holder's budget: a transaction counts on
its ``effective_at`` (the day a dated credit or withdrawal names), not on
when the ledger booked it.

The key of a group is the withdrawal's category, the credit's source (NULL
for none and for every other kind) or the UTC month of ``effective_at``.
A report that ends before the current month changes only when the holder
records something dated in its range, which moves the holder's accounts
on: such reports are cached under the ``last_sequence`` of the holder's
main and savings accounts in the currency, so any new movement of theirs
makes the cached answer unreachable, and nothing else can change it.
"""

import dataclasses
import datetime as dt
import uuid

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Expression,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import NullIf, TruncMonth
from django.utils import timezone

from accounting import cache, errors, models
from accounting.selectors import versions
from config import ranges

CATEGORY = "category"
SOURCE = "source"
MONTH = "month"
GROUP_BY = (CATEGORY, SOURCE, MONTH)

REPORTS = "reports"
# A finished month's report changes only with the holder's next movement,
# which changes its key; a day bounds the memory an unused one holds.
REPORT_CACHE_TIMEOUT = 24 * 3600

_KIND = models.Transaction.Kind
INCOME_KINDS = (_KIND.CREDIT, _KIND.TRANSFER_IN)
EXPENSE_KINDS = (_KIND.WITHDRAWAL, _KIND.TRANSFER_OUT)
REPORTED_KINDS = (*INCOME_KINDS, *EXPENSE_KINDS, _KIND.SAVINGS_RELEASE)
# The original a reversal undoes, one join away (the journal header's
# ``reverses``).
_ORIGINAL = "transaction__reverses__"


def _kind_in(kinds: tuple[str, ...]) -> Q:
    """Entries of a transaction of these kinds, or of a reversal of one."""
    return Q(transaction__kind__in=kinds) | Q(
        transaction__kind=_KIND.REVERSAL,
        **{f"{_ORIGINAL}kind__in": kinds},
    )


def savings_rate(*, saved: int, income: int) -> str | None:
    """Returns ``saved / income * 100`` with two decimals, or None.

    Rounded half to even, once, on the exact quotient (integer
    arithmetic on minor units: no float, no intermediate rounding).

    Args:
        saved: The net saved, minor units; may be negative.
        income: The income, minor units, >= 0.

    Returns:
        Such as ``"12.50"`` or ``"-3.00"``; None without income (no rate
        to speak of).
    """
    if income == 0:
        return None
    hundredths, rest = divmod(saved * 10_000, income)
    if 2 * rest > income or (2 * rest == income and hundredths % 2):
        hundredths += 1
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


@dataclasses.dataclass(frozen=True)
class ReportGroup:
    """One group of a report (amounts in minor units).

    Attributes:
        key: The category, the source or ``"YYYY-MM"``; None: no label.
        income: Credits and transfers in.
        expenses: Withdrawals and transfers out (positive).
        saved: The net change of savings; may be negative.
        transactions: How many transactions the group holds.
    """

    key: str | None
    income: int
    expenses: int
    saved: int
    transactions: int

    @property
    def savings_rate(self) -> str | None:
        """The group's savings rate (see :func:`savings_rate`)."""
        return savings_rate(saved=self.saved, income=self.income)


@dataclasses.dataclass(frozen=True)
class Report:
    """A holder's report over a range, in one currency.

    Attributes:
        start: The first instant included; None: since the beginning.
        end: The last instant included.
        currency: The currency of every amount.
        group_by: ``category``, ``source`` or ``month``.
        groups: Months in order, otherwise keys in order with None last.
    """

    start: dt.datetime | None
    end: dt.datetime
    currency: str
    group_by: str
    groups: tuple[ReportGroup, ...]

    @property
    def income(self) -> int:
        """The income of every group."""
        return sum(group.income for group in self.groups)

    @property
    def expenses(self) -> int:
        """The expenses of every group."""
        return sum(group.expenses for group in self.groups)

    @property
    def saved(self) -> int:
        """The net saved over every group."""
        return sum(group.saved for group in self.groups)

    @property
    def savings_rate(self) -> str | None:
        """The overall savings rate (see :func:`savings_rate`)."""
        return savings_rate(saved=self.saved, income=self.income)


def _group_key(group_by: str) -> Case | TruncMonth:
    """Returns the SQL expression an entry is grouped on."""
    if group_by == MONTH:
        # Truncated in UTC whatever the connection's time zone (SQLite
        # and PostgreSQL alike).
        return TruncMonth("transaction__effective_at", tzinfo=dt.UTC)
    kind, label = (
        (_KIND.WITHDRAWAL, "transaction__category")
        if group_by == CATEGORY
        else (_KIND.CREDIT, "transaction__source")
    )
    # A credit without a source stores "", a withdrawal without a category
    # NULL: both are "no label", and so is every other kind.
    original = label.replace("transaction__", _ORIGINAL)
    return Case(
        When(transaction__kind=kind, then=NullIf(label, Value(""))),
        When(
            transaction__kind=_KIND.REVERSAL,
            **{f"{_ORIGINAL}kind": kind},
            then=NullIf(original, Value("")),
        ),
        default=None,
        output_field=CharField(),
    )


def _sum_if(value: Expression, condition: Q) -> Sum:
    """Returns ``SUM(CASE WHEN condition THEN value ELSE 0 END)``."""
    return Sum(
        Case(When(condition, then=value), default=Value(0)),
        output_field=BigIntegerField(),
    )


def _groups(
    *,
    holder_id: uuid.UUID,
    currency: str,
    start: dt.datetime | None,
    end: dt.datetime,
    group_by: str,
) -> tuple[ReportGroup, ...]:
    """Runs the report's one query and returns its groups in order."""
    entries = models.Entry.objects.filter(
        _kind_in(REPORTED_KINDS),
        account__holder_id=holder_id,
        account__currency=currency,
        account__kind__in=models.Account.CUSTOMER_KINDS,
        transaction__effective_at__lte=end,
    )
    if start is not None:
        entries = entries.filter(transaction__effective_at__gte=start)
    amount = F("amount")
    rows = (
        entries.values(key=_group_key(group_by))
        .annotate(
            income=_sum_if(amount, _kind_in(INCOME_KINDS)),
            expenses=_sum_if(-amount, _kind_in(EXPENSE_KINDS)),
            saved=_sum_if(amount, Q(account__kind=models.Account.Kind.SAVINGS)),
            transactions=Count("transaction", distinct=True),
        )
        .order_by()
    )
    groups = [
        ReportGroup(
            key=(f"{row['key']:%Y-%m}" if group_by == MONTH else row["key"]),
            # PostgreSQL sums bigints as numeric: back to exact ints.
            income=int(row["income"]),
            expenses=int(row["expenses"]),
            saved=int(row["saved"]),
            transactions=row["transactions"],
        )
        for row in rows
    ]
    # Sorted here, by code point: the databases' collations differ (and
    # "YYYY-MM" sorts by time).
    groups.sort(key=lambda g: (g.key is None, g.key or ""))
    return tuple(groups)


def _month_start(now: dt.datetime) -> dt.datetime:
    """Returns the first instant of the UTC month of ``now``."""
    return now.astimezone(dt.UTC).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )


def report_summary(
    *,
    holder_id: uuid.UUID,
    currency: str,
    start: dt.datetime | None,
    end: dt.datetime,
    group_by: str,
) -> Report:
    """Returns a holder's income, expenses and savings over a range.

    Both ends are inclusive, on the transactions' ``effective_at``. A
    report that ends before the current UTC month is cached until the
    holder's wallet moves again (see the module docstring); a later one is
    read fresh.

    Args:
        holder_id: The holder (already resolved: open).
        currency: The currency reported (other currencies are left out).
        start: The first instant, or None for the whole history.
        end: The last instant.
        group_by: ``category``, ``source`` or ``month``.

    Returns:
        The report.

    Raises:
        InvalidRangeError: ``start`` is after ``end``.
        ValueError: An unknown ``group_by`` (the API only passes known).
    """
    if group_by not in GROUP_BY:
        raise ValueError(f"Unknown grouping {group_by!r}.")
    if not ranges.ordered(start, end):
        raise errors.InvalidRangeError()

    def compute() -> Report:
        groups = _groups(
            holder_id=holder_id,
            currency=currency,
            start=start,
            end=end,
            group_by=group_by,
        )
        return Report(start, end, currency, group_by, groups)

    if end >= _month_start(timezone.now()):
        return compute()
    since = start.isoformat() if start is not None else "-"
    # The holder's sequences in the key: a movement written back into a
    # closed month (or any other) is never hidden by the cache.
    sequences = versions.ledger_sequences(
        holder_id=holder_id, currency=currency
    )
    return cache.cached(
        REPORTS,
        f"{holder_id}:{currency}:{since}:{end.isoformat()}:{group_by}:"
        f"{sequences}",
        compute,
        timeout=REPORT_CACHE_TIMEOUT,
    )
