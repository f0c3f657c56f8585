import uuid

import pytest
from django.urls import reverse

from accounting import models, services
from accounting.tests import factories
from accounting.tests.conftest import ledger_state
from config.testing import assert_problem

pytestmark = pytest.mark.django_db


def test_plans_list(api_client):
    plan = factories.PlanFactory(name="Save 10%")
    factories.PlanFactory(name="Hidden", is_active=False)

    response = api_client.get("/internal/v1/plans")

    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": str(plan.id),
                "name": "Save 10%",
                "kind": "percentage",
                "value": "10.00",
                "currency": "USD",
                "description": plan.description,
                "savings_hold_days": 0,
            }
        ]
    }


def test_holder_plan_get_put_and_clear(api_client, holder):
    plan = factories.PlanFactory(flat=True)
    path = f"/internal/v1/holders/{holder.pk}/plan"

    assert api_client.get(path).json() == {"plan": None, "selected_at": None}
    put = api_client.put(path, {"plan_id": str(plan.id)}, format="json")
    assert put.status_code == 200
    assert put.json()["plan"]["value"] == "5.00"
    assert put.json()["selected_at"].endswith("Z")
    assert api_client.get(path).json() == put.json()
    cleared = api_client.put(path, {"plan_id": None}, format="json")
    assert cleared.json() == {"plan": None, "selected_at": None}


@pytest.mark.parametrize("plan_id", ["nope", str(uuid.uuid4()), "inactive"])
def test_holder_plan_unknown_or_inactive(api_client, funded_holder, plan_id):
    if plan_id == "inactive":
        plan_id = str(factories.PlanFactory(is_active=False).id)
    before = ledger_state()

    response = api_client.put(
        f"/internal/v1/holders/{funded_holder.pk}/plan",
        {"plan_id": plan_id},
        format="json",
    )

    assert_problem(response, 404, "plan_not_found")
    assert ledger_state() == before


def test_holder_plan_id_is_a_string(api_client, funded_holder):
    before = ledger_state()

    response = api_client.put(
        f"/internal/v1/holders/{funded_holder.pk}/plan",
        {"plan_id": 5},
        format="json",
    )

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {"plan_id": ["Must be a string."]}
    assert ledger_state() == before
    funded_holder.refresh_from_db()
    assert funded_holder.plan is not None


@pytest.mark.parametrize("body", [{}, {"plan_id": ""}, {"plan_id": ["x"]}])
def test_holder_plan_requires_plan_id(api_client, funded_holder, body):
    before = ledger_state()

    response = api_client.put(
        f"/internal/v1/holders/{funded_holder.pk}/plan", body, format="json"
    )

    assert_problem(response, 400, "validation_error")
    assert ledger_state() == before


def test_accounts_list_and_open(api_client, holder):
    path = f"/internal/v1/holders/{holder.pk}/accounts"
    services.credit_apply(holder_id=holder.pk, amount=250, currency="USD")

    listed = api_client.get(path).json()["results"]
    opened = api_client.post(path, {"currency": "eur"}, format="json")
    bad = api_client.post(path, {"currency": "XYZ"}, format="json")

    assert [(a["kind"], a["currency"], a["balance"]) for a in listed] == [
        ("main", "USD", "2.50"),
        ("savings", "USD", "0.00"),
    ]
    assert opened.status_code == 201
    assert [(a["kind"], a["currency"]) for a in opened.json()["results"]] == [
        ("main", "EUR"),
        ("savings", "EUR"),
    ]
    assert bad.json()["code"] == "unsupported_currency"
    assert len(api_client.get(path).json()["results"]) == 4


def test_accounts_open_of_a_closed_wallet_is_refused(api_client, holder):
    path = f"/internal/v1/holders/{holder.pk}/accounts"
    services.account_close(account=holder.accounts.get(kind="main"))
    before = ledger_state()

    response = api_client.post(path, {"currency": "USD"}, format="json")

    assert_problem(response, 422, "account_closed")
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"currency": "XYZ"}, "unsupported_currency"),
        ({"currency": ""}, "unsupported_currency"),
        ({"currency": None}, "validation_error"),
        ({}, "validation_error"),
    ],
)
def test_accounts_open_bad_currency_changes_nothing(
    api_client, funded_holder, body, code
):
    before = ledger_state()

    response = api_client.post(
        f"/internal/v1/holders/{funded_holder.pk}/accounts", body, format="json"
    )

    assert_problem(response, 400, code)
    assert ledger_state() == before


