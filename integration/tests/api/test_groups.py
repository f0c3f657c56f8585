"""Savings groups: the groups, their members, contributions and events."""

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import override_settings

from config import timeparse
from config.testing import assert_problem
from integration import realtime
from integration.clients import Service
from integration.tests import factories

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# What accounting may answer to any call about the caller's data.
HOLDER_JUDGEMENTS = [
    (409, "account_not_ready", {"Retry-After": "1"}),
    (401, "user_inactive", {}),
]


def _holder(user_id: str, rest: str) -> str:
    return f"/internal/v1/holders/{user_id}/{rest}"


@pytest.fixture
def group_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def broadcasts(monkeypatch) -> list[tuple[str, dict]]:
    """Records every event the views broadcast, instead of sending it."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        realtime,
        "contribution_broadcast",
        lambda group_id, event: sent.append((group_id, event)),
    )
    return sent


@pytest.fixture
def departures(monkeypatch) -> list[tuple[str, dict]]:
    """Records every member_left event the views broadcast, instead."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        realtime,
        "member_left_broadcast",
        lambda group_id, event: sent.append((group_id, event)),
    )
    return sent


class TestGroupList:
    url = "/api/v1/groups"

    def test_lists_the_callers_groups(self, auth_api, upstream, user_id):
        groups = [
            factories.GroupPayloadFactory(),
            factories.GroupPayloadFactory(
                target_date="2027-06-30", total="0.00", members=[]
            ),
        ]
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "groups"),
            json={"results": groups},
        )
        response = auth_api.get(self.url)
        assert response.status_code == 200
        assert response.json() == {"results": groups, "next": None}

    @pytest.mark.parametrize(("status", "code", "headers"), HOLDER_JUDGEMENTS)
    def test_accounting_judgements_pass_through(
        self, auth_api, upstream, user_id, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "groups"),
            status=status,
            json=body,
            headers=headers,
        )
        assert assert_problem(auth_api.get(self.url), status, code) == body


class TestGroupCreate:
    url = "/api/v1/groups"

    def _answer(self, upstream, user_id) -> dict:
        group = factories.GroupPayloadFactory(total="0.00")
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "groups"),
            status=201,
            json=group,
        )
        return group

    def test_forwards_the_normalised_group(self, auth_api, upstream, user_id):
        group = self._answer(upstream, user_id)

        response = auth_api.post(
            self.url,
            '{"name": " Summer trip ", "target_amount": 1000, '
            '"currency": "jpy", "target_date": "2099-06-30"}',
            content_type="application/json",
        )

        assert response.status_code == 201
        assert response.json() == group
        assert upstream.last.path == _holder(user_id, "groups")
        assert upstream.last.json == {
            "name": "Summer trip",
            "target_amount": "1000",
            "currency": "JPY",
            "target_date": "2099-06-30",
        }

    def test_defaults_to_the_deployments_currency(
        self, auth_api, upstream, user_id, settings
    ):
        self._answer(upstream, user_id)
        response = auth_api.post(
            self.url, {"name": "Trip", "target_amount": "50.5"}
        )
        assert response.status_code == 201
        assert upstream.last.json == {
            "name": "Trip",
            "target_amount": "50.50",
            "currency": settings.DEFAULT_CURRENCY,
        }

    @pytest.mark.parametrize(
        ("raw", "code"),
        [
            ('{"target_amount": "10"}', "validation_error"),
            ('{"name": "", "target_amount": "10"}', "validation_error"),
            ('{"name": "Trip", "target_amount": "0"}', "invalid_amount"),
            ('{"name": "Trip", "target_amount": "1.001"}', "invalid_amount"),
            (
                '{"name": "Trip", "target_amount": "1", "currency": "XYZ"}',
                "unsupported_currency",
            ),
            (
                '{"name": "Trip", "target_amount": "1", '
                '"target_date": "2000-01-01"}',
                "validation_error",
            ),
            ('{"name": "Trip", ', "malformed_json"),
        ],
    )
    def test_bad_input_is_refused_before_accounting(
        self, auth_api, upstream, raw, code
    ):
        response = auth_api.post(self.url, raw, content_type="application/json")
        assert_problem(response, 400, code)
        assert upstream.sent == []

    @pytest.mark.parametrize(("status", "code", "headers"), HOLDER_JUDGEMENTS)
    def test_accounting_judgements_pass_through(
        self, auth_api, upstream, user_id, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "groups"),
            status=status,
            json=body,
            headers=headers,
        )
        response = auth_api.post(self.url, {"name": "Trip", "target_amount": 1})
        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value


