"""The summary report, the suggested categories and savings goals."""

import datetime as dt
import json
import uuid

import pytest

from config.testing import assert_problem
from integration.clients import Service
from integration.tests import factories


def _holder(user_id: str, rest: str) -> str:
    return f"/internal/v1/holders/{user_id}/{rest}"


def _send(client, method: str, url: str, body=None):
    """Sends ``body`` as JSON (none for GET and DELETE)."""
    if method.upper() in {"GET", "DELETE"}:
        return client.generic(method.upper(), url)
    return client.generic(
        method.upper(), url, json.dumps(body), content_type="application/json"
    )


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# What accounting may answer to any call about the caller's data.
HOLDER_JUDGEMENTS = [
    (409, "account_not_ready", {"Retry-After": "1"}),
    (401, "user_inactive", {}),
]


class TestReport:
    url = "/api/v1/reports/summary"

    def _answer(self, upstream, user_id, report=None) -> dict:
        report = factories.ReportPayloadFactory() if report is None else report
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "reports/summary"),
            json=report,
        )
        return report

    def test_forwards_the_normalised_query(self, auth_api, upstream, user_id):
        report = self._answer(
            upstream,
            user_id,
            factories.ReportPayloadFactory(
                from_="2026-11-01T00:00:00.000000Z",
                to="2026-11-30T23:59:59.999999Z",
                currency="EUR",
                group_by="month",
                groups=[factories.ReportGroupPayloadFactory(key="2026-11")],
            ),
        )

        response = auth_api.get(
            self.url,
            {
                "from": "2026-11-01",
                "to": "2026-11-30",
                "group_by": "month",
                "currency": "eur",
            },
        )

        assert response.status_code == 200
        assert response.json() == report
        assert dict(upstream.last.request.url.params) == {
            "from": "2026-11-01T00:00:00Z",
            "to": "2026-11-30T23:59:59.999999Z",
            "group_by": "month",
            "currency": "EUR",
        }

    def test_instants_are_forwarded_in_utc(self, auth_api, upstream, user_id):
        self._answer(upstream, user_id)
        response = auth_api.get(
            self.url,
            {"from": "2026-11-21T10:00:00+01:00", "group_by": "source"},
        )
        assert response.status_code == 200
        assert dict(upstream.last.request.url.params) == {
            "from": "2026-11-21T09:00:00Z",
            "group_by": "source",
        }

    def test_only_the_grouping_is_required(self, auth_api, upstream, user_id):
        report = self._answer(upstream, user_id)
        response = auth_api.get(self.url, {"group_by": "category"})
        assert response.status_code == 200
        assert response.json() == report
        assert response.json()["from"] is None
        assert dict(upstream.last.request.url.params) == {
            "group_by": "category"
        }

    def test_renders_a_negative_saving_and_no_rate(
        self, auth_api, upstream, user_id
    ):
        report = self._answer(
            upstream,
            user_id,
            factories.ReportPayloadFactory(
                income="0.00",
                saved="-5.00",
                savings_rate=None,
                groups=[
                    factories.ReportGroupPayloadFactory(
                        key=None,
                        income="0.00",
                        expenses="0.00",
                        saved="-5.00",
                        savings_rate=None,
                    )
                ],
            ),
        )
        response = auth_api.get(self.url, {"group_by": "category"})
        assert response.json() == report

    def test_only_the_public_fields_are_rendered(
        self, auth_api, upstream, user_id
    ):
        report = factories.ReportPayloadFactory()
        self._answer(
            upstream,
            user_id,
            {
                **report,
                "holder_id": user_id,
                "groups": [
                    {**row, "sql": "SELECT 1"} for row in report["groups"]
                ],
            },
        )
        response = auth_api.get(self.url, {"group_by": "category"})
        assert response.json() == report

    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ({}, "validation_error"),
            ({"group_by": ""}, "validation_error"),
            ({"group_by": "week"}, "validation_error"),
            ({"group_by": "month", "from": "yesterday"}, "invalid_datetime"),
            (
                {"group_by": "month", "to": "2026-11-21T10:00:00"},
                "invalid_datetime",
            ),
            (
                {"group_by": "month", "from": "2026-11-22", "to": "2026-11-21"},
                "invalid_range",
            ),
            ({"group_by": "month", "currency": "XYZ"}, "unsupported_currency"),
        ],
    )
    def test_bad_queries_are_refused_here(
        self, auth_api, upstream, query, code
    ):
        problem = assert_problem(auth_api.get(self.url, query), 400, code)
        assert problem["detail"]
        assert upstream.sent == []

    def test_a_missing_grouping_names_the_field(self, auth_api, upstream):
        problem = assert_problem(
            auth_api.get(self.url), 400, "validation_error"
        )
        assert list(problem["errors"]) == ["group_by"]

    def test_a_range_of_one_instant_is_fine(self, auth_api, upstream, user_id):
        self._answer(upstream, user_id)
        instant = "2026-11-21T10:00:00Z"
        response = auth_api.get(
            self.url, {"group_by": "month", "from": instant, "to": instant}
        )
        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("status", "code", "headers"),
        [*HOLDER_JUDGEMENTS, (400, "invalid_range", {})],
    )
    def test_accounting_judgements_pass_through(
        self, auth_api, upstream, user_id, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "reports/summary"),
            status=status,
            json=body,
            headers=headers,
        )
        response = auth_api.get(self.url, {"group_by": "month"})
        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value

    def test_a_report_without_its_totals_is_bad_gateway(
        self, auth_api, upstream, user_id
    ):
        report = factories.ReportPayloadFactory()
        del report["saved"]
        self._answer(upstream, user_id, report)
        response = auth_api.get(self.url, {"group_by": "month"})
        assert_problem(response, 502, "bad_gateway")


