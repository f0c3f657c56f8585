"""Webhooks at the gateway: a user's and a partner's, over accounting's.

Every operation runs twice, as a user (an access token, accounting's
``holders/{user_id}/webhooks``) and as a partner (a key that holds
``webhooks:manage``, accounting's ``partners/{partner_id}/webhooks``).
"""

import json
import uuid
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from config import bounds
from config.testing import assert_problem
from integration.clients import Service
from integration.tests import factories

VERIFY = "/internal/v1/partner-keys/verify"
# Each operation: (method, path after the webhooks' root); the public and
# the upstream paths end alike.
_ID, _DELIVERY = str(uuid.uuid4()), str(uuid.uuid4())
OPERATIONS = [
    ("GET", ""),
    ("POST", ""),
    ("GET", f"/{_ID}"),
    ("DELETE", f"/{_ID}"),
    ("POST", f"/{_ID}/secret"),
    ("GET", f"/{_ID}/deliveries"),
    ("POST", f"/{_ID}/deliveries/{_DELIVERY}/resend"),
]
_ALL_OPERATIONS = pytest.mark.parametrize(
    ("method", "suffix"), OPERATIONS, ids=lambda v: v or "root"
)


@dataclass
class Caller:
    """A client of one audience, and where its webhooks are.

    Attributes:
        kind: ``user`` or ``partner``.
        client: The client, with its credential.
        path: The public root of its webhooks.
        upstream: Accounting's root of the same webhooks.
        event_type: An event type it may subscribe to.
    """

    kind: str
    client: APIClient
    path: str
    upstream: str
    event_type: str

    def send(self, method: str, suffix: str = "", body=None, **extra):
        """Sends a request to one of its webhooks' paths."""
        if body is not None and not isinstance(body, str | bytes):
            body = json.dumps(body)
        return self.client.generic(
            method,
            self.path + suffix,
            body or "",
            content_type=extra.pop("content_type", "application/json"),
            **extra,
        )


