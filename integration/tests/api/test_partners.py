"""Partner payroll at the gateway: credit batches sent with an API key."""

import json
import time
import uuid

import pytest

from config import bounds
from config.testing import assert_problem
from integration.clients import Service
from integration.tests import factories

URL = "/api/v1/partner/credit-batches"
VERIFY = "/internal/v1/partner-keys/verify"
# Where the shared problem names what is wrong with the list as a whole.
_LIST = "items.non_field_errors"


def _item(n: int = 0, **fields) -> dict:
    return {
        "user": f"user{n}@example.com",
        "amount": "12.50",
        "currency": "USD",
        "reference": f"PAY-{n}",
        **fields,
    }


def _batch(*items: dict) -> dict:
    return {"items": list(items) or [_item()]}


def _create_path(partner: dict) -> str:
    return f"/internal/v1/partner-keys/{partner['key_id']}/credit-batches"


def _detail_path(partner: dict, batch_id: str) -> str:
    return (
        f"/internal/v1/partners/{partner['partner_id']}/credit-batches/"
        f"{batch_id}"
    )


def _accept(upstream, partner, **headers) -> dict:
    document = factories.CreditBatchPayloadFactory()
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        _create_path(partner),
        status=202,
        json=document,
        headers=headers,
    )
    return document


def _post(client, body, *, key: str | None = "payroll-2026-11", **extra):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.generic(
        "POST",
        URL,
        raw,
        content_type=extra.pop("content_type", "application/json"),
        **extra,
    )


def _only_verified(upstream) -> None:
    """Asserts that nothing but the key's verification reached a service."""
    assert [sent.path for sent in upstream.sent] == [VERIFY]