class TestCategories:
    url = "/api/v1/categories"

    def test_lists_the_suggested_categories(self, auth_api, upstream, user_id):
        results = [{"name": "groceries"}, {"name": "rent"}]
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            "/internal/v1/categories",
            json={"results": results},
        )
        response = auth_api.get(self.url)
        assert response.status_code == 200
        assert response.json() == {"results": results, "next": None}
        assert dict(upstream.last.request.url.params) == {"holder": user_id}

    def test_a_category_without_a_name_is_bad_gateway(self, auth_api, upstream):
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            "/internal/v1/categories",
            json={"results": [{"label": "rent"}]},
        )
        assert_problem(auth_api.get(self.url), 502, "bad_gateway")


class TestGoalList:
    url = "/api/v1/goals"

    def test_lists_the_callers_goals_in_order(
        self, auth_api, upstream, user_id
    ):
        goals = [
            factories.GoalPayloadFactory(),
            factories.GoalPayloadFactory(
                saved="0.00",
                progress_percent="0.00",
                target_date=None,
                on_track=None,
            ),
        ]
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "goals"),
            json={"results": goals},
        )
        response = auth_api.get(self.url)
        assert response.status_code == 200
        assert response.json() == {"results": goals, "next": None}

    @pytest.mark.parametrize(("status", "code", "headers"), HOLDER_JUDGEMENTS)
    def test_accounting_judgements_pass_through(
        self, auth_api, upstream, user_id, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "goals"),
            status=status,
            json=body,
            headers=headers,
        )
        assert assert_problem(auth_api.get(self.url), status, code) == body