def _client(credential: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {credential}")
    return client


@pytest.fixture(params=["user", "partner"])
def caller(request, partner_keys, user_id) -> Caller:
    """A user with a token, or a partner with a ``webhooks:manage`` key."""
    if request.param == "user":
        return Caller(
            kind="user",
            client=_client(factories.access_token(user_id=user_id)),
            path="/api/v1/webhooks",
            upstream=f"/internal/v1/holders/{user_id}/webhooks",
            event_type="transaction.created",
        )
    raw_key, payload = partner_keys.issue(scopes=["webhooks:manage"])
    return Caller(
        kind="partner",
        client=_client(raw_key),
        path="/api/v1/partner/webhooks",
        upstream=f"/internal/v1/partners/{payload['partner_id']}/webhooks",
        event_type="batch.completed",
    )


def _answer(upstream, caller, method, suffix="", **answer) -> None:
    upstream.add(Service.ACCOUNTING, method, caller.upstream + suffix, **answer)


def _calls(upstream) -> list[tuple[str, str]]:
    """What reached a service, but a partner key's verification."""
    return [
        (sent.request.method, sent.path)
        for sent in upstream.sent
        if sent.path != VERIFY
    ]


class TestList:
    def test_lists_the_webhooks_without_secrets_and_whole(
        self, caller, upstream
    ):
        webhooks = [
            factories.WebhookPayloadFactory(),
            factories.WebhookPayloadFactory(
                events=[caller.event_type],
                previous_secret_until="2026-11-22T10:00:00.000000Z",
            ),
        ]
        # A secret the service would show by mistake is not passed on.
        leaky = [{**webhooks[0], "secret": "whsec_leak"}, webhooks[1]]
        _answer(upstream, caller, "GET", json={"results": leaky})

        response = caller.send("GET")

        assert response.status_code == 200, response.content
        assert response.json() == {"results": webhooks, "next": None}
        assert _calls(upstream) == [("GET", caller.upstream)]
        assert response["RateLimit-Policy"].startswith('"read"')
        assert response["ETag"]

    def test_an_answer_without_results_is_a_bad_gateway(self, caller, upstream):
        _answer(upstream, caller, "GET", json={"webhooks": []})

        assert_problem(caller.send("GET"), 502, "bad_gateway")


class TestCreate:
    def test_registers_a_webhook_and_shows_its_secret_once(
        self, caller, upstream
    ):
        webhook = factories.WebhookWithSecretPayloadFactory(
            events=[caller.event_type]
        )
        _answer(upstream, caller, "POST", status=201, json=webhook)
        body = {
            "url": "  https://hooks.example.com/savings  ",
            "events": [caller.event_type],
        }

        response = caller.send("POST", body=body)

        assert response.status_code == 201, response.content
        assert response.json() == webhook
        assert response["Cache-Control"] == "no-store"
        assert response["RateLimit-Policy"].startswith('"write"')
        assert _calls(upstream) == [("POST", caller.upstream)]
        assert upstream.last.json == {
            "url": "https://hooks.example.com/savings",
            "events": [caller.event_type],
        }

    def test_without_events_every_type_is_left_to_accounting(
        self, caller, upstream
    ):
        webhook = factories.WebhookWithSecretPayloadFactory()
        _answer(upstream, caller, "POST", status=201, json=webhook)

        response = caller.send("POST", body={"url": webhook["url"]})

        assert response.status_code == 201
        assert upstream.last.json == {"url": webhook["url"]}

    def test_an_empty_list_of_events_is_every_type(self, caller, upstream):
        webhook = factories.WebhookWithSecretPayloadFactory()
        _answer(upstream, caller, "POST", status=201, json=webhook)

        response = caller.send(
            "POST", body={"url": webhook["url"], "events": []}
        )

        assert response.status_code == 201
        assert upstream.last.json == {"url": webhook["url"], "events": []}

    def test_a_user_may_take_every_event_of_theirs(
        self, auth_api, upstream, user_id
    ):
        events = [
            "transaction.created",
            "import.completed",
            "group.contribution",
        ]
        webhook = factories.WebhookWithSecretPayloadFactory(events=events)
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            f"/internal/v1/holders/{user_id}/webhooks",
            status=201,
            json=webhook,
        )

        response = auth_api.post(
            "/api/v1/webhooks",
            {"url": webhook["url"], "events": events},
            format="json",
        )

        assert response.status_code == 201, response.content
        assert upstream.last.json["events"] == events

    def test_more_events_than_it_may_take_are_refused(self, caller, upstream):
        body = {"url": "https://a.example", "events": [caller.event_type] * 5}

        problem = assert_problem(
            caller.send("POST", body=body), 400, "validation_error"
        )

        assert "events" in problem["errors"], problem["errors"]
        assert _calls(upstream) == []

    def test_a_user_takes_no_partners_event(self, auth_api, upstream):
        response = auth_api.post(
            "/api/v1/webhooks",
            {"url": "https://a.example", "events": ["batch.completed"]},
            format="json",
        )

        problem = assert_problem(response, 400, "validation_error")
        assert "events.0" in problem["errors"], problem["errors"]
        assert _calls(upstream) == []

    @pytest.mark.parametrize(
        ("body", "member"),
        [
            pytest.param({}, "url", id="no-url"),
            pytest.param({"url": ""}, "url", id="url-empty"),
            pytest.param({"url": "   "}, "url", id="url-blank"),
            pytest.param({"url": None}, "url", id="url-null"),
            pytest.param({"url": 443}, "url", id="url-a-number"),
            pytest.param({"url": ["https://a.example"]}, "url", id="url-list"),
            pytest.param(
                {"url": "https://a.example/" + "p" * 1983},
                "url",
                id="url-of-2001",
            ),
            pytest.param(
                {"url": "https://a.example/\u0000"}, "url", id="url-with-nul"
            ),
            pytest.param(
                {"url": "https://a.example", "events": "transaction.created"},
                "events",
                id="events-a-string",
            ),
            pytest.param(
                {"url": "https://a.example", "events": {"type": "x"}},
                "events",
                id="events-an-object",
            ),
            pytest.param(
                {"url": "https://a.example", "events": None},
                "events",
                id="events-null",
            ),
            pytest.param(
                {"url": "https://a.example", "events": ["account.hacked"]},
                "events.0",
                id="unknown-event",
            ),
            pytest.param(
                {"url": "https://a.example", "events": [1]},
                "events.0",
                id="event-a-number",
            ),
            pytest.param(
                {"url": "https://a.example", "secret": "whsec_mine"},
                "secret",
                id="own-secret",
            ),
            pytest.param(
                {"url": "https://a.example", "user_id": str(uuid.uuid4())},
                "user_id",
                id="someone-elses",
            ),
        ],
    )
    def test_a_bad_webhook_is_refused_before_accounting(
        self, caller, upstream, body, member
    ):
        response = caller.send("POST", body=body)

        problem = assert_problem(response, 400, "validation_error")
        assert member in problem["errors"], problem["errors"]
        assert _calls(upstream) == []

    def test_a_url_of_2000_characters_is_accounting_to_judge(
        self, caller, upstream
    ):
        url = "https://a.example/" + "p" * 1982
        _answer(
            upstream,
            caller,
            "POST",
            status=201,
            json=factories.WebhookWithSecretPayloadFactory(url=url),
        )

        response = caller.send("POST", body={"url": url})

        assert response.status_code == 201
        assert upstream.last.json == {"url": url}

    @pytest.mark.parametrize(
        "event_type",
        ["transaction.created", "import.completed", "group.contribution"],
    )
    def test_a_partner_may_take_its_batches_events_only(
        self, api, upstream, partner_keys, event_type
    ):
        raw_key, _ = partner_keys.issue(scopes=["webhooks:manage"])
        client = _client(raw_key)

        response = client.post(
            "/api/v1/partner/webhooks",
            {"url": "https://a.example", "events": [event_type]},
            format="json",
        )

        problem = assert_problem(response, 400, "validation_error")
        assert list(problem["errors"]) == ["events.0"]
        assert _calls(upstream) == []

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ('{"url": ', "malformed_json"),
            (
                '{"url": "https://a.example", "url": "https://b"}',
                "malformed_json",
            ),
            ("[]", "validation_error"),
        ],
    )
    def test_a_body_that_is_not_one_is_refused(
        self, caller, upstream, body, code
    ):
        assert_problem(caller.send("POST", body=body), 400, code)
        assert _calls(upstream) == []

    def test_a_body_not_sent_as_json_is_unsupported(self, caller, upstream):
        response = caller.send(
            "POST", body="url=https://a.example", content_type="text/plain"
        )

        assert_problem(response, 415, "unsupported_media_type")
        assert _calls(upstream) == []

    @pytest.mark.parametrize(
        ("status", "code", "detail"),
        [
            (422, "invalid_webhook_url", "The URL must use https."),
            (
                422,
                "invalid_webhook_url",
                "The URL's host does not resolve to a public address.",
            ),
            (400, "validation_error", "An account has at most 10 endpoints."),
            (400, "validation_error", "Unknown event types: batch.completed."),
        ],
    )
    def test_accountings_refusal_passes_through(
        self, caller, upstream, status, code, detail
    ):
        refusal = factories.problem(status, code, detail)
        _answer(upstream, caller, "POST", status=status, json=refusal)

        response = caller.send(
            "POST", body={"url": "http://169.254.169.254/latest/meta-data"}
        )

        assert assert_problem(response, status, code) == refusal
        assert "Cache-Control" not in response or (
            response["Cache-Control"] != "no-store"
        )

    def test_a_user_whose_accounts_are_not_open_yet_waits(
        self, auth_api, upstream, user_id
    ):
        refusal = factories.problem(409, "account_not_ready", "Being opened.")
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            f"/internal/v1/holders/{user_id}/webhooks",
            status=409,
            json=refusal,
            headers={"Retry-After": "1"},
        )

        response = auth_api.post(
            "/api/v1/webhooks", {"url": "https://a.example"}, format="json"
        )

        assert assert_problem(response, 409, "account_not_ready") == refusal
        assert response["Retry-After"] == "1"

    def test_an_answer_without_its_secret_is_a_bad_gateway(
        self, caller, upstream
    ):
        _answer(
            upstream,
            caller,
            "POST",
            status=201,
            json=factories.WebhookPayloadFactory(),
        )

        response = caller.send("POST", body={"url": "https://a.example"})

        assert_problem(response, 502, "bad_gateway")


