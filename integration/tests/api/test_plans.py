"""Savings plans through the gateway."""

import uuid

import pytest

from config.testing import assert_problem
from integration.clients import Service
from integration.tests import factories


def test_lists_the_active_plans(auth_api, upstream, user_id):
    plans = [
        factories.PlanPayloadFactory(),
        factories.PlanPayloadFactory(
            name="Flat $5", kind="flat_amount", value="5.00"
        ),
    ]
    upstream.add(
        Service.ACCOUNTING, "GET", "/internal/v1/plans", json={"results": plans}
    )

    response = auth_api.get("/api/v1/plans")

    assert response.status_code == 200
    assert response.json() == {"results": plans, "next": None}
    # Accounting refuses a deleted or suspended caller.
    assert dict(upstream.last.request.url.params) == {"holder": user_id}


def test_plans_need_a_token(api, upstream):
    response = api.get("/api/v1/plans")
    assert response.status_code == 401
    assert upstream.sent == []


def test_reads_the_callers_plan(auth_api, upstream, user_id):
    selection = {
        "plan": factories.PlanPayloadFactory(),
        "selected_at": "2026-11-21T10:00:00Z",
    }
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        f"/internal/v1/holders/{user_id}/plan",
        json=selection,
    )
    response = auth_api.get("/api/v1/me/plan")
    assert response.status_code == 200
    assert response.json() == selection


def test_no_plan_is_null(auth_api, upstream, user_id):
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        f"/internal/v1/holders/{user_id}/plan",
        json={"plan": None, "selected_at": None},
    )
    assert auth_api.get("/api/v1/me/plan").json() == {
        "plan": None,
        "selected_at": None,
    }


def test_selects_a_plan(auth_api, upstream, user_id):
    plan = factories.PlanPayloadFactory()
    answer = {"plan": plan, "selected_at": "2026-11-21T10:00:00Z"}
    upstream.add(
        Service.ACCOUNTING,
        "PUT",
        f"/internal/v1/holders/{user_id}/plan",
        json=answer,
    )

    response = auth_api.put("/api/v1/me/plan", {"plan_id": plan["id"]})

    assert response.status_code == 200
    assert response.json() == answer
    assert upstream.last.json == {"plan_id": plan["id"]}


def test_clears_the_plan(auth_api, upstream, user_id):
    upstream.add(
        Service.ACCOUNTING,
        "PUT",
        f"/internal/v1/holders/{user_id}/plan",
        json={"plan": None, "selected_at": None},
    )
    response = auth_api.put("/api/v1/me/plan", {"plan_id": None})
    assert response.status_code == 200
    assert upstream.last.json == {"plan_id": None}


def test_an_unknown_plan_passes_through(auth_api, upstream, user_id):
    upstream.add(
        Service.ACCOUNTING,
        "PUT",
        f"/internal/v1/holders/{user_id}/plan",
        status=404,
        json=factories.problem(404, "plan_not_found"),
    )
    response = auth_api.put("/api/v1/me/plan", {"plan_id": str(uuid.uuid4())})
    assert response.status_code == 404
    assert response.json()["code"] == "plan_not_found"


def test_a_malformed_plan_id_is_refused_here(auth_api, upstream):
    for body in ({"plan_id": "gold"}, {}):
        response = auth_api.put("/api/v1/me/plan", body)
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
    assert upstream.sent == []


def test_account_not_ready_keeps_retry_after(auth_api, upstream, user_id):
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        f"/internal/v1/holders/{user_id}/plan",
        status=409,
        json=factories.problem(409, "account_not_ready"),
        headers={"Retry-After": "1"},
    )
    response = auth_api.get("/api/v1/me/plan")
    assert response.status_code == 409
    assert response.json()["code"] == "account_not_ready"
    assert response["Retry-After"] == "1"


def test_a_plan_snapshot_from_before_holding_periods_holds_nothing(
    auth_api, upstream
):
    older = factories.PlanPayloadFactory(savings_hold_days=30)
    snapshot = factories.PlanPayloadFactory()
    del snapshot["savings_hold_days"]
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        "/internal/v1/plans",
        json={"results": [older, snapshot]},
    )

    results = auth_api.get("/api/v1/plans").json()["results"]

    assert [p["savings_hold_days"] for p in results] == [30, 0]


@pytest.mark.parametrize(
    ("public", "internal"),
    [
        ("/api/v1/plans", "/internal/v1/plans"),
        ("/api/v1/rates", "/internal/v1/rates"),
        ("/api/v1/categories", "/internal/v1/categories"),
    ],
)
def test_a_deleted_users_token_is_refused_on_the_catalog_too(
    auth_api, upstream, public, internal
):
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        internal,
        status=401,
        json=factories.problem(401, "user_inactive"),
    )

    assert_problem(auth_api.get(public), 401, "user_inactive")
