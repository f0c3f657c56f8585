"""Accounts, money movements, rates, balances and transactions."""

import json
import urllib.parse
import uuid

import pytest

from config.testing import FOLDED_LABEL, PADDED_LABEL, assert_problem
from integration.clients import Service
from integration.tests import factories


def _holder(user_id: str, rest: str) -> str:
    return f"/internal/v1/holders/{user_id}/{rest}"


class TestAccounts:
    url = "/api/v1/accounts"

    def test_lists_the_callers_accounts(self, auth_api, upstream, user_id):
        accounts = [
            factories.AccountPayloadFactory(kind="main", balance="90.45"),
            factories.AccountPayloadFactory(kind="savings", balance="10.05"),
            factories.AccountPayloadFactory(
                currency="EUR", closed_at="2026-11-21T10:00:00.000000Z"
            ),
        ]
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "accounts"),
            json={"results": accounts},
        )
        response = auth_api.get(self.url)
        assert response.status_code == 200
        assert response.json() == {"results": accounts, "next": None}

    def test_opens_a_currency(self, auth_api, upstream, user_id):
        opened = [
            factories.AccountPayloadFactory(kind="main", currency="EUR"),
            factories.AccountPayloadFactory(kind="savings", currency="EUR"),
        ]
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "accounts"),
            status=201,
            json={"results": opened},
        )

        response = auth_api.post(self.url, {"currency": "eur"})

        assert response.status_code == 201
        assert response.json() == {"results": opened}
        assert upstream.last.json == {"currency": "EUR"}

    @pytest.mark.parametrize(
        ("raw", "code"),
        [
            ("{}", "validation_error"),
            ('{"currency": null}', "validation_error"),
            ('{"currency": "XYZ"}', "unsupported_currency"),
            ('{"currency": 978}', "unsupported_currency"),
            ('{"currency": ', "malformed_json"),
        ],
    )
    def test_a_bad_currency_is_refused_before_accounting(
        self, auth_api, upstream, raw, code
    ):
        response = auth_api.post(self.url, raw, content_type="application/json")
        assert_problem(response, 400, code)
        assert upstream.sent == []

    @pytest.mark.parametrize(
        ("status", "code", "headers"),
        [
            (409, "account_not_ready", {"Retry-After": "1"}),
            (401, "user_inactive", {}),
            (400, "unsupported_currency", {}),
            (422, "account_closed", {}),
        ],
    )
    def test_accounting_judgements_pass_through(
        self, auth_api, upstream, user_id, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "accounts"),
            status=status,
            json=body,
            headers=headers,
        )
        response = auth_api.post(self.url, {"currency": "EUR"})
        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value


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
            ({"kind": "transfer"}, "validation_error"),
            ({"kind": "CREDIT"}, "validation_error"),
        ],
    )
    def test_bad_queries_are_refused_here(
        self, auth_api, upstream, query, code
    ):
        assert_problem(auth_api.get(self.url, query), 400, code)
        assert upstream.sent == []

    @pytest.mark.parametrize(
        "kind",
        [
            "credit",
            "transfer_out",
            "transfer_in",
            "withdrawal",
            "conversion",
            "savings_release",
        ],
    )
    def test_filters_by_every_kind(self, auth_api, upstream, user_id, kind):
        self._page(upstream, user_id, None)
        response = auth_api.get(self.url, {"kind": kind})
        assert response.status_code == 200
        assert upstream.last.request.url.params["kind"] == kind

    def test_renders_movements_as_accounting_wrote_them(
        self, auth_api, upstream, user_id
    ):
        results = [
            factories.ConversionPayloadFactory(),
            factories.TransferOutPayloadFactory(),
            factories.TransactionPayloadFactory(
                kind="transfer_in",
                plan=None,
                counterparty_account=str(uuid.uuid4()),
            ),
        ]
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, "transactions"),
            json={"results": results, "next_cursor": None},
        )
        response = auth_api.get(self.url)
        assert response.status_code == 200
        assert response.json()["results"] == results

    def test_only_the_public_fields_are_rendered(
        self, auth_api, upstream, user_id
    ):
        transaction = factories.ConversionPayloadFactory()
        leaky = {
            **transaction,
            "holder_id": user_id,
            "splits": [
                {**split, "entry_id": 7} for split in transaction["splits"]
            ],
            "conversion": {**transaction["conversion"], "rate_id": 3},
        }
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _holder(user_id, f"transactions/{transaction['id']}"),
            json=leaky,
        )
        response = auth_api.get(f"{self.url}/{transaction['id']}")
        assert response.json() == transaction

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

    def test_reads_a_reversal_and_an_answer_stored_before_them(
        self, auth_api, upstream, user_id
    ):
        original = str(uuid.uuid4())
        reversal = factories.TransactionPayloadFactory(
            kind="reversal", plan=None, source="", reverses=original
        )
        stored = factories.TransactionPayloadFactory(plan=None)
        del stored["reverses"], stored["reversed_by"]
        for transaction in (reversal, stored):
            upstream.add(
                Service.ACCOUNTING,
                "GET",
                _holder(user_id, f"transactions/{transaction['id']}"),
                json=transaction,
            )

        read = auth_api.get(f"{self.url}/{reversal['id']}").json()
        old = auth_api.get(f"{self.url}/{stored['id']}").json()

        assert read == reversal
        assert (read["kind"], read["reverses"]) == ("reversal", original)
        assert old == {**stored, "reverses": None, "reversed_by": None}

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