# Bodies no goal (nor group) accepts: (raw JSON, the code, the field named).
BAD_TARGETS = [
    ('{"target_amount": "10"}', "validation_error", "name"),
    ('{"name": "", "target_amount": "10"}', "validation_error", "name"),
    ('{"name": "   ", "target_amount": "10"}', "validation_error", "name"),
    (
        '{"name": "' + "x" * 101 + '", "target_amount": "10"}',
        "validation_error",
        "name",
    ),
    ('{"name": null, "target_amount": "10"}', "validation_error", "name"),
    ('{"name": "Car"}', "validation_error", "target_amount"),
    ('{"name": "Car", "target_amount": "0"}', "invalid_amount", None),
    ('{"name": "Car", "target_amount": -5}', "invalid_amount", None),
    ('{"name": "Car", "target_amount": "1.999"}', "invalid_amount", None),
    ('{"name": "Car", "target_amount": 1e3}', "invalid_amount", None),
    (
        '{"name": "Car", "target_amount": "1000000000.01"}',
        "invalid_amount",
        None,
    ),
    (
        '{"name": "Car", "target_amount": "1.5", "currency": "JPY"}',
        "invalid_amount",
        None,
    ),
    (
        '{"name": "Car", "target_amount": "1", "currency": "XYZ"}',
        "unsupported_currency",
        None,
    ),
    (
        '{"name": "Car", "target_amount": "1", "target_date": "2099-1-5"}',
        "validation_error",
        "target_date",
    ),
    (
        '{"name": "Car", "target_amount": "1", "target_date": "20990105"}',
        "validation_error",
        "target_date",
    ),
    (
        '{"name": "Car", "target_amount": "1", "target_date": 20990105}',
        "validation_error",
        "target_date",
    ),
    (
        '{"name": "Car", "target_amount": "1", "target_date": "2099-02-30"}',
        "validation_error",
        "target_date",
    ),
    (
        '{"name": "Car", "target_amount": "1", '
        '"target_date": "2099-01-05T00:00:00Z"}',
        "validation_error",
        "target_date",
    ),
    (
        '{"name": "Car", "target_amount": "1", "target_date": "2000-01-01"}',
        "validation_error",
        "target_date",
    ),
    ('{"name": "Car", "target_amount": ', "malformed_json", None),
    ("[1]", "validation_error", None),
]


class TestGoalCreate:
    url = "/api/v1/goals"

    def _answer(self, upstream, user_id) -> dict:
        goal = factories.GoalPayloadFactory()
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "goals"),
            status=201,
            json=goal,
        )
        return goal

    def test_forwards_the_normalised_goal(self, auth_api, upstream, user_id):
        goal = self._answer(upstream, user_id)

        response = auth_api.post(
            self.url,
            '{"name": "  Holidays ", "target_amount": 1500.5, '
            '"currency": "eur", "target_date": "2099-06-30"}',
            content_type="application/json",
        )

        assert response.status_code == 201
        assert response.json() == goal
        assert upstream.last.path == _holder(user_id, "goals")
        assert upstream.last.json == {
            "name": "Holidays",
            "target_amount": "1500.50",
            "currency": "EUR",
            "target_date": "2099-06-30",
        }

    def test_defaults_to_the_deployments_currency_and_no_date(
        self, auth_api, upstream, user_id, settings
    ):
        self._answer(upstream, user_id)
        response = auth_api.post(
            self.url, {"name": "Car", "target_amount": "7"}
        )
        assert response.status_code == 201
        assert upstream.last.json == {
            "name": "Car",
            "target_amount": "7.00",
            "currency": settings.DEFAULT_CURRENCY,
        }

    def test_a_null_date_is_no_date(self, auth_api, upstream, user_id):
        self._answer(upstream, user_id)
        response = auth_api.post(
            self.url,
            {"name": "Car", "target_amount": "7", "target_date": None},
            format="json",
        )
        assert response.status_code == 201
        assert upstream.last.json["target_date"] is None

    def test_today_is_a_valid_date(self, auth_api, upstream, user_id):
        self._answer(upstream, user_id)
        today = _today().isoformat()
        response = auth_api.post(
            self.url,
            {"name": "Car", "target_amount": "7", "target_date": today},
        )
        assert response.status_code == 201
        assert upstream.last.json["target_date"] == today

    def test_yesterday_is_refused(self, auth_api, upstream):
        yesterday = (_today() - dt.timedelta(days=1)).isoformat()
        response = auth_api.post(
            self.url,
            {"name": "Car", "target_amount": "7", "target_date": yesterday},
        )
        problem = assert_problem(response, 400, "validation_error")
        assert problem["errors"] == {
            "target_date": ["A target date is today (UTC) or later."]
        }
        assert upstream.sent == []

    def test_a_name_may_fill_the_limit(self, auth_api, upstream, user_id):
        self._answer(upstream, user_id)
        name = "x" * 100
        response = auth_api.post(self.url, {"name": name, "target_amount": "1"})
        assert response.status_code == 201
        assert upstream.last.json["name"] == name

    @pytest.mark.parametrize(("raw", "code", "field"), BAD_TARGETS)
    def test_bad_input_is_refused_before_accounting(
        self, auth_api, upstream, raw, code, field
    ):
        response = auth_api.post(self.url, raw, content_type="application/json")
        problem = assert_problem(response, 400, code)
        assert problem["detail"]
        if field is not None:
            assert list(problem["errors"]) == [field]
        assert upstream.sent == []

    def test_an_invalid_amount_names_the_field(self, auth_api, upstream):
        response = auth_api.post(
            self.url, {"name": "Car", "target_amount": "1.999"}
        )
        problem = assert_problem(response, 400, "invalid_amount")
        assert problem["errors"] == {
            "target_amount": ["USD amounts have at most 2 decimal places."]
        }

    @pytest.mark.parametrize(
        ("status", "code", "headers"),
        [*HOLDER_JUDGEMENTS, (400, "validation_error", {})],
    )
    def test_accounting_judgements_pass_through(
        self, auth_api, upstream, user_id, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "goals"),
            status=status,
            json=body,
            headers=headers,
        )
        response = auth_api.post(self.url, {"name": "Car", "target_amount": 1})
        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value

    def test_a_goal_without_its_progress_is_bad_gateway(
        self, auth_api, upstream, user_id
    ):
        goal = factories.GoalPayloadFactory()
        del goal["progress_percent"]
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "goals"),
            status=201,
            json=goal,
        )
        response = auth_api.post(self.url, {"name": "Car", "target_amount": 1})
        assert_problem(response, 502, "bad_gateway")