class TestGroupDetail:
    def test_reads_one_group_with_its_leaderboard(
        self, auth_api, upstream, user_id
    ):
        group = factories.GroupPayloadFactory(
            members=[
                factories.MemberPayloadFactory(
                    contributed="75.00", contributions=2
                ),
                factories.MemberPayloadFactory(last_name=""),
            ]
        )
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, f"groups/{group['id']}"),
            json=group,
        )
        response = auth_api.get(f"/api/v1/groups/{group['id']}")
        assert response.status_code == 200
        assert response.json() == group

    def test_a_former_member_who_contributed_shows_when_they_left(
        self, auth_api, upstream, user_id
    ):
        group = factories.GroupPayloadFactory(
            members=[
                factories.MemberPayloadFactory(
                    contributed="75.00",
                    contributions=1,
                    left_at="2026-11-22T09:30:00.000000Z",
                ),
            ]
        )
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, f"groups/{group['id']}"),
            json=group,
        )
        response = auth_api.get(f"/api/v1/groups/{group['id']}")
        assert response.status_code == 200
        assert response.json()["members"][0]["left_at"] == (
            "2026-11-22T09:30:00.000000Z"
        )

    def test_an_accounting_without_left_at_renders_it_null(
        self, auth_api, upstream, user_id
    ):
        """An accounting that predates ``left_at`` is still rendered.

        The field is additive: during a rolling deploy nobody has left yet.
        """
        group = factories.GroupPayloadFactory()
        for member in group["members"]:
            del member["left_at"]
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, f"groups/{group['id']}"),
            json=group,
        )
        response = auth_api.get(f"/api/v1/groups/{group['id']}")
        assert response.status_code == 200
        assert [m["left_at"] for m in response.json()["members"]] == [None]

    def test_only_the_public_fields_are_rendered(
        self, auth_api, upstream, user_id
    ):
        group = factories.GroupPayloadFactory()
        leaky = {
            **group,
            "pot": str(uuid.uuid4()),
            "members": [
                {**member, "holder_pk": 3} for member in group["members"]
            ],
        }
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, f"groups/{group['id']}"),
            json=leaky,
        )
        response = auth_api.get(f"/api/v1/groups/{group['id']}")
        assert response.json() == group

    def test_a_group_of_others_is_not_found(
        self, auth_api, upstream, user_id, group_id
    ):
        problem = factories.problem(404, "group_not_found", "No such group.")
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, f"groups/{group_id}"),
            status=404,
            json=problem,
        )
        response = auth_api.get(f"/api/v1/groups/{group_id}")
        assert assert_problem(response, 404, "group_not_found") == problem

    @pytest.mark.parametrize(
        ("method", "suffix"),
        [
            ("get", ""),
            ("post", "/members"),
            ("delete", "/members/me"),
            ("post", "/contributions"),
        ],
    )
    def test_a_malformed_id_is_not_found_here(
        self, auth_api, upstream, method, suffix
    ):
        response = getattr(auth_api, method)(f"/api/v1/groups/42{suffix}")
        assert_problem(response, 404, "not_found")
        assert upstream.sent == []

    def test_a_member_without_a_count_is_bad_gateway(
        self, auth_api, upstream, user_id
    ):
        group = factories.GroupPayloadFactory()
        del group["members"][0]["contributions"]
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, f"groups/{group['id']}"),
            json=group,
        )
        response = auth_api.get(f"/api/v1/groups/{group['id']}")
        assert_problem(response, 502, "bad_gateway")


class TestMemberAdd:
    def _url(self, group_id: str) -> str:
        return f"/api/v1/groups/{group_id}/members"

    def test_forwards_the_email(self, auth_api, upstream, user_id, group_id):
        member = factories.MemberPayloadFactory(email="bob@example.com")
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, f"groups/{group_id}/members"),
            status=201,
            json=member,
        )

        response = auth_api.post(
            self._url(group_id), {"email": " Bob@Example.com "}
        )

        assert response.status_code == 201
        assert response.json() == member
        assert upstream.last.json == {"email": "Bob@Example.com"}

    @pytest.mark.parametrize(
        "raw",
        [
            "{}",
            '{"email": ""}',
            '{"email": "bob"}',
            '{"email": null}',
            '{"email": ["bob@example.com"]}',
            '{"email": "' + "b" * 250 + '@example.com"}',
        ],
    )
    def test_a_bad_email_is_refused_before_accounting(
        self, auth_api, upstream, group_id, raw
    ):
        response = auth_api.post(
            self._url(group_id), raw, content_type="application/json"
        )
        problem = assert_problem(response, 400, "validation_error")
        assert list(problem["errors"]) == ["email"]
        assert upstream.sent == []

    @pytest.mark.parametrize(
        ("status", "code", "headers"),
        [
            (404, "group_not_found", {}),
            (404, "user_not_found", {}),
            (409, "already_member", {}),
            *HOLDER_JUDGEMENTS,
        ],
    )
    def test_accounting_judgements_pass_through(
        self, auth_api, upstream, user_id, group_id, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, f"groups/{group_id}/members"),
            status=status,
            json=body,
            headers=headers,
        )
        response = auth_api.post(
            self._url(group_id), {"email": "bob@example.com"}
        )
        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value