RECIPIENT = "3f2e1d0c-9b8a-4f6e-8d5c-4b3a2f1e0d9c"

# Each POST that moves money: a valid body and the name of its currency.
MOVEMENTS = {
    "transfers": (
        {"to_account": RECIPIENT, "amount": "1"},
        "currency",
    ),
    "withdrawals": ({"amount": "1"}, "currency"),
    "conversions": (
        {"from_currency": "USD", "to_currency": "EUR", "amount": "1"},
        "from_currency",
    ),
}

# (amount as raw JSON, its currency, the code): what no movement accepts.
BAD_AMOUNTS = [
    ('"ten"', "USD", "invalid_amount"),
    ('"100.123"', "USD", "invalid_amount"),
    ("100.123", "USD", "invalid_amount"),
    ('"1.5"', "JPY", "invalid_amount"),
    ("1.5", "JPY", "invalid_amount"),
    ("0", "USD", "invalid_amount"),
    ('"0.00"', "USD", "invalid_amount"),
    ("-5", "USD", "invalid_amount"),
    ('"-5"', "USD", "invalid_amount"),
    ('"1000000000.01"', "USD", "invalid_amount"),
    ("1000000001", "USD", "invalid_amount"),
    ("1e3", "USD", "invalid_amount"),
    ('"1e3"', "USD", "invalid_amount"),
    ("true", "USD", "invalid_amount"),
    ("null", "USD", "validation_error"),
    ('"1"', "XYZ", "unsupported_currency"),
    ('"1"', "840", "unsupported_currency"),
]

# What accounting may answer to any movement, passed through as it came.
SHARED_JUDGEMENTS = [
    (422, "insufficient_funds", {}),
    (422, "account_not_open", {}),
    (422, "account_closed", {}),
    (422, "account_frozen", {}),
    (422, "idempotency_key_reused", {}),
    (409, "idempotency_key_in_flight", {"Retry-After": "1"}),
    (409, "account_not_ready", {"Retry-After": "1"}),
    (401, "user_inactive", {}),
]


def _result(endpoint: str) -> dict:
    """Returns accounting's answer to a movement, as the wire documents it."""
    if endpoint == "conversions":
        return {
            "transaction": factories.ConversionPayloadFactory(),
            "rate": factories.RatePayloadFactory(),
            "balances": {"main": "40.45", "savings": "10.05"},
            "to_balances": {"main": "46.00", "savings": "0.00"},
        }
    return {
        "transaction": factories.TransferOutPayloadFactory(),
        "balances": {"main": "65.45", "savings": "10.05"},
    }


def _answer(upstream, user_id, endpoint, *, status=201, json=None, **headers):
    """Makes accounting answer POST ``endpoint``; returns the body."""
    body = _result(endpoint) if json is None else json
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        _holder(user_id, endpoint),
        status=status,
        json=body,
        headers=headers,
    )
    return body