def test_balance(api_client, holder):
    services.plan_assign(holder=holder, plan=factories.PlanFactory())
    txn = services.credit_apply(
        holder_id=holder.pk, amount=1000, currency="USD"
    ).transaction
    path = f"/internal/v1/holders/{holder.pk}/balance"

    now = api_client.get(path).json()
    before = api_client.get(path, {"at": "2000-01-01"}).json()
    at = txn.occurred_at.isoformat().replace("+00:00", "Z")
    exact = api_client.get(path, {"at": at, "currency": "USD"}).json()

    assert now["currency"] == "USD"
    assert (now["main"], now["savings"], now["total"]) == (
        "9.00",
        "1.00",
        "10.00",
    )
    assert now["at"].endswith("Z")
    assert before == {
        "at": "2000-01-01T00:00:00Z",
        "currency": "USD",
        "main": "0.00",
        "savings": "0.00",
        "total": "0.00",
    }
    assert exact["total"] == "10.00"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"at": "yesterday"}, "invalid_datetime"),
        ({"at": "1767261600"}, "invalid_datetime"),
        ({"at": "2026-01-01T10:00:00"}, "invalid_datetime"),
        ({"at": "2026-01-01T10:00"}, "invalid_datetime"),
        ({"at": "2026-01-01 10:00:00Z"}, "invalid_datetime"),
        ({"at": "2026-02-30"}, "invalid_datetime"),
        ({"at": "2026-01-01T25:00:00Z"}, "invalid_datetime"),
        ({"at": "2026-01-01T10:00:00+25:00"}, "invalid_datetime"),
        ({"currency": "ABC"}, "unsupported_currency"),
    ],
)
def test_balance_bad_query(api_client, funded_holder, query, code):
    before = ledger_state()

    response = api_client.get(
        f"/internal/v1/holders/{funded_holder.pk}/balance", query
    )

    assert_problem(response, 400, code)
    assert ledger_state() == before


def test_transactions_list_and_detail(api_client, holder):
    made = [
        services.credit_apply(
            holder_id=holder.pk, amount=amount, currency="USD"
        ).body["transaction"]
        for amount in (100, 200, 300)
    ]
    path = f"/internal/v1/holders/{holder.pk}/transactions"

    first = api_client.get(path, {"limit": 2}).json()
    second = api_client.get(
        path, {"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    ascending = api_client.get(path, {"order": "asc"}).json()
    window = api_client.get(
        path,
        {"from": made[1]["occurred_at"], "to": made[2]["occurred_at"]},
    ).json()
    whole_day = api_client.get(
        path,
        {
            "from": made[0]["occurred_at"][:10],
            "to": made[0]["occurred_at"][:10],
        },
    ).json()
    detail = api_client.get(f"{path}/{made[0]['id']}")

    assert first["results"] == made[::-1][:2]
    assert second == {"results": made[:1], "next_cursor": None}
    assert ascending["results"] == made
    assert window["results"] == made[1:][::-1]
    assert len(whole_day["results"]) == 3
    assert detail.status_code == 200
    assert detail.json() == made[0]


def test_a_reversal_and_its_original_point_at_each_other(
    api_client, funded_holder
):
    path = f"/internal/v1/holders/{funded_holder.pk}/transactions"
    [credit] = api_client.get(path).json()["results"]
    original = models.Transaction.objects.get(pk=credit["id"])
    [reversal] = services.transaction_reverse(
        original=original, reason="Twice", staff="staff@example.com"
    ).headers

    listed = api_client.get(path).json()["results"]
    only = api_client.get(path, {"kind": "reversal"}).json()["results"]
    detail = api_client.get(f"{path}/{reversal.id}").json()

    assert [t["kind"] for t in listed] == ["reversal", "credit"]
    assert listed[1] == {**credit, "reversed_by": str(reversal.id)}
    assert credit["reversed_by"] is None
    assert listed[0] == only[0] == detail
    assert detail["reverses"] == credit["id"]
    assert detail["reversed_by"] is None
    assert (detail["amount"], detail["currency"]) == ("100.00", "USD")
    assert detail["splits"] == [
        {"account_kind": "main", "currency": "USD", "amount": "-90.00"},
        {"account_kind": "savings", "currency": "USD", "amount": "-10.00"},
    ]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "invalid_range"),
        (
            {"from": "2026-01-01T10:00:01Z", "to": "2026-01-01T10:00:00Z"},
            "invalid_range",
        ),
        (
            {"from": "2026-01-01T10:00:00Z", "to": "2026-01-01T10:30:00+01:00"},
            "invalid_range",
        ),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01"}, "invalid_range"),
        ({"from": "soon"}, "invalid_datetime"),
        ({"to": "later"}, "invalid_datetime"),
        ({"from": "2026-01-01T10:00:00"}, "invalid_datetime"),
        ({"to": "2026-01-01T10:00:00"}, "invalid_datetime"),
        ({"from": "2026-13-01"}, "invalid_datetime"),
        ({"to": "2026-02-30T00:00:00Z"}, "invalid_datetime"),
        ({"cursor": "garbage"}, "invalid_cursor"),
        ({"limit": 501}, "validation_error"),
        ({"limit": 0}, "validation_error"),
        ({"order": "sideways"}, "validation_error"),
        ({"kind": "gift"}, "validation_error"),
        ({"currency": "usd!"}, "unsupported_currency"),
    ],
)
def test_transactions_bad_query(api_client, funded_holder, query, code):
    before = ledger_state()

    response = api_client.get(
        f"/internal/v1/holders/{funded_holder.pk}/transactions", query
    )

    assert_problem(response, 400, code)
    assert ledger_state() == before


