"""Accounts, credits, balances and transactions through the gateway."""

import urllib.parse
import uuid

import pytest

from config.testing import assert_problem
from integration.clients import Service
from integration.tests import factories


def _holder(user_id: str, rest: str) -> str:
    return f"/internal/v1/holders/{user_id}/{rest}"


def test_lists_the_callers_accounts(auth_api, upstream, user_id):
    accounts = [
        factories.AccountPayloadFactory(kind="main", balance="90.45"),
        factories.AccountPayloadFactory(kind="savings", balance="10.05"),
    ]
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        _holder(user_id, "accounts"),
        json={"results": accounts},
    )
    response = auth_api.get("/api/v1/accounts")
    assert response.status_code == 200
    assert response.json() == {"results": accounts, "next": None}


class TestCredit:
    url = "/api/v1/credits"

    def _answer(self, upstream, user_id, **headers) -> dict:
        result = {
            "transaction": factories.TransactionPayloadFactory(),
            "balances": {"main": "90.45", "savings": "10.05"},
        }
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "credits"),
            status=201,
            json=result,
            headers=headers,
        )
        return result

    def test_forwards_the_normalised_credit(
        self, auth_api, upstream, user_id, settings
    ):
        result = self._answer(upstream, user_id)

        response = auth_api.post(
            self.url,
            {"amount": "100.5", "source": "salary", "description": "Nov"},
            HTTP_IDEMPOTENCY_KEY="credit-1",
        )

        assert response.status_code == 201
        assert response.json() == result
        sent = upstream.last
        assert sent.path == _holder(user_id, "credits")
        assert sent.json == {
            "amount": "100.50",
            "currency": settings.DEFAULT_CURRENCY,
            "source": "salary",
            "description": "Nov",
        }
        assert sent.request.headers["Idempotency-Key"] == "credit-1"
        assert sent.request.headers["Authorization"] == (
            f"Service {settings.ACCOUNTING_SERVICE_TOKEN}"
        )

    def test_a_description_may_fill_the_ledgers_limit(
        self, auth_api, upstream, user_id
    ):
        self._answer(upstream, user_id)
        description = "x" * 500
        response = auth_api.post(
            self.url, {"amount": "1", "description": description}
        )
        assert response.status_code == 201
        assert upstream.last.json["description"] == description

    @pytest.mark.parametrize(
        ("raw", "currency", "forwarded"),
        [
            ('{"amount": 100.10}', "usd", "100.10"),
            ('{"amount": 7}', "JPY", "7"),
            ('{"amount": "1000000000"}', "USD", "1000000000.00"),
            ('{"amount": 0.01}', "EUR", "0.01"),
        ],
    )
    def test_numbers_are_exact_decimals(
        self, auth_api, upstream, user_id, *, raw, currency, forwarded
    ):
        self._answer(upstream, user_id)
        body = raw[:-1] + f', "currency": "{currency}"}}'
        response = auth_api.post(
            self.url, body, content_type="application/json"
        )
        assert response.status_code == 201
        assert upstream.last.json == {
            "amount": forwarded,
            "currency": currency.upper(),
        }

    @pytest.mark.parametrize(
        ("raw", "code"),
        [
            ('{"amount": 100.123}', "invalid_amount"),
            ('{"amount": "100.123"}', "invalid_amount"),
            ('{"amount": 1e3}', "invalid_amount"),
            ('{"amount": "1e3"}', "invalid_amount"),
            ('{"amount": "NaN"}', "invalid_amount"),
            ('{"amount": "Infinity"}', "invalid_amount"),
            ('{"amount": NaN}', "malformed_json"),
            ('{"amount": Infinity}', "malformed_json"),
            ('{"amount": -5}', "invalid_amount"),
            ('{"amount": "-5"}', "invalid_amount"),
            ('{"amount": 0}', "invalid_amount"),
            ('{"amount": "0.00"}', "invalid_amount"),
            ('{"amount": "1000000000.01"}', "invalid_amount"),
            ('{"amount": "ten"}', "invalid_amount"),
            ('{"amount": true}', "invalid_amount"),
            ('{"amount": null}', "validation_error"),
            ("{}", "validation_error"),
            ('{"amount": "1.5", "currency": "JPY"}', "invalid_amount"),
            ('{"amount": "1", "currency": "XYZ"}', "unsupported_currency"),
            ('{"amount": "1", "currency": 840}', "unsupported_currency"),
            (
                '{"amount": "1", "description": "' + "x" * 501 + '"}',
                "validation_error",
            ),
            ('{"amount": ', "malformed_json"),
            ("[1, 2]", "validation_error"),
        ],
    )
    def test_bad_input_is_refused_before_accounting(
        self, auth_api, upstream, raw, code
    ):
        response = auth_api.post(self.url, raw, content_type="application/json")
        problem = assert_problem(response, 400, code)
        assert problem["detail"]
        assert upstream.sent == []

    def test_an_invalid_amount_names_the_field(self, auth_api, upstream):
        response = auth_api.post(self.url, {"amount": "1.999"})
        problem = assert_problem(response, 400, "invalid_amount")
        assert problem["errors"] == {
            "amount": ["USD amounts have at most 2 decimal places."]
        }

    @pytest.mark.parametrize("key", ["", "k" * 256, "caf\u00e9", "tab\there"])
    def test_a_bad_idempotency_key_is_refused(self, auth_api, upstream, key):
        response = auth_api.post(
            self.url, {"amount": "1"}, HTTP_IDEMPOTENCY_KEY=key
        )
        assert_problem(response, 400, "invalid_idempotency_key")
        assert upstream.sent == []

    def test_a_255_character_key_is_fine(self, auth_api, upstream, user_id):
        self._answer(upstream, user_id)
        key = "k" * 255
        response = auth_api.post(
            self.url, {"amount": "1"}, HTTP_IDEMPOTENCY_KEY=key
        )
        assert response.status_code == 201
        assert upstream.last.request.headers["Idempotency-Key"] == key

    def test_a_replay_keeps_its_header(self, auth_api, upstream, user_id):
        result = self._answer(
            upstream, user_id, **{"Idempotent-Replayed": "true"}
        )
        response = auth_api.post(
            self.url, {"amount": "100.50"}, HTTP_IDEMPOTENCY_KEY="k"
        )
        assert response.status_code == 201
        assert response.json() == result
        assert response["Idempotent-Replayed"] == "true"

    @pytest.mark.parametrize(
        ("status", "code", "headers"),
        [
            (422, "amount_not_above_flat_amount", {}),
            (422, "idempotency_key_reused", {}),
            (409, "idempotency_key_in_flight", {}),
            (409, "account_not_ready", {"Retry-After": "1"}),
            (422, "account_not_open", {}),
            (401, "user_inactive", {}),
        ],
    )
    def test_accounting_judgements_pass_through(
        self, auth_api, upstream, user_id, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "credits"),
            status=status,
            json=body,
            headers=headers,
        )
        response = auth_api.post(
            self.url, {"amount": "5.00"}, HTTP_IDEMPOTENCY_KEY="k"
        )
        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value

    def test_a_misshapen_answer_is_bad_gateway(
        self, auth_api, upstream, user_id
    ):
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "credits"),
            status=201,
            json={"transaction": {"id": "x"}},
        )
        response = auth_api.post(self.url, {"amount": "5"})
        assert_problem(response, 502, "bad_gateway")