@pytest.mark.parametrize("endpoint", list(MOVEMENTS))
class TestEveryMovement:
    """What transfers, withdrawals and conversions share with credits."""

    def test_forwards_the_key_and_renders_the_answer(
        self, auth_api, upstream, user_id, settings, endpoint
    ):
        result = _answer(upstream, user_id, endpoint)
        body, _ = MOVEMENTS[endpoint]

        response = auth_api.post(
            f"/api/v1/{endpoint}", body, HTTP_IDEMPOTENCY_KEY="move-1"
        )

        assert response.status_code == 201
        assert response.json() == result
        assert "Idempotent-Replayed" not in response
        sent = upstream.last
        assert sent.path == _holder(user_id, endpoint)
        assert sent.request.headers["Idempotency-Key"] == "move-1"
        assert sent.request.headers["Authorization"] == (
            f"Service {settings.ACCOUNTING_SERVICE_TOKEN}"
        )

    def test_without_a_key_none_is_forwarded(
        self, auth_api, upstream, user_id, endpoint
    ):
        _answer(upstream, user_id, endpoint)
        body, _ = MOVEMENTS[endpoint]
        response = auth_api.post(f"/api/v1/{endpoint}", body)
        assert response.status_code == 201
        assert "Idempotency-Key" not in upstream.last.request.headers

    def test_a_replay_keeps_its_header(
        self, auth_api, upstream, user_id, endpoint
    ):
        result = _answer(
            upstream, user_id, endpoint, **{"Idempotent-Replayed": "true"}
        )
        body, _ = MOVEMENTS[endpoint]
        response = auth_api.post(
            f"/api/v1/{endpoint}", body, HTTP_IDEMPOTENCY_KEY="k"
        )
        assert response.status_code == 201
        assert response.json() == result
        assert response["Idempotent-Replayed"] == "true"

    @pytest.mark.parametrize("key", ["", "k" * 256, "caf\u00e9"])
    def test_a_bad_idempotency_key_is_refused(
        self, auth_api, upstream, endpoint, key
    ):
        body, _ = MOVEMENTS[endpoint]
        response = auth_api.post(
            f"/api/v1/{endpoint}", body, HTTP_IDEMPOTENCY_KEY=key
        )
        assert_problem(response, 400, "invalid_idempotency_key")
        assert upstream.sent == []

    @pytest.mark.parametrize(("amount", "currency", "code"), BAD_AMOUNTS)
    def test_a_bad_amount_is_refused_before_accounting(
        self, auth_api, upstream, endpoint, *, amount, currency, code
    ):
        body, currency_field = MOVEMENTS[endpoint]
        raw = json.dumps(
            {**body, "amount": "AMOUNT", currency_field: currency}
        ).replace('"AMOUNT"', amount)
        response = auth_api.post(
            f"/api/v1/{endpoint}", raw, content_type="application/json"
        )
        problem = assert_problem(response, 400, code)
        assert problem["detail"]
        assert upstream.sent == []

    def test_an_invalid_amount_names_the_field(
        self, auth_api, upstream, endpoint
    ):
        body, _ = MOVEMENTS[endpoint]
        response = auth_api.post(
            f"/api/v1/{endpoint}", {**body, "amount": "1.999"}
        )
        problem = assert_problem(response, 400, "invalid_amount")
        assert problem["errors"] == {
            "amount": ["USD amounts have at most 2 decimal places."]
        }

    @pytest.mark.parametrize(
        ("raw", "code"),
        [
            ("{}", "validation_error"),
            ("[1, 2]", "validation_error"),
            ('"1"', "validation_error"),
            ('{"amount": ', "malformed_json"),
        ],
    )
    def test_a_body_that_is_not_a_movement_is_refused(
        self, auth_api, upstream, endpoint, raw, code
    ):
        response = auth_api.post(
            f"/api/v1/{endpoint}", raw, content_type="application/json"
        )
        assert_problem(response, 400, code)
        assert upstream.sent == []

    def test_a_description_fills_the_ledgers_limit_and_no_more(
        self, auth_api, upstream, user_id, endpoint
    ):
        _answer(upstream, user_id, endpoint)
        body, _ = MOVEMENTS[endpoint]
        url = f"/api/v1/{endpoint}"

        fits = auth_api.post(url, {**body, "description": "x" * 500})
        too_long = auth_api.post(url, {**body, "description": "x" * 501})

        assert fits.status_code == 201
        assert upstream.last.json["description"] == "x" * 500
        problem = assert_problem(too_long, 400, "validation_error")
        assert list(problem["errors"]) == ["description"]
        assert len(upstream.sent) == 1

    @pytest.mark.parametrize(("status", "code", "headers"), SHARED_JUDGEMENTS)
    def test_accounting_judgements_pass_through(
        self, auth_api, upstream, user_id, endpoint, *, status, code, headers
    ):
        problem = factories.problem(status, code, "From accounting.")
        _answer(
            upstream, user_id, endpoint, status=status, json=problem, **headers
        )
        body, _ = MOVEMENTS[endpoint]
        response = auth_api.post(
            f"/api/v1/{endpoint}", body, HTTP_IDEMPOTENCY_KEY="k"
        )
        assert assert_problem(response, status, code) == problem
        for name, value in headers.items():
            assert response[name] == value

    def test_a_misshapen_answer_is_bad_gateway(
        self, auth_api, upstream, user_id, endpoint
    ):
        result = _result(endpoint)
        del result["balances"]
        _answer(upstream, user_id, endpoint, json=result)
        body, _ = MOVEMENTS[endpoint]
        response = auth_api.post(f"/api/v1/{endpoint}", body)
        assert_problem(response, 502, "bad_gateway")

    def test_needs_a_token(self, api, upstream, endpoint):
        body, _ = MOVEMENTS[endpoint]
        response = api.post(f"/api/v1/{endpoint}", body)
        assert_problem(response, 401, "not_authenticated")
        assert upstream.sent == []