class TestDetail:
    def test_reads_a_webhook_without_its_secret(self, caller, upstream):
        webhook = factories.WebhookPayloadFactory(id=_ID)
        _answer(
            upstream,
            caller,
            "GET",
            f"/{_ID}",
            json={**webhook, "secret": "whsec_leak"},
        )

        response = caller.send("GET", f"/{_ID}")

        assert response.status_code == 200
        assert response.json() == webhook
        assert _calls(upstream) == [("GET", f"{caller.upstream}/{_ID}")]

    def test_removes_a_webhook(self, caller, upstream):
        _answer(upstream, caller, "DELETE", f"/{_ID}", status=204)

        response = caller.send("DELETE", f"/{_ID}")

        assert response.status_code == 204
        assert response.content == b""
        assert response["RateLimit-Policy"].startswith('"write"')
        assert _calls(upstream) == [("DELETE", f"{caller.upstream}/{_ID}")]

    def test_rotates_a_secret(self, caller, upstream):
        rotated = factories.WebhookWithSecretPayloadFactory(
            id=_ID, previous_secret_until="2026-11-22T10:00:00.000000Z"
        )
        _answer(upstream, caller, "POST", f"/{_ID}/secret", json=rotated)

        response = caller.send("POST", f"/{_ID}/secret")

        assert response.status_code == 200
        assert response.json() == rotated
        assert response["Cache-Control"] == "no-store"
        assert _calls(upstream) == [("POST", f"{caller.upstream}/{_ID}/secret")]
        # Nothing is forwarded as a body: a rotation takes none.
        assert upstream.last.request.content == b""

    @pytest.mark.parametrize(
        ("method", "suffix"),
        [
            ("GET", f"/{_ID}"),
            ("DELETE", f"/{_ID}"),
            ("POST", f"/{_ID}/secret"),
            ("GET", f"/{_ID}/deliveries"),
            ("POST", f"/{_ID}/deliveries/{_DELIVERY}/resend"),
        ],
    )
    def test_another_accounts_webhook_is_not_found(
        self, caller, upstream, method, suffix
    ):
        # Accounting looks the webhook up among the caller's only.
        refusal = factories.problem(
            404, "webhook_not_found", "No webhook with that id."
        )
        _answer(upstream, caller, method, suffix, status=404, json=refusal)

        response = caller.send(method, suffix)

        assert assert_problem(response, 404, "webhook_not_found") == refusal

    @pytest.mark.parametrize(
        ("method", "suffix"),
        [
            ("GET", "/42"),
            ("DELETE", "/42"),
            ("POST", "/42/secret"),
            ("GET", "/42/deliveries"),
            ("POST", f"/42/deliveries/{_DELIVERY}/resend"),
            ("POST", f"/{_ID}/deliveries/42/resend"),
            ("POST", f"/{_ID}/deliveries/{_DELIVERY}/resend/"),
            ("GET", "/"),
        ],
    )
    def test_a_path_that_is_none_is_not_found_here(
        self, caller, upstream, method, suffix
    ):
        assert_problem(caller.send(method, suffix), 404, "not_found")
        assert _calls(upstream) == []

    @pytest.mark.parametrize(
        ("method", "suffix", "allowed"),
        [
            ("PUT", "", "GET, POST"),
            ("PATCH", f"/{_ID}", "GET, DELETE"),
            ("GET", f"/{_ID}/secret", "POST"),
            ("DELETE", f"/{_ID}/deliveries", "GET"),
            ("GET", f"/{_ID}/deliveries/{_DELIVERY}/resend", "POST"),
        ],
    )
    def test_a_method_a_path_does_not_take_is_not_allowed(
        self, caller, upstream, method, suffix, allowed
    ):
        response = caller.send(method, suffix)

        assert_problem(response, 405, "method_not_allowed")
        assert response["Allow"].startswith(allowed)
        assert _calls(upstream) == []