class TestCreate:
    def test_the_normalised_batch_goes_in_the_keys_name(
        self, partner_api, upstream, partner, settings
    ):
        document = _accept(upstream, partner)
        items = [
            _item(0, amount="1250"),
            _item(1, amount=980.5, currency="eur"),
            _item(2, amount="700", currency="JPY", user=str(uuid.uuid4())),
        ]

        response = _post(partner_api, _batch(*items))

        assert response.status_code == 202, response.content
        assert response.json() == document
        assert response["Location"] == (
            f"http://testserver{URL}/{document['id']}"
        )
        sent = upstream.last
        assert sent.path == _create_path(partner)
        assert sent.json == {
            "items": [
                {**items[0], "amount": "1250.00"},
                {**items[1], "amount": "980.50", "currency": "EUR"},
                items[2],
            ]
        }
        assert sent.request.headers["Idempotency-Key"] == "payroll-2026-11"
        assert sent.request.headers["Authorization"] == (
            f"Service {settings.ACCOUNTING_SERVICE_TOKEN}"
        )

    def test_a_replay_says_so_and_still_locates_the_batch(
        self, partner_api, upstream, partner
    ):
        document = _accept(upstream, partner, **{"Idempotent-Replayed": "true"})

        response = _post(partner_api, _batch())

        assert response.status_code == 202
        assert response["Idempotent-Replayed"] == "true"
        assert response["Location"].endswith(f"{URL}/{document['id']}")

    def test_a_batch_of_the_most_items_is_taken(
        self, partner_api, upstream, partner
    ):
        _accept(upstream, partner)
        items = [_item(n) for n in range(bounds.CREDIT_BATCH_MAX_ITEMS)]

        started = time.perf_counter()
        response = _post(partner_api, _batch(*items))
        elapsed = time.perf_counter() - started

        assert response.status_code == 202, response.content
        assert len(upstream.last.json["items"]) == 10_000
        assert elapsed < 10, f"10,000 items took {elapsed:.1f} s"

    @pytest.mark.parametrize(
        "key",
        [
            pytest.param(None, id="missing"),
            pytest.param("", id="empty"),
            pytest.param("k" * 256, id="too-long"),
            pytest.param("clé", id="not-ascii"),
        ],
    )
    def test_an_idempotency_key_is_required(
        self, partner_api, upstream, partner, key
    ):
        response = _post(partner_api, _batch(), key=key)

        assert_problem(response, 400, "invalid_idempotency_key")
        _only_verified(upstream)

    @pytest.mark.parametrize(
        ("body", "code", "member"),
        [
            pytest.param({}, "validation_error", "items", id="no-items"),
            pytest.param({"items": []}, "validation_error", _LIST, id="empty"),
            pytest.param(
                {"items": {"user": "a@b.co"}},
                "validation_error",
                _LIST,
                id="items-an-object",
            ),
            pytest.param(
                {"items": "PAY-1"}, "validation_error", _LIST, id="text"
            ),
            pytest.param(
                {"items": [[_item()]]},
                "validation_error",
                "items.0.non_field_errors",
                id="item-a-list",
            ),
            pytest.param(
                _batch(_item(user=42)),
                "validation_error",
                "items.0.user",
                id="user-a-number",
            ),
            pytest.param(
                _batch(_item(user="not a user")),
                "validation_error",
                "items.0.user",
                id="user-neither-id-nor-email",
            ),
            pytest.param(
                _batch(_item(user="a" * 250 + "@b.co")),
                "validation_error",
                "items.0.user",
                id="user-too-long",
            ),
            pytest.param(
                _batch(_item(amount=True)),
                "invalid_amount",
                "items.0.amount",
                id="amount-a-boolean",
            ),
            pytest.param(
                _batch(_item(), _item(1, amount="1.005")),
                "invalid_amount",
                "items.1.amount",
                id="amount-beyond-precision",
            ),
            pytest.param(
                _batch(_item(amount="1e3")),
                "invalid_amount",
                "items.0.amount",
                id="amount-with-exponent",
            ),
            pytest.param(
                _batch(_item(amount="-5.00")),
                "invalid_amount",
                "items.0.amount",
                id="amount-negative",
            ),
            pytest.param(
                _batch(_item(amount="1000000000.01")),
                "invalid_amount",
                "items.0.amount",
                id="amount-above-the-maximum",
            ),
            pytest.param(
                _batch(_item(currency="XYZ")),
                "unsupported_currency",
                "items.0.currency",
                id="unsupported-currency",
            ),
            pytest.param(
                _batch(_item(currency=840)),
                "unsupported_currency",
                "items.0.currency",
                id="currency-a-number",
            ),
            pytest.param(
                _batch(_item(reference=["PAY-1"])),
                "validation_error",
                "items.0.reference",
                id="reference-a-list",
            ),
            pytest.param(
                _batch(_item(reference="R" * 101)),
                "validation_error",
                "items.0.reference",
                id="reference-too-long",
            ),
            pytest.param(
                _batch(_item(reference="PAY\u00001")),
                "validation_error",
                "items.0.reference",
                id="reference-with-nul",
            ),
            pytest.param(
                _batch({"user": "a@b.co", "amount": "1"}),
                "validation_error",
                "items.0.currency",
                id="item-incomplete",
            ),
            pytest.param(
                _batch(_item(source="salary")),
                "validation_error",
                "items.0.source",
                id="unknown-item-member",
            ),
            pytest.param(
                {"items": [_item()], "partner_id": str(uuid.uuid4())},
                "validation_error",
                "partner_id",
                id="unknown-member",
            ),
            pytest.param(
                {
                    "items": [
                        _item(n)
                        for n in range(bounds.CREDIT_BATCH_MAX_ITEMS + 1)
                    ]
                },
                "validation_error",
                _LIST,
                id="10,001-items",
            ),
        ],
    )
    def test_a_bad_batch_is_refused_before_accounting(
        self, partner_api, upstream, partner, *, body, code, member
    ):
        response = _post(partner_api, body)

        problem = assert_problem(response, 400, code)
        assert member in problem["errors"], problem["errors"]
        _only_verified(upstream)

    def test_a_body_of_no_json_is_refused(self, partner_api, upstream, partner):
        response = _post(partner_api, '{"items": [', key="k")

        assert_problem(response, 400, "malformed_json")
        _only_verified(upstream)

    @pytest.mark.parametrize(
        "content_type",
        ["text/csv", "text/plain", "*/*", "multipart/form-data; boundary=x"],
    )
    def test_a_body_not_sent_as_json_is_unsupported(
        self, partner_api, upstream, partner, content_type
    ):
        response = _post(
            partner_api,
            "user,amount\na@b.co,1\n",
            content_type=content_type,
        )

        assert_problem(response, 415, "unsupported_media_type")
        _only_verified(upstream)

    def test_a_body_between_1_and_8_mib_is_read(
        self, partner_api, upstream, partner
    ):
        _accept(upstream, partner)
        body = json.dumps(_batch(_item(), _item(1)))
        padded = body[:-1] + " " * (2 * 1024 * 1024) + "}"

        response = _post(partner_api, padded)

        assert response.status_code == 202, response.content
        assert len(upstream.last.json["items"]) == 2

    def test_a_body_over_8_mib_is_too_large(
        self, partner_api, upstream, partner
    ):
        body = json.dumps(_batch())
        padded = body[:-1] + " " * bounds.CREDIT_BATCH_MAX_BYTES + "}"

        response = _post(partner_api, padded)

        assert_problem(response, 413, "payload_too_large")
        _only_verified(upstream)

    def test_a_reference_twice_is_refused_by_accounting(
        self, partner_api, upstream, partner
    ):
        refusal = {
            **factories.problem(
                400,
                "validation_error",
                "Items 0 and 1 have the same reference 'PAY-0'.",
            ),
            "errors": {
                "items": ["Items 0 and 1 have the same reference 'PAY-0'."]
            },
        }
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _create_path(partner),
            status=400,
            json=refusal,
        )

        response = _post(
            partner_api, _batch(_item(0), _item(1, reference="PAY-0"))
        )

        assert assert_problem(response, 400, "validation_error") == refusal

    @pytest.mark.parametrize(
        ("status", "code", "headers"),
        [
            (401, "invalid_api_key", {}),
            (413, "payload_too_large", {}),
            (422, "idempotency_key_reused", {}),
            (503, "database_unavailable", {"Retry-After": "5"}),
        ],
    )
    def test_accountings_judgement_passes_through(
        self, partner_api, upstream, partner, *, status, code, headers
    ):
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _create_path(partner),
            status=status,
            json=body,
            headers=headers,
        )

        response = _post(partner_api, _batch())

        assert assert_problem(response, status, code) == body
        for name, value in headers.items():
            assert response[name] == value
        assert "Location" not in response

    @pytest.mark.parametrize("batch_id", [None, "../../admin"])
    def test_an_answer_without_a_batch_id_is_a_bad_gateway(
        self, partner_api, upstream, partner, batch_id
    ):
        document = factories.CreditBatchPayloadFactory(id=batch_id)
        if batch_id is None:
            del document["id"]
        upstream.add(
            Service.ACCOUNTING,
            "POST",
            _create_path(partner),
            status=202,
            json=document,
        )

        assert_problem(_post(partner_api, _batch()), 502, "bad_gateway")

    def test_a_users_token_cannot_send_a_batch(self, auth_api, upstream):
        response = _post(auth_api, _batch())

        assert_problem(response, 401, "not_authenticated")
        assert upstream.sent == []

    def test_a_key_that_may_not_send_credits_is_forbidden(
        self, api, upstream, partner_keys
    ):
        raw_key, _ = partner_keys.issue(scopes=[])
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")

        response = _post(api, _batch())

        body = assert_problem(response, 403, "permission_denied")
        assert "`credits:write`" in body["detail"]
        _only_verified(upstream)


