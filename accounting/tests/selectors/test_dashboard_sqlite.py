"""The dashboard's figures on the embedded default agree with PostgreSQL's.

The same sample ledger (``ledgers.sample``, three days ago), summed by the
dashboard's selectors on SQLite (a child process on the embedded default,
as ``make run`` sets it up) and here on PostgreSQL: the day truncation,
the window of the largest movements and the lag's arithmetic are each
database's own SQL.
"""

import datetime as dt
import json

import pytest
from django.utils import timezone

from accounting.tests import ledgers
from accounting.tests.conftest import embedded_manage, frozen_clock, sqlite_copy

FIGURES = """
import datetime as dt, json
from django.utils import timezone
from accounting.selectors import dashboard
period = dashboard.Period.ending(timezone.localdate(), days=7)
flows = dashboard.money_flows(period)
saved = dashboard.savings_moved(period)
print(json.dumps({
    "flows": sorted(
        [f.kind, f.currency, f.count, f.total] for f in flows
    ),
    "rates": [
        [r.currency, r.credited, r.saved, str(r.rate)]
        for r in dashboard.savings_rates(flows, saved)
    ],
    "plans": sorted(r["count"] for r in dashboard.holders_per_plan()),
    "new": sum(dashboard.holders_new(period).values()),
    # Ties of amount rank by id, which differs between the two ledgers.
    "largest": sorted(
        ([t.currency, -t.amount, t.kind]
        for t in dashboard.movements_largest(
            now=timezone.now() - dt.timedelta(days=1)
        )),
    ),
    "events": dashboard.propagation(period).events,
}))
"""


def figures() -> dict:
    """Runs :data:`FIGURES` in this process (PostgreSQL)."""
    namespace: dict = {}
    printed = []
    namespace["print"] = printed.append
    exec(FIGURES, namespace)  # noqa: S102 - the constant above
    return json.loads(printed[0])


@pytest.mark.django_db
def test_the_embedded_default_computes_the_same_figures(
    sqlite_ledger, tmp_path
):
    var_dir = tmp_path / "var"
    sqlite_copy(sqlite_ledger, var_dir)

    done = embedded_manage(var_dir, "shell", "-c", FIGURES)

    assert done.returncode == 0, done.stdout + done.stderr
    on_sqlite = json.loads(done.stdout.splitlines()[-1])
    with frozen_clock(timezone.now() - dt.timedelta(days=3)) as clock:
        ledgers.sample(clock)
    assert on_sqlite == figures()
    assert ["credit", "USD", 2, 112_005] in on_sqlite["flows"]
    assert on_sqlite["largest"]