class TestDeliveries:
    def _page(self, upstream, caller, *, next_cursor=None) -> dict:
        page = {
            "results": [
                factories.WebhookDeliveryPayloadFactory(),
                factories.WebhookDeliveryPayloadFactory(
                    status="delivered",
                    attempts=2,
                    last_status_code=200,
                    last_error="",
                    next_attempt_at=None,
                    delivered_at="2026-11-21T10:00:31.000000Z",
                ),
            ],
            "next_cursor": next_cursor,
        }
        _answer(upstream, caller, "GET", f"/{_ID}/deliveries", json=page)
        return page

    def test_a_page_links_to_the_next(self, caller, upstream):
        page = self._page(upstream, caller, next_cursor="c2")

        response = caller.send(
            "GET", f"/{_ID}/deliveries?status=failed&limit=2&cursor=c1"
        )

        assert response.status_code == 200, response.content
        assert response.json() == {
            "results": page["results"],
            "next": (
                f"http://testserver{caller.path}/{_ID}/deliveries"
                "?status=failed&limit=2&cursor=c2"
            ),
        }
        assert dict(upstream.last.request.url.params) == {
            "status": "failed",
            "limit": "2",
            "cursor": "c1",
        }
        assert response["RateLimit-Policy"].startswith('"read"')

    def test_the_last_page_has_no_next_and_pages_hold_50_by_default(
        self, caller, upstream
    ):
        page = self._page(upstream, caller)

        response = caller.send("GET", f"/{_ID}/deliveries")

        assert response.json() == {"results": page["results"], "next": None}
        assert dict(upstream.last.request.url.params) == {"limit": "50"}

    @pytest.mark.parametrize(
        ("query", "member"),
        [
            ("status=lost", "status"),
            ("status=", "status"),
            ("status=failed&status=pending", "status"),
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=ten", "limit"),
            ("cursor=", "cursor"),
            ("cursor=" + "c" * (bounds.CURSOR_MAX_LENGTH + 1), "cursor"),
            ("order=asc", "order"),
        ],
    )
    def test_a_bad_query_is_refused_before_accounting(
        self, caller, upstream, query, member
    ):
        response = caller.send("GET", f"/{_ID}/deliveries?{query}")

        problem = assert_problem(response, 400, "validation_error")
        assert member in problem["errors"]
        assert _calls(upstream) == []

    def test_a_cursor_accounting_did_not_give_is_refused_there(
        self, caller, upstream
    ):
        refusal = factories.problem(400, "invalid_cursor", "Invalid cursor.")
        _answer(
            upstream,
            caller,
            "GET",
            f"/{_ID}/deliveries",
            status=400,
            json=refusal,
        )

        response = caller.send("GET", f"/{_ID}/deliveries?cursor=forged")

        assert assert_problem(response, 400, "invalid_cursor") == refusal

    @pytest.mark.parametrize(
        "page",
        [
            ["not", "a", "page"],
            {"results": [{"id": str(uuid.uuid4())}], "next_cursor": None},
        ],
        ids=["a-list", "a-delivery-without-its-fields"],
    )
    def test_a_page_out_of_shape_is_a_bad_gateway(self, caller, upstream, page):
        _answer(upstream, caller, "GET", f"/{_ID}/deliveries", json=page)

        response = caller.send("GET", f"/{_ID}/deliveries")

        assert_problem(response, 502, "bad_gateway")