class TestDetail:
    def test_a_batch_is_read_back_in_the_partners_name(
        self, partner_api, upstream, partner
    ):
        document = factories.CreditBatchPayloadFactory(
            status="failed",
            items={"total": 3, "applied": 1, "refused": 0, "pending": 2},
            error={"code": "internal_error", "detail": "It stopped 10 times."},
            completed_at="2026-11-21T10:00:01.000000Z",
        )
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _detail_path(partner, document["id"]),
            json=document,
        )

        response = partner_api.get(f"{URL}/{document['id']}")

        assert response.status_code == 200
        assert response.json() == document

    def test_another_partners_batch_is_not_found(
        self, partner_api, upstream, partner
    ):
        # Accounting looks the batch up among this partner's only.
        batch_id = str(uuid.uuid4())
        body = factories.problem(404, "batch_not_found", "No credit batch.")
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _detail_path(partner, batch_id),
            status=404,
            json=body,
        )

        response = partner_api.get(f"{URL}/{batch_id}")

        assert assert_problem(response, 404, "batch_not_found") == body

    @pytest.mark.parametrize("suffix", ["", "/items"])
    def test_an_id_that_is_not_a_uuid_is_not_found(
        self, partner_api, upstream, partner, suffix
    ):
        response = partner_api.get(f"{URL}/nope{suffix}")

        assert_problem(response, 404, "not_found")
        assert upstream.sent == []