class TestLeave:
    def _url(self, group_id: str) -> str:
        return f"/api/v1/groups/{group_id}/members/me"

    def _answer(self, upstream, user_id, group_id, **answer) -> None:
        upstream.add(
            Service.ACCOUNTING,
            "DELETE",
            _holder(user_id, f"groups/{group_id}/membership"),
            **{"status": 204, **answer},
        )

    def test_leaves_and_tells_the_group(
        self, auth_api, upstream, user_id, group_id, *, departures, settings
    ):
        self._answer(upstream, user_id, group_id)

        response = auth_api.delete(self._url(group_id))

        assert response.status_code == 204
        assert response.content == b""
        sent = upstream.last
        assert (sent.request.method, sent.path) == (
            "DELETE",
            _holder(user_id, f"groups/{group_id}/membership"),
        )
        assert sent.request.content == b""
        assert sent.request.headers["Authorization"] == (
            f"Service {settings.ACCOUNTING_SERVICE_TOKEN}"
        )
        [(to, event)] = departures
        assert to == group_id
        assert event == {
            "type": "member_left",
            "group_id": group_id,
            "user_id": user_id,
            "timestamp": event["timestamp"],
        }
        assert timeparse.parse_instant(event["timestamp"]) is not None

    def test_the_event_reaches_the_groups_channel_layer_group(
        self, auth_api, upstream, user_id, group_id
    ):
        self._answer(upstream, user_id, group_id)
        with override_settings(CHANNEL_LAYERS=IN_MEMORY):
            layer = get_channel_layer()
            listener = async_to_sync(layer.new_channel)()
            async_to_sync(layer.group_add)(
                f"savings_group.{group_id}", listener
            )

            response = auth_api.delete(self._url(group_id))

            message = async_to_sync(layer.receive)(listener)
        assert response.status_code == 204
        assert (message["type"], message["user_id"]) == (
            "group.member_left",
            user_id,
        )
        event = json.loads(message["text"])
        assert (event["type"], event["group_id"], event["user_id"]) == (
            "member_left",
            group_id,
            user_id,
        )

    @pytest.mark.parametrize(
        ("status", "code", "headers"),
        [(404, "group_not_found", {}), *HOLDER_JUDGEMENTS],
    )
    def test_accounting_judgements_pass_through_unannounced(
        self,
        auth_api,
        upstream,
        user_id,
        group_id,
        departures,
        *,
        status,
        code,
        headers,
    ):
        body = factories.problem(status, code, "From accounting.")
        self._answer(
            upstream,
            user_id,
            group_id,
            status=status,
            json=body,
            headers=headers,
        )
        response = auth_api.delete(self._url(group_id))
        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value
        assert departures == []

    def test_an_unreachable_accounting_announces_nothing(
        self, auth_api, settings, closed_url, group_id, departures
    ):
        settings.ACCOUNTING_SERVICE_URL = closed_url
        response = auth_api.delete(self._url(group_id))
        assert_problem(response, 503, "upstream_unavailable")
        assert departures == []

    def test_only_me_can_leave(self, auth_api, upstream, group_id):
        response = auth_api.delete(
            f"/api/v1/groups/{group_id}/members/{uuid.uuid4()}"
        )
        assert_problem(response, 404, "not_found")
        assert upstream.sent == []


def _contribution(group_id: str, **fields) -> dict:
    """Returns accounting's answer to a contribution of 25.00 USD."""
    group = factories.GroupPayloadFactory(id=group_id, total="100.00")
    transaction = factories.TransactionPayloadFactory(
        kind="group_contribution",
        amount="25.00",
        description="For the tickets!",
        source="",
        splits=[
            {"account_kind": "savings", "currency": "USD", "amount": "-25.00"}
        ],
        plan=None,
        counterparty_account=str(uuid.uuid4()),
        group={"id": group_id, "name": group["name"]},
        **fields,
    )
    return {
        "transaction": transaction,
        "balances": {"main": "90.45", "savings": "15.00"},
        "group": group,
    }