class TestResend:
    PATH = f"/{_ID}/deliveries/{_DELIVERY}/resend"

    def test_a_delivery_is_due_again(self, caller, upstream):
        delivery = factories.WebhookDeliveryPayloadFactory(
            id=_DELIVERY, status="pending", attempts=3, last_error="timeout"
        )
        _answer(upstream, caller, "POST", self.PATH, status=202, json=delivery)

        response = caller.send("POST", self.PATH)

        assert response.status_code == 202, response.content
        assert response.json() == delivery
        assert response["RateLimit-Policy"].startswith('"write"')
        assert _calls(upstream) == [("POST", caller.upstream + self.PATH)]

    def test_another_webhooks_delivery_is_not_found(self, caller, upstream):
        refusal = factories.problem(
            404, "delivery_not_found", "No delivery with that id."
        )
        _answer(upstream, caller, "POST", self.PATH, status=404, json=refusal)

        response = caller.send("POST", self.PATH)

        assert assert_problem(response, 404, "delivery_not_found") == refusal


class TestCredentials:
    @_ALL_OPERATIONS
    def test_no_credential_is_not_authenticated(
        self, api, upstream, method, suffix
    ):
        for root in ("/api/v1/webhooks", "/api/v1/partner/webhooks"):
            response = api.generic(method, root + suffix)

            assert_problem(response, 401, "not_authenticated")
        assert upstream.sent == []

    @_ALL_OPERATIONS
    def test_a_users_token_opens_no_partner_webhook(
        self, auth_api, upstream, method, suffix
    ):
        response = auth_api.generic(method, "/api/v1/partner/webhooks" + suffix)

        assert_problem(response, 401, "not_authenticated")
        assert upstream.sent == []

    @_ALL_OPERATIONS
    def test_a_partner_key_opens_no_users_webhook(
        self, upstream, partner_keys, method, suffix
    ):
        raw_key, _ = partner_keys.issue(scopes=["webhooks:manage"])

        response = _client(raw_key).generic(method, "/api/v1/webhooks" + suffix)

        assert_problem(response, 401, "invalid_token")
        assert upstream.sent == []

    @_ALL_OPERATIONS
    def test_a_key_that_may_not_manage_webhooks_is_forbidden(
        self, upstream, partner_keys, method, suffix
    ):
        raw_key, _ = partner_keys.issue(scopes=["credits:write"])

        response = _client(raw_key).generic(
            method,
            "/api/v1/partner/webhooks" + suffix,
            json.dumps({"url": "https://a.example"}),
            content_type="application/json",
        )

        problem = assert_problem(response, 403, "permission_denied")
        assert "`webhooks:manage`" in problem["detail"]
        assert _calls(upstream) == []

    def test_a_revoked_key_is_refused_by_accounting(
        self, upstream, partner_keys
    ):
        raw_key, _ = partner_keys.issue(scopes=["webhooks:manage"])
        partner_keys.revoke(raw_key)

        response = _client(raw_key).get("/api/v1/partner/webhooks")

        assert_problem(response, 401, "invalid_api_key")
        assert _calls(upstream) == []

    def test_each_partner_reads_its_own_webhooks_only(
        self, upstream, partner_keys
    ):
        mine, me = partner_keys.issue(scopes=["webhooks:manage"])
        theirs, them = partner_keys.issue(scopes=["webhooks:manage"])
        for payload in (me, them):
            upstream.add(
                Service.ACCOUNTING,
                "GET",
                f"/internal/v1/partners/{payload['partner_id']}/webhooks",
                json={"results": []},
            )

        for raw_key in (mine, theirs):
            response = _client(raw_key).get("/api/v1/partner/webhooks")
            assert response.status_code == 200

        assert [path for _, path in _calls(upstream)] == [
            f"/internal/v1/partners/{me['partner_id']}/webhooks",
            f"/internal/v1/partners/{them['partner_id']}/webhooks",
        ]