class TestBalance:
    url = "/api/v1/balance"

    def test_now_in_the_default_currency(self, auth_api, upstream, user_id):
        balance = factories.BalancePayloadFactory()
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "balance"),
            json=balance,
        )
        response = auth_api.get(self.url)
        assert response.status_code == 200
        assert response.json() == balance
        assert upstream.last.request.url.query == b""

    def test_as_of_an_instant_normalised_to_utc(
        self, auth_api, upstream, user_id
    ):
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "balance"),
            json=factories.BalancePayloadFactory(currency="EUR"),
        )
        response = auth_api.get(
            self.url, {"at": "2026-11-21T10:00:00+01:00", "currency": "eur"}
        )
        assert response.status_code == 200
        assert dict(upstream.last.request.url.params) == {
            "at": "2026-11-21T09:00:00Z",
            "currency": "EUR",
        }

    def test_a_date_is_the_end_of_that_utc_day(
        self, auth_api, upstream, user_id
    ):
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "balance"),
            json=factories.BalancePayloadFactory(
                at="2026-11-21T23:59:59.999999Z"
            ),
        )
        response = auth_api.get(self.url, {"at": "2026-11-21"})
        assert response.status_code == 200
        assert dict(upstream.last.request.url.params) == {
            "at": "2026-11-21T23:59:59.999999Z"
        }

    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ({"at": "yesterday"}, "invalid_datetime"),
            ({"at": "2026-11-21T10:00:00"}, "invalid_datetime"),
            ({"at": "2026-02-30"}, "invalid_datetime"),
            ({"currency": "XYZ"}, "unsupported_currency"),
        ],
    )
    def test_bad_queries_are_refused_here(
        self, auth_api, upstream, query, code
    ):
        assert_problem(auth_api.get(self.url, query), 400, code)
        assert upstream.sent == []