@pytest.mark.parametrize("asked", ["the other's", "not-a-uuid"])
def test_another_holders_transaction_is_not_found(api_client, holder, asked):
    txn = services.credit_apply(
        holder_id=holder.pk, amount=100, currency="USD"
    ).transaction
    other = factories.HolderFactory()
    services.credit_apply(holder_id=other.pk, amount=200, currency="USD")
    transaction_id = txn.id if asked == "the other's" else asked
    before = ledger_state()

    response = api_client.get(
        f"/internal/v1/holders/{other.pk}/transactions/{transaction_id}"
    )

    assert_problem(response, 404, "transaction_not_found")
    assert ledger_state() == before


@pytest.mark.parametrize(
    "suffix", ["plan", "accounts", "balance", "transactions"]
)
def test_holder_state_is_checked_everywhere(api_client, holder, suffix):
    unknown = api_client.get(f"/internal/v1/holders/{uuid.uuid4()}/{suffix}")
    holder.closed_at = holder.created_at
    holder.save()
    closed = api_client.get(f"/internal/v1/holders/{holder.pk}/{suffix}")

    assert (unknown.status_code, unknown.json()["code"]) == (
        409,
        "account_not_ready",
    )
    assert unknown.headers["Retry-After"] == "1"
    assert (closed.status_code, closed.json()["code"]) == (
        401,
        "user_inactive",
    )


@pytest.mark.parametrize("path", ["plans", "rates", "categories"])
def test_the_catalog_refuses_a_closed_caller_and_admits_a_new_one(
    api_client, holder, path
):
    url = f"/internal/v1/{path}"
    new_user = api_client.get(url, {"holder": str(uuid.uuid4())})
    open_holder = api_client.get(url, {"holder": str(holder.pk)})
    holder.closed_at = holder.created_at
    holder.save()
    closed = api_client.get(url, {"holder": str(holder.pk)})
    anonymous = api_client.get(url)
    malformed = api_client.get(url, {"holder": "42"})

    assert new_user.status_code == open_holder.status_code == 200
    assert anonymous.status_code == 200
    assert_problem(closed, 401, "user_inactive")
    assert_problem(malformed, 400, "validation_error")


def test_internal_routes_need_the_service_credential(client, holder):
    for path in (
        "/internal/v1/plans",
        f"/internal/v1/holders/{holder.pk}/accounts",
        reverse("schema"),
    ):
        missing = client.get(path)
        wrong = client.get(path, HTTP_AUTHORIZATION="Service wrong")
        assert (missing.status_code, missing.json()["code"]) == (
            401,
            "not_authenticated",
        )
        assert (wrong.status_code, wrong.json()["code"]) == (
            401,
            "invalid_token",
        )


def test_unknown_urls_and_methods_are_problems(api_client):
    assert api_client.get("/nowhere").json()["code"] == "not_found"
    response = api_client.delete("/internal/v1/plans")
    assert response.json()["code"] == "method_not_allowed"
