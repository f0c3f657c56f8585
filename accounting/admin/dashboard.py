"""The admin's index as a dashboard: the business at a glance.

The figures come from ``selectors.dashboard`` (aggregates in the
database); this module parses the period, lays them out for the template
(``admin/accounting/dashboard.html``) and its script
(``accounting/dashboard.js``, which draws the charts with the vendored
Chart.js and follows a ``verify_ledger`` run), and serves the two small
views the page calls: start a run, and a run's progress as JSON.
"""

import datetime as dt
from typing import Any

from django import forms
from django.db import transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounting import models, services
from accounting.selectors import dashboard
from config import audit, money

# Who may see the dashboard: its figures are the ledger's.
VIEW_PERMISSION = "accounting.view_transaction"
# Who may start a run of verify_ledger.
RUN_PERMISSION = "accounting.add_ledgercheckrun"


class PeriodForm(forms.Form):
    """The period the dashboard covers: two days, both included."""

    start = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        """Refuses a period that ends before it starts, or is too long."""
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            return data
        if end < start:
            raise forms.ValidationError(
                "The period ends before it starts.", code="reversed"
            )
        if (end - start).days + 1 > dashboard.MAX_DAYS:
            raise forms.ValidationError(
                f"A period is at most {dashboard.MAX_DAYS} days.",
                code="too_long",
            )
        return data


def _period(request: HttpRequest) -> tuple[PeriodForm, dashboard.Period]:
    """Returns the period form and the period it asks for.

    No period given: the last 30 days, today included. A period the form
    refuses shows its errors, and the default period is shown meanwhile.
    """
    default = dashboard.Period.ending(timezone.localdate())
    if "start" not in request.GET and "end" not in request.GET:
        form = PeriodForm(initial={"start": default.first, "end": default.last})
        return form, default
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, default
    return form, dashboard.Period(
        form.cleaned_data["start"], form.cleaned_data["end"]
    )


def _totals(flows: list[dashboard.Flow]) -> list[dict[str, Any]]:
    """Returns the period's count and sum per kind and currency."""
    totals: dict[tuple[str, str], list[int]] = {}
    for flow in flows:
        counted = totals.setdefault((flow.currency, flow.kind), [0, 0])
        counted[0] += flow.count
        counted[1] += flow.total
    labels = dict(models.Transaction.Kind.choices)
    return [
        {
            "currency": currency,
            "kind": labels.get(kind, kind),
            "count": count,
            "total": money.format_amount(total, currency),
        }
        for (currency, kind), (count, total) in sorted(totals.items())
    ]


def _run_data(run: models.LedgerCheckRun | None) -> dict[str, Any] | None:
    """Returns what the page shows of a ``verify_ledger`` run (JSON-safe)."""
    if run is None:
        return None
    return {
        "id": str(run.pk),
        "status": run.status,
        "finished": run.is_finished,
        "requested_by": run.requested_by or "beat (daily)",
        "created_at": run.created_at.isoformat(),
        "started_at": run.started_at and run.started_at.isoformat(),
        "finished_at": run.finished_at and run.finished_at.isoformat(),
        "finished_display": run.finished_at
        and f"{timezone.localtime(run.finished_at):%Y-%m-%d %H:%M:%S}",
        "checks_done": run.checks_done,
        "checks_total": run.checks_total,
        "entries_walked": run.entries_walked,
        "entries_total": run.entries_total,
        "failed_checks": run.failed_checks,
        "error": run.error,
        "url": reverse("admin:accounting_ledgercheckrun_change", args=[run.pk]),
        "progress_url": reverse(
            "admin:accounting_ledger_check_progress", args=[run.pk]
        ),
    }


def _lag(value: dt.timedelta | None) -> str:
    """Returns a lag as seconds with one decimal, or a dash."""
    return "—" if value is None else f"{value.total_seconds():.1f} s"


def dashboard_context(request: HttpRequest) -> dict[str, Any]:
    """Returns the dashboard's part of the index page's context.

    Staff who may not view the ledger get none of it (the app list only).
    """
    if not request.user.has_perm(VIEW_PERMISSION):
        return {}
    form, period = _period(request)
    flows = dashboard.money_flows(period)
    saved = dashboard.savings_moved(period)
    plans = dashboard.holders_per_plan()
    new = dashboard.holders_new(period)
    propagation = dashboard.propagation(period)
    largest = dashboard.movements_largest(now=timezone.now())
    return {
        "dashboard": True,
        "period_form": form,
        "period": period,
        "flow_totals": _totals(flows),
        "time_zone": timezone.get_current_timezone_name(),
        "flow_currencies": sorted({flow.currency for flow in flows}),
        "savings_rates": [
            {
                "currency": rate.currency,
                "credited": money.format_amount(rate.credited, rate.currency),
                "saved": money.format_amount(rate.saved, rate.currency),
                "rate": rate.rate,
            }
            for rate in dashboard.savings_rates(flows, saved)
        ],
        "holders_per_plan": plans,
        "holders_new_total": sum(new.values()),
        "largest": [
            {
                "transaction": transaction,
                "amount": money.format_amount(
                    transaction.amount, transaction.currency
                ),
                "url": reverse(
                    "admin:accounting_transaction_change",
                    args=[transaction.pk],
                ),
            }
            for transaction in largest
        ],
        "top_movements": dashboard.TOP_MOVEMENTS,
        "propagation": propagation,
        "lag_average": _lag(propagation.lag_average),
        "lag_max": _lag(propagation.lag_max),
        "ledger_check_last": _run_data(dashboard.ledger_check_last()),
        "ledger_check_current": _run_data(dashboard.ledger_check_current()),
        "may_run_ledger_check": request.user.has_perm(RUN_PERMISSION),
        "charts": {
            "flows": dashboard.flows_chart(period, flows),
            "savings": dashboard.savings_chart(period, flows, saved),
            "holders_new": dashboard.holders_chart(period, new),
            "holders_per_plan": {
                "labels": [row["plan__name"] or "No plan" for row in plans],
                "data": [row["count"] for row in plans],
            },
        },
    }


@require_POST
def ledger_check_start(request: HttpRequest) -> HttpResponse:
    """Asks for a ``verify_ledger`` run; one under way is shown instead.

    Answers the run as JSON to the page's script, and goes back to the
    dashboard for a form posted without it.
    """
    if not request.user.has_perm(RUN_PERMISSION):
        return JsonResponse(
            {"detail": "You may not run verify_ledger."}, status=403
        )
    with transaction.atomic():
        run, created = services.ledger_check_request(
            requested_by=request.user.get_username()
        )
        if created:
            audit.staff_action_record(
                request=request,
                action="verify_ledger",
                obj=run,
                before=None,
                after=audit.snapshot(run),
            )
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {"created": created, "run": _run_data(run)},
            status=201 if created else 200,
        )
    return HttpResponseRedirect(reverse("admin:index") + "#ledger-check")


def ledger_check_progress(request: HttpRequest, run_id: str) -> HttpResponse:
    """A run of ``verify_ledger`` as JSON: the page polls it while it runs."""
    if not request.user.has_perm(VIEW_PERMISSION):
        return JsonResponse({"detail": "Not allowed."}, status=403)
    run = get_object_or_404(models.LedgerCheckRun, pk=run_id)
    return JsonResponse({"run": _run_data(run)})