class TestContribution:
    def _url(self, group_id: str) -> str:
        return f"/api/v1/groups/{group_id}/contributions"

    def _answer(
        self, upstream, user_id, group_id, *, status=201, json=None, **headers
    ) -> dict:
        body = _contribution(group_id) if json is None else json
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, f"groups/{group_id}/contributions"),
            status=status,
            json=body,
            headers=headers,
        )
        return body

    def test_forwards_the_contribution_and_its_key(
        self, auth_api, upstream, user_id, group_id, *, settings, broadcasts
    ):
        result = self._answer(upstream, user_id, group_id)

        response = auth_api.post(
            self._url(group_id),
            {"amount": "25", "currency": "usd", "message": "For the tickets!"},
            HTTP_IDEMPOTENCY_KEY="contribution-1",
        )

        assert response.status_code == 201
        assert response.json() == result
        assert "Idempotent-Replayed" not in response
        sent = upstream.last
        assert sent.path == _holder(user_id, f"groups/{group_id}/contributions")
        assert sent.json == {
            "amount": "25.00",
            "currency": "USD",
            "message": "For the tickets!",
        }
        assert sent.request.headers["Idempotency-Key"] == "contribution-1"
        assert sent.request.headers["Authorization"] == (
            f"Service {settings.ACCOUNTING_SERVICE_TOKEN}"
        )

    def test_broadcasts_the_event_once(
        self, auth_api, upstream, user_id, group_id, broadcasts
    ):
        result = self._answer(upstream, user_id, group_id)
        response = auth_api.post(self._url(group_id), {"amount": "25"})
        assert response.status_code == 201
        assert broadcasts == [
            (
                group_id,
                {
                    "type": "contribution",
                    "group_id": group_id,
                    "user_id": user_id,
                    "amount": "25.00",
                    "currency": "USD",
                    "message": "For the tickets!",
                    "timestamp": result["transaction"]["occurred_at"],
                    "total": "100.00",
                },
            )
        ]

    def test_the_event_reaches_the_groups_channel_layer_group(
        self, auth_api, upstream, user_id, group_id
    ):
        result = self._answer(upstream, user_id, group_id)
        with override_settings(CHANNEL_LAYERS=IN_MEMORY):
            layer = get_channel_layer()
            listener = async_to_sync(layer.new_channel)()
            async_to_sync(layer.group_add)(
                f"savings_group.{group_id}", listener
            )

            response = auth_api.post(self._url(group_id), {"amount": "25"})

            message = async_to_sync(layer.receive)(listener)
        assert response.status_code == 201
        assert json.loads(message["text"]) == {
            "type": "contribution",
            "group_id": group_id,
            "user_id": user_id,
            "amount": "25.00",
            "currency": "USD",
            "message": "For the tickets!",
            "timestamp": result["transaction"]["occurred_at"],
            "total": "100.00",
        }

    @pytest.mark.parametrize(
        ("raw", "forwarded"),
        [
            ('{"amount": "25.5"}', {"amount": "25.5"}),
            ('{"amount": 7}', {"amount": "7"}),
            ('{"amount": 0.125}', {"amount": "0.125"}),
            (
                '{"amount": 7, "currency": "JPY"}',
                {"amount": "7", "currency": "JPY"},
            ),
            ('{"amount": "1", "message": ""}', {"amount": "1", "message": ""}),
        ],
    )
    @pytest.mark.usefixtures("broadcasts")
    def test_without_a_currency_the_amount_is_forwarded_as_sent(
        self, auth_api, upstream, user_id, group_id, *, raw, forwarded
    ):
        self._answer(upstream, user_id, group_id)
        response = auth_api.post(
            self._url(group_id), raw, content_type="application/json"
        )
        assert response.status_code == 201
        assert upstream.last.json == forwarded
        assert "Idempotency-Key" not in upstream.last.request.headers

    def test_a_replay_keeps_its_header_and_broadcasts_nothing(
        self, auth_api, upstream, user_id, group_id, broadcasts
    ):
        result = self._answer(
            upstream, user_id, group_id, **{"Idempotent-Replayed": "true"}
        )
        response = auth_api.post(
            self._url(group_id), {"amount": "25"}, HTTP_IDEMPOTENCY_KEY="k"
        )
        assert response.status_code == 201
        assert response.json() == result
        assert response["Idempotent-Replayed"] == "true"
        assert broadcasts == []

    @pytest.mark.parametrize(
        ("status", "code", "headers"),
        [
            (404, "group_not_found", {}),
            (422, "currency_mismatch", {}),
            (422, "insufficient_funds", {}),
            (422, "account_not_open", {}),
            (422, "account_closed", {}),
            (422, "account_frozen", {}),
            (422, "idempotency_key_reused", {}),
            (409, "idempotency_key_in_flight", {"Retry-After": "1"}),
            (400, "invalid_amount", {}),
            *HOLDER_JUDGEMENTS,
        ],
    )
    def test_accounting_judgements_pass_through_unannounced(
        self,
        auth_api,
        upstream,
        user_id,
        group_id,
        broadcasts,
        *,
        status,
        code,
        headers,
    ):
        problem = factories.problem(status, code, "From accounting.")
        self._answer(
            upstream,
            user_id,
            group_id,
            status=status,
            json=problem,
            **headers,
        )
        response = auth_api.post(
            self._url(group_id), {"amount": "25"}, HTTP_IDEMPOTENCY_KEY="k"
        )
        assert assert_problem(response, status, code) == problem
        for name, value in headers.items():
            assert response[name] == value
        assert broadcasts == []

    def test_a_misshapen_answer_is_bad_gateway_unannounced(
        self, auth_api, upstream, user_id, group_id, broadcasts
    ):
        result = _contribution(group_id)
        del result["group"]["total"]
        self._answer(upstream, user_id, group_id, json=result)
        response = auth_api.post(self._url(group_id), {"amount": "25"})
        assert_problem(response, 502, "bad_gateway")
        assert broadcasts == []

    def test_an_unreachable_accounting_announces_nothing(
        self, auth_api, settings, closed_url, group_id, broadcasts
    ):
        settings.ACCOUNTING_SERVICE_URL = closed_url
        response = auth_api.post(self._url(group_id), {"amount": "25"})
        assert_problem(response, 503, "upstream_unavailable")
        assert broadcasts == []

    @pytest.mark.parametrize(
        ("raw", "code"),
        [
            ("{}", "validation_error"),
            ('{"amount": null}', "validation_error"),
            ('{"amount": "0"}', "invalid_amount"),
            ('{"amount": -1}', "invalid_amount"),
            ('{"amount": "1e3"}', "invalid_amount"),
            ('{"amount": "1000000000.01"}', "invalid_amount"),
            ('{"amount": 1000000001}', "invalid_amount"),
            ('{"amount": "1.5", "currency": "JPY"}', "invalid_amount"),
            ('{"amount": "1", "currency": "XYZ"}', "unsupported_currency"),
            (
                '{"amount": "1", "message": "' + "x" * 501 + '"}',
                "validation_error",
            ),
            ('{"amount": ', "malformed_json"),
            ("[1]", "validation_error"),
        ],
    )
    def test_bad_input_is_refused_before_accounting(
        self, auth_api, upstream, group_id, broadcasts, *, raw, code
    ):
        response = auth_api.post(
            self._url(group_id), raw, content_type="application/json"
        )
        problem = assert_problem(response, 400, code)
        assert problem["detail"]
        assert upstream.sent == []
        assert broadcasts == []

    def test_an_invalid_amount_names_the_field(
        self, auth_api, upstream, group_id
    ):
        response = auth_api.post(
            self._url(group_id), {"amount": "1000000000.01"}
        )
        problem = assert_problem(response, 400, "invalid_amount")
        assert problem["errors"] == {
            "amount": ["An amount is at most 1,000,000,000."]
        }

    def test_a_message_may_fill_the_ledgers_limit(
        self, auth_api, upstream, user_id, group_id, broadcasts
    ):
        self._answer(upstream, user_id, group_id)
        message = "x" * 500
        response = auth_api.post(
            self._url(group_id), {"amount": "1", "message": message}
        )
        assert response.status_code == 201
        assert upstream.last.json["message"] == message

    @pytest.mark.parametrize("key", ["", "k" * 256, "caf\u00e9"])
    def test_a_bad_idempotency_key_is_refused(
        self, auth_api, upstream, group_id, broadcasts, key
    ):
        response = auth_api.post(
            self._url(group_id), {"amount": "1"}, HTTP_IDEMPOTENCY_KEY=key
        )
        assert_problem(response, 400, "invalid_idempotency_key")
        assert upstream.sent == []
        assert broadcasts == []


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("post", ""),
        ("get", "/{id}"),
        ("post", "/{id}/members"),
        ("post", "/{id}/contributions"),
        ("delete", "/{id}/members/me"),
    ],
)
def test_needs_a_token(
    api, upstream, broadcasts, departures, *, method, suffix
):
    url = "/api/v1/groups" + suffix.format(id=uuid.uuid4())
    response = getattr(api, method)(url)
    assert_problem(response, 401, "not_authenticated")
    assert upstream.sent == []
    assert broadcasts == departures == []