class TestItems:
    def _page(self, upstream, partner, batch_id, *, next_cursor=None):
        page = {
            "results": [
                factories.CreditBatchItemPayloadFactory(),
                factories.CreditBatchItemPayloadFactory(
                    status="refused",
                    transaction_id=None,
                    error={
                        "code": "duplicate_reference",
                        "detail": "This reference was credited already.",
                    },
                ),
            ],
            "next_cursor": next_cursor,
        }
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _detail_path(partner, batch_id) + "/items",
            json=page,
        )
        return page

    def test_a_page_of_items_links_to_the_next(
        self, partner_api, upstream, partner
    ):
        batch_id = str(uuid.uuid4())
        page = self._page(upstream, partner, batch_id, next_cursor="41")

        response = partner_api.get(
            f"{URL}/{batch_id}/items?status=refused&limit=2&cursor=39"
        )

        assert response.status_code == 200, response.content
        assert response.json() == {
            "results": page["results"],
            "next": (
                f"http://testserver{URL}/{batch_id}/items"
                "?status=refused&limit=2&cursor=41"
            ),
        }
        assert dict(upstream.last.request.url.params) == {
            "status": "refused",
            "limit": "2",
            "cursor": "39",
        }

    def test_the_last_page_has_no_next_and_pages_are_full_by_default(
        self, partner_api, upstream, partner
    ):
        batch_id = str(uuid.uuid4())
        page = self._page(upstream, partner, batch_id)

        response = partner_api.get(f"{URL}/{batch_id}/items")

        assert response.json() == {"results": page["results"], "next": None}
        assert dict(upstream.last.request.url.params) == {"limit": "500"}

    @pytest.mark.parametrize(
        ("query", "member"),
        [
            ("status=lost", "status"),
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=ten", "limit"),
            ("cursor=" + "c" * (bounds.CURSOR_MAX_LENGTH + 1), "cursor"),
            ("order=asc", "order"),
        ],
    )
    def test_a_bad_query_is_refused_before_accounting(
        self, partner_api, upstream, partner, query, member
    ):
        response = partner_api.get(f"{URL}/{uuid.uuid4()}/items?{query}")

        problem = assert_problem(response, 400, "validation_error")
        assert member in problem["errors"]
        _only_verified(upstream)

    @pytest.mark.parametrize(
        ("status", "code"),
        [(400, "invalid_cursor"), (404, "batch_not_found")],
    )
    def test_accountings_judgement_passes_through(
        self, partner_api, upstream, partner, status, code
    ):
        batch_id = str(uuid.uuid4())
        body = factories.problem(status, code, "From accounting.")
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _detail_path(partner, batch_id) + "/items",
            status=status,
            json=body,
        )

        response = partner_api.get(f"{URL}/{batch_id}/items?cursor=x")

        assert assert_problem(response, status, code) == body

    def test_a_page_that_is_not_an_object_is_a_bad_gateway(
        self, partner_api, upstream, partner
    ):
        batch_id = str(uuid.uuid4())
        upstream.add(
            Service.ACCOUNTING,
            "GET",
            _detail_path(partner, batch_id) + "/items",
            json=["not", "a", "page"],
        )

        response = partner_api.get(f"{URL}/{batch_id}/items")

        assert_problem(response, 502, "bad_gateway")