class TestTransfer:
    url = "/api/v1/transfers"

    @pytest.mark.parametrize(
        "to_account",
        [RECIPIENT, RECIPIENT.upper(), RECIPIENT.replace("-", "")],
    )
    def test_forwards_a_normalised_transfer(
        self, auth_api, upstream, user_id, settings, to_account
    ):
        _answer(upstream, user_id, "transfers")

        response = auth_api.post(
            self.url,
            {"to_account": to_account, "amount": 25.5, "description": "Dinner"},
        )

        assert response.status_code == 201
        assert upstream.last.json == {
            "kind": "transfer",
            "to_account": RECIPIENT,
            "amount": "25.50",
            "currency": settings.DEFAULT_CURRENCY,
            "description": "Dinner",
        }

    @pytest.mark.parametrize(
        "extra", [{}, {"to_account": None}], ids=["absent", "null"]
    )
    def test_a_savings_release_names_no_recipient(
        self, auth_api, upstream, user_id, extra
    ):
        result = _answer(
            upstream,
            user_id,
            "transfers",
            json={
                "transaction": factories.TransactionPayloadFactory(
                    kind="savings_release",
                    amount="10",
                    currency="JPY",
                    source="",
                    plan=None,
                    splits=[
                        {
                            "account_kind": "savings",
                            "currency": "JPY",
                            "amount": "-10",
                        },
                        {
                            "account_kind": "main",
                            "currency": "JPY",
                            "amount": "10",
                        },
                    ],
                ),
                "balances": {"main": "10", "savings": "0"},
            },
        )

        response = auth_api.post(
            self.url,
            {"kind": "savings_release", "amount": "10", "currency": "jpy"}
            | extra,
        )

        assert response.status_code == 201
        assert response.json() == result
        assert upstream.last.json == {
            "kind": "savings_release",
            "amount": "10",
            "currency": "JPY",
        }

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"amount": "1"}, "to_account"),
            ({"to_account": None, "amount": "1"}, "to_account"),
            ({"to_account": "not-a-uuid", "amount": "1"}, "to_account"),
            ({"to_account": "", "amount": "1"}, "to_account"),
            ({"to_account": RECIPIENT + "0", "amount": "1"}, "to_account"),
            ({"to_account": 42, "amount": "1"}, "to_account"),
            ({"to_account": [RECIPIENT], "amount": "1"}, "to_account"),
            (
                {"kind": "transfer", "to_account": None, "amount": "1"},
                "to_account",
            ),
            (
                {
                    "kind": "savings_release",
                    "to_account": RECIPIENT,
                    "amount": "1",
                },
                "to_account",
            ),
            (
                {"kind": "savings_release", "to_account": "x", "amount": "1"},
                "to_account",
            ),
            ({"kind": "gift", "to_account": RECIPIENT, "amount": "1"}, "kind"),
            ({"kind": None, "to_account": RECIPIENT, "amount": "1"}, "kind"),
        ],
    )
    def test_a_bad_recipient_or_kind_is_refused_before_accounting(
        self, auth_api, upstream, body, field
    ):
        response = auth_api.post(
            self.url, json.dumps(body), content_type="application/json"
        )
        problem = assert_problem(response, 400, "validation_error")
        assert list(problem["errors"]) == [field]
        assert upstream.sent == []

    @pytest.mark.parametrize(
        ("status", "code"),
        [
            (404, "account_not_found"),
            (422, "same_account"),
            (422, "currency_mismatch"),
            (422, "savings_locked"),
        ],
    )
    def test_transfer_judgements_pass_through(
        self, auth_api, upstream, user_id, status, code
    ):
        problem = factories.problem(status, code, "From accounting.")
        _answer(upstream, user_id, "transfers", status=status, json=problem)
        response = auth_api.post(
            self.url, {"to_account": RECIPIENT, "amount": "1"}
        )
        assert assert_problem(response, status, code) == problem