class TestTransactions:
    url = "/api/v1/transactions"

    def _page(self, upstream, user_id, cursor: str | None) -> list:
        results = factories.TransactionPayloadFactory.create_batch(2)
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "transactions"),
            json={"results": results, "next_cursor": cursor},
        )
        return results

    def test_forwards_normalised_filters(self, auth_api, upstream, user_id):
        results = self._page(upstream, user_id, None)

        response = auth_api.get(
            self.url,
            {
                "from": "2026-11-01",
                "to": "2026-11-21",
                "kind": "credit",
                "currency": "usd",
                "limit": "10",
                "order": "asc",
                "cursor": "abc",
            },
        )

        assert response.status_code == 200
        assert response.json() == {"results": results, "next": None}
        assert dict(upstream.last.request.url.params) == {
            "from": "2026-11-01T00:00:00Z",
            "to": "2026-11-21T23:59:59.999999Z",
            "kind": "credit",
            "currency": "USD",
            "limit": "10",
            "order": "asc",
            "cursor": "abc",
        }

    def test_defaults(self, auth_api, upstream, user_id):
        self._page(upstream, user_id, None)
        auth_api.get(self.url)
        assert dict(upstream.last.request.url.params) == {
            "limit": "50",
            "order": "desc",
        }

    def test_next_is_this_url_with_the_cursor_replaced(
        self, auth_api, upstream, user_id
    ):
        self._page(upstream, user_id, "opaque/+=")

        response = auth_api.get(
            self.url + "?limit=2&cursor=old&from=2026-11-21T10:00:00%2B01:00"
        )

        next_url = urllib.parse.urlsplit(response.json()["next"])
        assert (next_url.scheme, next_url.netloc, next_url.path) == (
            "http",
            "testserver",
            self.url,
        )
        assert urllib.parse.parse_qs(next_url.query) == {
            "limit": ["2"],
            "cursor": ["opaque/+="],
            "from": ["2026-11-21T10:00:00+01:00"],
        }

    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ({"from": "2026-11-21", "to": "2026-11-20"}, "invalid_range"),
            ({"from": "soon"}, "invalid_datetime"),
            ({"to": "2026-11-21T10:00"}, "invalid_datetime"),
            ({"limit": "0"}, "validation_error"),
            ({"limit": "501"}, "validation_error"),
            ({"limit": "ten"}, "validation_error"),
            ({"order": "random"}, "validation_error"),
            ({"currency": "ABC"}, "unsupported_currency"),
        ],
    )
    def test_bad_queries_are_refused_here(
        self, auth_api, upstream, query, code
    ):
        assert_problem(auth_api.get(self.url, query), 400, code)
        assert upstream.sent == []

    def test_a_bad_cursor_passes_through(self, auth_api, upstream, user_id):
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "transactions"),
            status=400,
            json=factories.problem(400, "invalid_cursor"),
        )
        response = auth_api.get(self.url, {"cursor": "forged"})
        assert_problem(response, 400, "invalid_cursor")

    def test_a_list_instead_of_a_page_is_bad_gateway(
        self, auth_api, upstream, user_id
    ):
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "transactions"),
            json=[],
        )
        assert_problem(auth_api.get(self.url), 502, "bad_gateway")

    def test_reads_one_transaction(self, auth_api, upstream, user_id):
        transaction = factories.TransactionPayloadFactory(plan=None)
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, f"transactions/{transaction['id']}"),
            json=transaction,
        )
        response = auth_api.get(f"{self.url}/{transaction['id']}")
        assert response.status_code == 200
        assert response.json() == transaction

    def test_another_users_transaction_is_not_found(
        self, auth_api, upstream, user_id
    ):
        other = str(uuid.uuid4())
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, f"transactions/{other}"),
            status=404,
            json=factories.problem(404, "transaction_not_found"),
        )
        response = auth_api.get(f"{self.url}/{other}")
        assert_problem(response, 404, "transaction_not_found")

    def test_a_malformed_id_is_not_found_here(self, auth_api, upstream):
        assert_problem(auth_api.get(f"{self.url}/42"), 404, "not_found")
        assert upstream.sent == []