class TestGoalDetail:
    def _url(self, goal_id: str) -> str:
        return f"/api/v1/goals/{goal_id}"

    def _answer(self, upstream, user_id, method, goal, **kwargs) -> None:
        upstream.add(
            Service.ACCOUNTING,
            method,
            _holder(user_id, f"goals/{goal['id']}"),
            json=goal,
            **kwargs,
        )

    def test_reads_one_goal(self, auth_api, upstream, user_id):
        goal = factories.GoalPayloadFactory()
        self._answer(upstream, user_id, "GET", goal)
        response = auth_api.get(self._url(goal["id"]))
        assert response.status_code == 200
        assert response.json() == goal

    def test_only_the_public_fields_are_rendered(
        self, auth_api, upstream, user_id
    ):
        goal = factories.GoalPayloadFactory()
        leaky = {**goal, "holder_id": user_id, "position": 0}
        self._answer(upstream, user_id, "GET", leaky)
        response = auth_api.get(self._url(goal["id"]))
        assert response.json() == goal

    def test_changes_what_is_sent(self, auth_api, upstream, user_id):
        goal = factories.GoalPayloadFactory(target_date=None, on_track=None)
        self._answer(upstream, user_id, "PATCH", goal)

        response = auth_api.patch(
            self._url(goal["id"]),
            {"name": " Trip ", "target_date": None},
            format="json",
        )

        assert response.status_code == 200
        assert response.json() == goal
        assert upstream.last.path == _holder(user_id, f"goals/{goal['id']}")
        assert upstream.last.json == {"name": "Trip", "target_date": None}

    @pytest.mark.parametrize(
        ("raw", "forwarded"),
        [
            ('{"target_amount": "100.5"}', {"target_amount": "100.5"}),
            ('{"target_amount": 7}', {"target_amount": "7"}),
            ('{"target_amount": 0.125}', {"target_amount": "0.125"}),
            (
                '{"target_amount": 100.5, "currency": "eur"}',
                {"target_amount": "100.50", "currency": "EUR"},
            ),
            ('{"currency": "JPY"}', {"currency": "JPY"}),
            ('{"target_date": "2099-06-30"}', {"target_date": "2099-06-30"}),
            ("{}", {}),
        ],
    )
    def test_a_new_target_is_forwarded_in_the_goals_currency(
        self, auth_api, upstream, user_id, raw, forwarded
    ):
        goal = factories.GoalPayloadFactory()
        self._answer(upstream, user_id, "PATCH", goal)
        response = auth_api.patch(
            self._url(goal["id"]), raw, content_type="application/json"
        )
        assert response.status_code == 200
        assert upstream.last.json == forwarded

    @pytest.mark.parametrize(
        ("raw", "code", "field"),
        [
            ('{"name": ""}', "validation_error", "name"),
            ('{"name": "' + "x" * 101 + '"}', "validation_error", "name"),
            ('{"target_amount": "0"}', "invalid_amount", "target_amount"),
            ('{"target_amount": null}', "validation_error", "target_amount"),
            (
                '{"target_amount": "1000000000.01"}',
                "invalid_amount",
                "target_amount",
            ),
            (
                '{"target_amount": "1.5", "currency": "JPY"}',
                "invalid_amount",
                "target_amount",
            ),
            ('{"currency": "XYZ"}', "unsupported_currency", "currency"),
            (
                '{"target_date": "2000-01-01"}',
                "validation_error",
                "target_date",
            ),
            ('{"target_date": "soon"}', "validation_error", "target_date"),
            ('{"name": ', "malformed_json", None),
        ],
    )
    def test_bad_changes_are_refused_before_accounting(
        self, auth_api, upstream, raw, code, field
    ):
        response = auth_api.patch(
            self._url(uuid.uuid4()), raw, content_type="application/json"
        )
        problem = assert_problem(response, 400, code)
        if field is not None:
            assert list(problem["errors"]) == [field]
        assert upstream.sent == []

    def test_deletes_one_goal(self, auth_api, upstream, user_id):
        goal_id = str(uuid.uuid4())
        upstream.add(
            Service.ACCOUNTING,
            "DELETE",
            _holder(user_id, f"goals/{goal_id}"),
            status=204,
        )
        response = auth_api.delete(self._url(goal_id))
        assert response.status_code == 204
        assert response.content == b""
        assert upstream.last.request.method == "DELETE"

    @pytest.mark.parametrize(
        ("method", "body"),
        [("GET", None), ("PATCH", {"name": "Car"}), ("DELETE", None)],
    )
    def test_another_users_goal_is_not_found(
        self, auth_api, upstream, user_id, method, body
    ):
        other = str(uuid.uuid4())
        problem = factories.problem(404, "goal_not_found", "No such goal.")
        upstream.add(
            Service.ACCOUNTING,
            method,
            _holder(user_id, f"goals/{other}"),
            status=404,
            json=problem,
        )
        response = _send(auth_api, method, self._url(other), body)
        assert assert_problem(response, 404, "goal_not_found") == problem

    @pytest.mark.parametrize("method", ["get", "patch", "delete"])
    def test_a_malformed_id_is_not_found_here(self, auth_api, upstream, method):
        response = getattr(auth_api, method)(self._url("42"))
        assert_problem(response, 404, "not_found")
        assert upstream.sent == []

    @pytest.mark.parametrize(("status", "code", "headers"), HOLDER_JUDGEMENTS)
    def test_holder_judgements_pass_through(
        self, auth_api, upstream, user_id, *, status, code, headers
    ):
        goal_id = str(uuid.uuid4())
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "DELETE",
            _holder(user_id, f"goals/{goal_id}"),
            status=status,
            json=body,
            headers=headers,
        )
        response = auth_api.delete(self._url(goal_id))
        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/reports/summary?group_by=month"),
        ("get", "/api/v1/categories"),
        ("get", "/api/v1/goals"),
        ("post", "/api/v1/goals"),
        ("get", f"/api/v1/goals/{uuid.uuid4()}"),
        ("patch", f"/api/v1/goals/{uuid.uuid4()}"),
        ("delete", f"/api/v1/goals/{uuid.uuid4()}"),
    ],
)
def test_needs_a_token(api, upstream, method, url):
    response = _send(api, method, url, {"name": "Car", "target_amount": "1"})
    assert_problem(response, 401, "not_authenticated")
    assert upstream.sent == []