class TestWithdrawal:
    url = "/api/v1/withdrawals"

    def test_forwards_a_normalised_withdrawal(
        self, auth_api, upstream, user_id
    ):
        result = _answer(upstream, user_id, "withdrawals")
        category = "c" * 100

        response = auth_api.post(
            self.url,
            {
                "amount": "10",
                "currency": "eur",
                "category": category,
                "description": "Market",
            },
        )

        assert response.status_code == 201
        assert response.json() == result
        assert upstream.last.json == {
            "amount": "10.00",
            "currency": "EUR",
            "category": category,
            "description": "Market",
        }

    @pytest.mark.parametrize("category", ["c" * 101, None, ["food"]])
    def test_a_bad_category_is_refused_before_accounting(
        self, auth_api, upstream, category
    ):
        response = auth_api.post(
            self.url,
            json.dumps({"amount": "1", "category": category}),
            content_type="application/json",
        )
        problem = assert_problem(response, 400, "validation_error")
        assert list(problem["errors"]) == ["category"]
        assert upstream.sent == []


class TestLabels:
    """A label is judged as accounting stores it: normalised."""

    @pytest.mark.parametrize(
        ("path", "field"), [("credits", "source"), ("withdrawals", "category")]
    )
    def test_a_label_within_the_bound_once_normalised_is_forwarded(
        self, auth_api, upstream, user_id, path, field
    ):
        result = _answer(upstream, user_id, path)

        response = auth_api.post(
            f"/api/v1/{path}", {"amount": "1", field: PADDED_LABEL}
        )

        assert response.status_code == 201, response.content
        assert response.json() == result
        assert upstream.last.json[field] == " ".join(["abcd"] * 20)

    @pytest.mark.parametrize(
        ("path", "field"), [("credits", "source"), ("withdrawals", "category")]
    )
    @pytest.mark.parametrize("label", ["x" * 101, FOLDED_LABEL])
    def test_a_label_beyond_the_bound_once_normalised_is_refused(
        self, auth_api, upstream, path, field, label
    ):
        response = auth_api.post(
            f"/api/v1/{path}", {"amount": "1", field: label}
        )

        problem = assert_problem(response, 400, "validation_error")
        assert problem["errors"] == {
            field: ["At most 100 characters (after removing extra spaces)."]
        }
        assert upstream.sent == []


