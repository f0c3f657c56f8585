"""The admin's index is a dashboard; verify_ledger runs from it."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from accounting import models, services
from accounting.admin_site import AccountingAdminSite
from accounting.selectors import dashboard
from accounting.tests import factories
from config.celery import app
from config.testing import assert_branded

pytestmark = pytest.mark.django_db

INDEX = "admin:index"
START = "admin:accounting_ledger_check_start"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser(
        username="staff@example.com", email="staff@example.com", password="pw"
    )
    client.force_login(user)
    return client


@pytest.fixture
def queued(monkeypatch):
    """Records the tasks queued instead of sending them."""
    sent = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args: sent.append((name, args))
    )
    return sent


def staff_with(client, *codenames):
    """Logs in a staff member holding only these accounting permissions."""
    user = get_user_model().objects.create_user(
        username="clerk@example.com", password="pw", is_staff=True
    )
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="accounting", codename__in=codenames
        )
    )
    client.force_login(user)
    return client


def charts(response):
    html = response.content.decode()
    found = re.search(
        r'<script id="dashboard-charts" type="application/json">(.*?)</script>',
        html,
        re.S,
    )
    return json.loads(found.group(1))


def test_the_index_is_the_dashboard_then_the_models(staff, holder):
    services.plan_assign(
        holder=holder, plan=factories.PlanFactory(name="Save 10%")
    )
    credit = services.credit_apply(
        holder_id=holder.pk, amount=123_45, currency="USD"
    ).transaction

    response = staff.get(reverse(INDEX))

    assert response.status_code == 200
    assert_branded(response, "accounting")
    html = response.content.decode()
    for canvas in (
        "chart-money-flows-USD",
        "chart-savings-rate",
        "chart-holders-per-plan",
        "chart-holders-new",
    ):
        assert f'<canvas id="{canvas}"' in html
    # The app list is still there, below.
    assert html.index('id="dashboard-main"') < html.index("app-accounting")
    assert reverse("admin:accounting_plan_changelist") in html
    # Today's largest movement links to its page; money in major units.
    assert reverse("admin:accounting_transaction_change", args=[credit.pk]) in (
        html
    )
    assert "123.45 USD" in html
    assert "10.00%" in html  # the savings rate of the 10% plan
    data = charts(response)
    today = timezone.localdate().isoformat()
    assert data["flows"]["labels"][-1] == today
    assert len(data["flows"]["labels"]) == dashboard.DEFAULT_DAYS
    assert data["flows"]["currencies"]["USD"] == [
        {
            "kind": "credit",
            "label": "Credit",
            "data": [0.0] * (dashboard.DEFAULT_DAYS - 1) + [123.45],
        }
    ]
    assert data["holders_per_plan"] == {"labels": ["Save 10%"], "data": [1]}
    assert data["holders_new"]["data"][-1] == 1
    # The charts come from this service's own static files.
    assert "/static/accounting/vendor/chartjs/chart.umd.min.js" in html
    sources = re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"]*)"', html)
    assert sources
    assert all(source.startswith("/static/") for source in sources), sources


def test_the_default_site_is_accounting_s_with_every_model():
    assert isinstance(admin.site._wrapped, AccountingAdminSite)
    assert models.Plan in admin.site._registry
    assert models.LedgerCheckRun in admin.site._registry


def test_an_empty_ledger_shows_an_empty_dashboard(staff):
    response = staff.get(reverse(INDEX))

    assert response.status_code == 200
    html = response.content.decode()
    assert "No movement in this period." in html
    assert "No movement today." in html
    assert "No run yet." in html
    assert charts(response)["flows"]["currencies"] == {}


def test_a_chosen_period(staff, holder, clock):
    clock.now = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    services.credit_apply(holder_id=holder.pk, amount=5_00, currency="USD")
    clock.now = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)

    response = staff.get(
        reverse(INDEX), {"start": "2026-03-09", "end": "2026-03-11"}
    )

    assert response.status_code == 200
    data = charts(response)
    assert data["flows"]["labels"] == [
        "2026-03-09",
        "2026-03-10",
        "2026-03-11",
    ]
    assert data["flows"]["currencies"]["USD"][0]["data"] == [0.0, 5.0, 0.0]
    assert "Showing 2026-03-09 to 2026-03-11" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-03-12", "end": "2026-03-11"}, "ends before it starts"),
        ({"start": "2025-01-01", "end": "2026-03-11"}, "at most 366 days"),
        ({"start": "yesterday", "end": "2026-03-11"}, "Enter a valid date."),
        ({"start": "2026-02-30", "end": "2026-03-11"}, "Enter a valid date."),
        ({"end": "2026-03-11"}, "This field is required."),
    ],
)
def test_a_bad_period_is_a_form_error_and_the_default(staff, query, message):
    response = staff.get(reverse(INDEX), query)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["period"] == dashboard.Period.ending(
        timezone.localdate()
    )


def test_staff_who_may_not_see_the_ledger_get_the_models_only(client):
    staff_with(client, "view_plan")

    response = client.get(reverse(INDEX))

    assert response.status_code == 200
    html = response.content.decode()
    assert "dashboard-main" not in html
    assert "chart.umd.min.js" not in html
    assert reverse("admin:accounting_plan_changelist") in html


def test_the_run_button_needs_its_permission(client, queued):
    staff_with(client, "view_transaction")

    assert "ledger-check-run" not in client.get(reverse(INDEX)).content.decode()
    response = client.post(reverse(START), HTTP_ACCEPT="application/json")

    assert response.status_code == 403
    assert not models.LedgerCheckRun.objects.exists()
    assert queued == []


def test_run_now_then_again_shows_the_run_under_way(
    staff, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = staff.post(reverse(START), HTTP_ACCEPT="application/json")
        second = staff.post(reverse(START), HTTP_ACCEPT="application/json")

    assert first.status_code == 201
    run = models.LedgerCheckRun.objects.get()
    assert first.json()["created"] is True
    assert first.json()["run"]["id"] == str(run.pk)
    assert first.json()["run"]["requested_by"] == "staff@example.com"
    assert second.status_code == 200
    assert second.json() == {"created": False, "run": first.json()["run"]}
    assert queued == [("accounting.ledger_verify", [str(run.pk)])]
    # The audit trail has who asked, once.
    (record,) = models.StaffAction.objects.all()
    assert (record.action, record.object_id) == ("verify_ledger", str(run.pk))
    assert record.staff_email == "staff@example.com"
    # The page shows the run under way, for its script to follow.
    page = staff.get(reverse(INDEX))
    assert page.context["ledger_check_current"]["id"] == str(run.pk)
    assert '<div id="ledger-check-current">' in page.content.decode()


def test_run_now_without_the_script_goes_back_to_the_dashboard(staff, queued):
    response = staff.post(reverse(START))

    assert response.status_code == 302
    assert response["Location"] == reverse(INDEX) + "#ledger-check"
    assert models.LedgerCheckRun.objects.get().requested_by == (
        "staff@example.com"
    )


def test_run_now_is_a_post(staff):
    assert staff.get(reverse(START)).status_code == 405


def test_the_progress_of_a_run_and_its_outcome(staff, queued, holder):
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    run, _ = services.ledger_check_request(requested_by="staff@example.com")
    progress = reverse("admin:accounting_ledger_check_progress", args=[run.pk])

    before = staff.get(progress).json()["run"]
    services.ledger_check_run(run_id=run.pk)
    after = staff.get(progress).json()["run"]

    assert (before["status"], before["finished"], before["checks_done"]) == (
        "queued",
        False,
        0,
    )
    assert (after["status"], after["finished"], after["failed_checks"]) == (
        "completed",
        True,
        [],
    )
    assert after["checks_done"] == after["checks_total"] > 0
    assert after["progress_url"] == progress
    page = staff.get(reverse(INDEX)).content.decode()
    assert f"all {after['checks_total']} checks hold" in page
    assert reverse("admin:accounting_ledgercheckrun_change", args=[run.pk]) in (
        page
    )


def test_the_last_run_that_failed_says_which_checks(staff):
    models.LedgerCheckRun.objects.create(
        status="completed",
        finished_at=timezone.now(),
        checks_total=24,
        checks_done=24,
        failed_checks=["zero-sum", "running-balance"],
    )

    page = staff.get(reverse(INDEX)).content.decode()

    assert "2 of 24 checks failed: zero-sum, running-balance" in page
    assert "asked by beat (daily)" in page


def test_a_run_that_could_not_finish_says_why(staff):
    models.LedgerCheckRun.objects.create(
        status="failed", finished_at=timezone.now(), error="Lost: gone"
    )

    assert "could not finish: Lost: gone" in (
        staff.get(reverse(INDEX)).content.decode()
    )


def test_progress_of_an_unknown_run_or_without_permission(staff, client):
    missing = reverse(
        "admin:accounting_ledger_check_progress",
        args=["00000000-0000-0000-0000-000000000000"],
    )
    assert staff.get(missing).status_code == 404

    run = models.LedgerCheckRun.objects.create()
    staff_with(client, "view_plan")
    progress = reverse("admin:accounting_ledger_check_progress", args=[run.pk])
    assert client.get(progress).status_code == 403


def test_runs_are_listed_read_only(staff):
    run = models.LedgerCheckRun.objects.create(
        status="completed",
        finished_at=timezone.now(),
        failed_checks=["zero-sum"],
    )

    listing = staff.get(reverse("admin:accounting_ledgercheckrun_changelist"))

    assert listing.status_code == 200
    assert "zero-sum" in listing.content.decode()
    assert (
        staff.get(reverse("admin:accounting_ledgercheckrun_add")).status_code
        == 403
    )
    change = reverse("admin:accounting_ledgercheckrun_change", args=[run.pk])
    assert staff.get(change).status_code == 200


def test_the_vendored_chart_js_is_pinned_with_its_licence():
    script = Path(finders.find("accounting/vendor/chartjs/chart.umd.min.js"))
    folder = script.parent

    assert script.read_text().startswith("/*!\n * Chart.js v4.5.1\n")
    assert "MIT License" in (folder / "LICENSE.md").read_text()
    assert "chart.js@4.5.1" in (folder / "README.md").read_text()
    assert finders.find("accounting/dashboard.js")
    assert Path(settings.BASE_DIR, "accounting", "static") in script.parents
