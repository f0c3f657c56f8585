/*
 * The accounting admin's dashboard (admin/accounting/dashboard.html):
 * draws its charts with the vendored Chart.js from the data the page
 * carries in <script type="application/json"> (json_script), and follows
 * a verify_ledger run: the button asks for one (or gets the one under
 * way), then the run's progress is polled until it ends and the page is
 * reloaded with its outcome. Without this script the page still shows
 * every figure in its tables, and the button still starts a run.
 */
"use strict";

(function () {
  const POLL_MS = 1000;

  function data(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function chart(canvasId, config) {
    const canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined") {
      return null;
    }
    config.options = Object.assign(
      { responsive: true, maintainAspectRatio: false, animation: false },
      config.options || {}
    );
    return new Chart(canvas, config);
  }

  function drawCharts(charts) {
    const flows = charts.flows;
    Object.keys(flows.currencies).forEach(function (currency) {
      chart("chart-money-flows-" + currency, {
        type: "bar",
        data: {
          labels: flows.labels,
          datasets: flows.currencies[currency].map(function (series) {
            return { label: series.label, data: series.data };
          }),
        },
        options: {
          scales: { y: { title: { display: true, text: currency } } },
        },
      });
    });
    const savings = charts.savings;
    chart("chart-savings-rate", {
      type: "line",
      data: {
        labels: savings.labels,
        datasets: Object.keys(savings.currencies).map(function (currency) {
          return {
            label: currency,
            data: savings.currencies[currency],
            spanGaps: false,
          };
        }),
      },
      options: {
        scales: { y: { min: 0, title: { display: true, text: "%" } } },
      },
    });
    chart("chart-holders-per-plan", {
      type: "bar",
      data: {
        labels: charts.holders_per_plan.labels,
        datasets: [
          { label: "Open holders", data: charts.holders_per_plan.data },
        ],
      },
      options: { indexAxis: "y" },
    });
    chart("chart-holders-new", {
      type: "bar",
      data: {
        labels: charts.holders_new.labels,
        datasets: [{ label: "New holders", data: charts.holders_new.data }],
      },
    });
  }

  function showRun(run) {
    const box = document.getElementById("ledger-check-current");
    if (!box || !run) {
      return;
    }
    box.hidden = false;
    const bar = document.getElementById("ledger-check-progress");
    bar.max = run.checks_total || 1;
    bar.value = run.checks_done;
    let text = run.checks_done + " of " + run.checks_total + " checks";
    if (run.entries_total) {
      text += ", " + run.entries_walked.toLocaleString() + " of " +
        run.entries_total.toLocaleString() + " entries replayed";
    }
    if (run.status === "queued") {
      text = "queued, waiting for a worker";
    }
    document.getElementById("ledger-check-status").textContent = text;
  }

  function follow(run) {
    if (!run) {
      return;
    }
    showRun(run);
    if (run.finished) {
      window.location.reload();
      return;
    }
    window.setTimeout(function () {
      fetch(run.progress_url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (body) { follow(body.run); });
    }, POLL_MS);
  }

  function bindButton() {
    const form = document.getElementById("ledger-check-form");
    if (!form) {
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const token = form.querySelector("[name=csrfmiddlewaretoken]").value;
      fetch(form.action, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": token },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (body) { follow(body.run); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const charts = data("dashboard-charts");
    if (charts) {
      drawCharts(charts);
    }
    bindButton();
    const current = data("dashboard-ledger-check");
    if (current) {
      follow(current);
    }
  });
})();