class TestDatedRecords:
    """A credit or withdrawal of an earlier day: its date is forwarded."""

    @pytest.mark.parametrize("path", ["credits", "withdrawals"])
    @pytest.mark.parametrize(
        ("given", "forwarded"),
        [
            ("2026-11-03", "2026-11-03T00:00:00Z"),
            ("2026-11-03T23:30:00-01:00", "2026-11-04T00:30:00Z"),
            ("2026-11-03T10:00:00 02:00", "2026-11-03T08:00:00Z"),
            ("2026-11-03t10:00:00.9999999z", "2026-11-03T10:00:00.999999Z"),
        ],
    )
    def test_the_date_is_forwarded_as_one_instant_in_utc(
        self, auth_api, upstream, user_id, *, path, given, forwarded
    ):
        result = _answer(upstream, user_id, path)

        response = auth_api.post(
            f"/api/v1/{path}", {"amount": "1", "effective_at": given}
        )

        assert response.status_code == 201, response.content
        assert response.json() == result
        assert upstream.last.json["effective_at"] == forwarded

    @pytest.mark.parametrize("path", ["credits", "withdrawals"])
    def test_an_undated_record_forwards_no_date(
        self, auth_api, upstream, user_id, path
    ):
        _answer(upstream, user_id, path)

        auth_api.post(f"/api/v1/{path}", {"amount": "1"})

        assert "effective_at" not in upstream.last.json

    @pytest.mark.parametrize("path", ["credits", "withdrawals"])
    @pytest.mark.parametrize(
        ("date", "code"),
        [
            ("yesterday", "invalid_datetime"),
            ("2026-11-03T10:00:00", "invalid_datetime"),
            ("2026-02-30", "invalid_datetime"),
            ("0001-01-01T00:00:00+14:00", "invalid_datetime"),
            (20261103, "invalid_datetime"),
            (None, "validation_error"),
        ],
    )
    def test_a_bad_date_is_refused_before_accounting(
        self, auth_api, upstream, path, date, code
    ):
        response = auth_api.post(
            f"/api/v1/{path}",
            json.dumps({"amount": "1", "effective_at": date}),
            content_type="application/json",
        )

        problem = assert_problem(response, 400, code)
        assert list(problem["errors"]) == ["effective_at"]
        assert upstream.sent == []

    def test_accountings_judgement_of_the_future_passes_through(
        self, auth_api, upstream, user_id
    ):
        """The future is for accounting's clock to say (one rule, one place)."""
        body = factories.problem(
            400, "validation_error", "A field is invalid."
        ) | {
            "errors": {
                "effective_at": ["A record cannot take effect in the future."]
            }
        }
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _holder(user_id, "credits"),
            status=400,
            json=body,
        )

        response = auth_api.post(
            "/api/v1/credits",
            {"amount": "1", "effective_at": "2999-01-01"},
        )

        assert assert_problem(response, 400, "validation_error") == body


