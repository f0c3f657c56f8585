"""The dashboard and the alert rules name only metrics the code defines.

A renamed metric would leave a panel empty and an alert silent, with no
error anywhere: every PromQL expression of ``deploy/monitoring/`` is read
here, and each metric it names must be one ``config.metrics`` exports.
(``make validate`` also checks the rules file's syntax with promtool.)
"""

import json
import re

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from config.metrics import definitions, outbox
from tests.conftest import REPO_DIR

MONITORING = REPO_DIR / "deploy" / "monitoring"
# Series Prometheus makes itself for every target.
PROMETHEUS_OWN = frozenset({"up"})

# What an expression holds besides metric names: strings, label matchers,
# ranges and the label lists of by/without/on/ignoring/group_*.
_STRINGS = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'')
_BRACES = re.compile(r"\{[^{}]*\}|\[[^\[\]]*\]")
_LABEL_LISTS = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)"
)
_NAME = re.compile(r"(?<![\w.$])([a-zA-Z_:][\w:]*)(\s*\()?")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan"})


def metric_names(expr: str) -> set[str]:
    """Returns the metric names a PromQL expression reads.

    Functions and aggregations (a name followed by ``(``), keywords,
    label names and Grafana's ``$variables`` are not metrics.
    """
    text = _STRINGS.sub('""', expr)
    text = _LABEL_LISTS.sub(" ", text)
    while _BRACES.search(text):
        text = _BRACES.sub(" ", text)
    return {
        name
        for name, call in _NAME.findall(text)
        if not call and name.lower() not in _KEYWORDS
    }


def defined_names() -> set[str]:
    """Every series name the code exports, suffixes included."""
    suffixes = {
        "counter": ("_total",),
        "gauge": ("",),
        "histogram": ("_bucket", "_count", "_sum"),
    }
    names = {outbox.PENDING, outbox.LAG, f"{outbox.ERRORS}_total"}
    for metric in vars(definitions).values():
        if isinstance(metric, MetricWrapperBase):
            names.update(
                metric._name + suffix for suffix in suffixes[metric._type]
            )
    return names


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    exprs += [
        # label_values(metric, label): the metric.
        variable["query"]["query"].removeprefix("label_values(").split(",")[0]
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
    ]
    return exprs


def _rule_exprs() -> list[str]:
    rules = yaml.safe_load((MONITORING / "alerts.yml").read_text())
    return [
        rule["expr"] for group in rules["groups"] for rule in group["rules"]
    ]


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'sum by (service) (rate(savings_http_requests_total{status=~"5.."}'
            "[$__rate_interval])) / sum by (service) (rate(x_total[5m]))",
            {"savings_http_requests_total", "x_total"},
        ),
        (
            "histogram_quantile(0.99, sum by (le) (rate(a_bucket[5m]))) > 1",
            {"a_bucket"},
        ),
        ("a == 0 and b > 0 or absent_over_time(c[26h])", {"a", "b", "c"}),
        ("time() - max(a offset 1h) > 26 * 3600", {"a"}),
        ("up == 0", {"up"}),
    ],
)
def test_metric_names_are_read_from_promql(expr, names):
    assert metric_names(expr) == names


def test_a_name_the_code_does_not_define_is_caught():
    used = metric_names("rate(savings_http_request_total[5m])")  # no "s"
    assert used - defined_names() == {"savings_http_request_total"}


def test_the_code_defines_what_the_files_expect():
    defined = defined_names()
    assert "savings_http_request_duration_seconds_bucket" in defined
    assert "savings_outbox_collect_errors_total" in defined
    assert "savings_ledger_verify_ok" in defined


@pytest.mark.parametrize(
    "source", [_dashboard_exprs, _rule_exprs], ids=["dashboard", "alerts"]
)
def test_every_metric_used_is_defined(source):
    exprs = source()
    assert len(exprs) > 10
    used = set().union(*(metric_names(expr) for expr in exprs))
    assert used - defined_names() - PROMETHEUS_OWN == set()
    # Each file reads a good part of what the code exports.
    assert len(used & defined_names()) >= 12


def test_the_alerts_cover_what_the_issue_asks():
    alerts = {
        rule["alert"]: rule["expr"]
        for group in yaml.safe_load((MONITORING / "alerts.yml").read_text())[
            "groups"
        ]
        for rule in group["rules"]
    }
    assert "savings_outbox_lag_seconds" in alerts["SavingsOutboxLagging"]
    assert 'status=~"5.."' in alerts["SavingsHigh5xxRate"]
    assert "savings_ledger_verify_ok" in alerts["SavingsLedgerVerifyFailed"]
    assert "absent_over_time" in alerts["SavingsLedgerVerifyStale"]


def test_the_dashboard_is_importable():
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    assert dashboard["uid"] == "savings-platform"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}"