class TestConversion:
    url = "/api/v1/conversions"

    def test_forwards_a_normalised_conversion(
        self, auth_api, upstream, user_id
    ):
        result = _answer(upstream, user_id, "conversions")

        response = auth_api.post(
            self.url,
            '{"from_currency": "usd", "to_currency": "eur", "amount": 50.5}',
            content_type="application/json",
        )

        assert response.status_code == 201
        assert response.json() == result
        assert upstream.last.json == {
            "from_currency": "USD",
            "to_currency": "EUR",
            "amount": "50.50",
        }

    @pytest.mark.parametrize(
        ("source", "amount", "forwarded"),
        [
            ("USD", "1.5", "1.50"),
            ("JPY", "1500", "1500"),
            ("KWD", "1.5", "1.500"),
        ],
    )
    def test_the_amount_has_the_source_currencys_precision(
        self,
        auth_api,
        upstream,
        user_id,
        settings,
        *,
        source,
        amount,
        forwarded,
    ):
        settings.SUPPORTED_CURRENCIES = ["USD", "JPY", "KWD", "EUR"]
        _answer(upstream, user_id, "conversions")
        response = auth_api.post(
            self.url,
            {"from_currency": source, "to_currency": "EUR", "amount": amount},
        )
        assert response.status_code == 201
        assert upstream.last.json["amount"] == forwarded

    def test_jpy_precision_is_the_sources_not_the_targets(
        self, auth_api, upstream
    ):
        response = auth_api.post(
            self.url,
            {"from_currency": "JPY", "to_currency": "USD", "amount": "1.5"},
        )
        problem = assert_problem(response, 400, "invalid_amount")
        assert problem["errors"] == {
            "amount": ["JPY amounts have at most 0 decimal places."]
        }
        assert upstream.sent == []

    @pytest.mark.parametrize(
        ("source", "target"), [("USD", "USD"), ("usd", "USD"), ("JPY", "jpy")]
    )
    def test_a_conversion_into_its_own_currency_is_refused_here(
        self, auth_api, upstream, source, target
    ):
        response = auth_api.post(
            self.url,
            {"from_currency": source, "to_currency": target, "amount": "1"},
            HTTP_IDEMPOTENCY_KEY="k",
        )
        problem = assert_problem(response, 400, "same_currency")
        assert problem["type"] == "urn:savings:problem:same_currency"
        assert list(problem["errors"]) == ["to_currency"]
        assert upstream.sent == []

    @pytest.mark.parametrize(
        ("body", "code", "field"),
        [
            (
                {"to_currency": "EUR", "amount": "1"},
                "validation_error",
                "from_currency",
            ),
            (
                {"from_currency": "USD", "amount": "1"},
                "validation_error",
                "to_currency",
            ),
            (
                {"from_currency": "USD", "to_currency": "XYZ", "amount": "1"},
                "unsupported_currency",
                "to_currency",
            ),
            (
                {"from_currency": "USD", "to_currency": None, "amount": "1"},
                "validation_error",
                "to_currency",
            ),
        ],
    )
    def test_a_missing_or_bad_currency_is_refused(
        self, auth_api, upstream, body, code, field
    ):
        response = auth_api.post(
            self.url, json.dumps(body), content_type="application/json"
        )
        problem = assert_problem(response, 400, code)
        assert list(problem["errors"]) == [field]
        assert upstream.sent == []

    @pytest.mark.parametrize(
        ("status", "code"),
        [(422, "rate_unavailable"), (422, "amount_too_small")],
    )
    def test_conversion_judgements_pass_through(
        self, auth_api, upstream, user_id, status, code
    ):
        problem = factories.problem(status, code, "From accounting.")
        _answer(upstream, user_id, "conversions", status=status, json=problem)
        body, _ = MOVEMENTS["conversions"]
        response = auth_api.post(self.url, body)
        assert assert_problem(response, status, code) == problem

    @pytest.mark.parametrize("missing", ["rate", "to_balances"])
    def test_an_answer_without_the_conversion_parts_is_bad_gateway(
        self, auth_api, upstream, user_id, missing
    ):
        result = _result("conversions")
        del result[missing]
        _answer(upstream, user_id, "conversions", json=result)
        body, _ = MOVEMENTS["conversions"]
        assert_problem(auth_api.post(self.url, body), 502, "bad_gateway")


class TestRates:
    url = "/api/v1/rates"

    def _rates(self, upstream) -> dict:
        body = {
            "at": "2026-11-21T10:00:00.000000Z",
            "results": [
                factories.RatePayloadFactory(),
                factories.RatePayloadFactory(quote="JPY", rate="151.2"),
            ],
        }
        upstream.add(Service.ACCOUNTING, "GET", "/internal/v1/rates", json=body)
        return body

    def test_lists_every_current_rate(self, auth_api, upstream, user_id):
        body = self._rates(upstream)
        response = auth_api.get(self.url)
        assert response.status_code == 200
        assert response.json() == body
        assert dict(upstream.last.request.url.params) == {"holder": user_id}

    def test_from_one_base(self, auth_api, upstream, user_id):
        self._rates(upstream)
        response = auth_api.get(self.url, {"base": "usd"})
        assert response.status_code == 200
        assert dict(upstream.last.request.url.params) == {
            "base": "USD",
            "holder": user_id,
        }

    @pytest.mark.parametrize("base", ["XYZ", "usdollar", "840"])
    def test_an_unsupported_base_is_refused_here(
        self, auth_api, upstream, base
    ):
        response = auth_api.get(self.url, {"base": base})
        assert_problem(response, 400, "unsupported_currency")
        assert upstream.sent == []

    def test_needs_a_token(self, api, upstream):
        assert_problem(api.get(self.url), 401, "not_authenticated")
        assert upstream.sent == []

    def test_a_rate_without_its_instant_is_bad_gateway(
        self, auth_api, upstream
    ):
        body = self._rates(upstream)
        del body["results"][0]["valid_from"]
        assert_problem(auth_api.get(self.url), 502, "bad_gateway")
