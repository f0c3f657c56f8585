"""GET /holders/{user_id}/summary: a customer at a glance, for staff."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounting import services
from accounting.api import holders
from accounting.tests.api.test_operations import assert_same_shape
from accounting.tests.conftest import ledger_state
from config.service_auth import service_headers
from config.testing import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def users_client(settings) -> APIClient:
    """A client with the users service's own credential."""
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=service_headers(
            settings.INTERNAL_API_READERS["users"]
        )["Authorization"]
    )
    return client


def _path(user_id) -> str:
    return f"/internal/v1/holders/{user_id}/summary"


def test_a_holder_its_wallets_and_latest_transactions(
    users_client, funded_holder, clock
):
    services.account_open(holder=funded_holder, currency="EUR")
    for cents in range(1, 13):
        clock.advance(seconds=1)
        services.withdrawal_apply(
            holder_id=funded_holder.pk, amount=cents, currency="USD"
        )

    response = users_client.get(_path(funded_holder.pk))

    assert response.status_code == 200
    body = response.json()
    holder = body["holder"]
    assert holder["user_id"] == str(funded_holder.pk)
    assert holder["email"] == funded_holder.email
    assert holder["plan"]["name"] == funded_holder.plan.name
    assert holder["closed_at"] is None
    assert [
        (a["currency"], a["kind"], a["balance"]) for a in body["accounts"]
    ] == [
        ("EUR", "main", "0.00"),
        ("EUR", "savings", "0.00"),
        # 90.00 after the credit, less 0.01 + 0.02 + ... + 0.12.
        ("USD", "main", "89.22"),
        ("USD", "savings", "10.00"),
    ]
    # The ten latest, newest first: the credit and two withdrawals are out.
    assert [t["amount"] for t in body["transactions"]] == [
        f"0.{cents:02d}" for cents in range(12, 2, -1)
    ]
    assert_same_shape(holders.HolderSummaryApi.OutputSerializer(), body)
    serializer = holders.HolderSummaryApi.OutputSerializer(data=body)
    assert serializer.is_valid(), serializer.errors


def test_it_costs_the_same_queries_whatever_the_history(
    users_client, funded_holder
):
    with CaptureQueriesContext(connection) as short:
        users_client.get(_path(funded_holder.pk))
    for _ in range(20):
        services.withdrawal_apply(
            holder_id=funded_holder.pk, amount=1, currency="USD"
        )

    with CaptureQueriesContext(connection) as long:
        users_client.get(_path(funded_holder.pk))

    assert len(long) == len(short) == 4


def test_the_number_of_transactions_is_asked_for(users_client, funded_holder):
    none = users_client.get(_path(funded_holder.pk), {"transactions": 0})
    one = users_client.get(_path(funded_holder.pk), {"transactions": 1})

    assert none.json()["transactions"] == []
    assert [t["kind"] for t in one.json()["transactions"]] == ["credit"]


@pytest.mark.parametrize("count", ["-1", "51", "ten"])
def test_a_bad_number_is_refused(users_client, holder, count):
    response = users_client.get(_path(holder.pk), {"transactions": count})

    assert_problem(response, 400, "validation_error")


def test_a_closed_holder_is_shown_to_staff(users_client, holder, api_client):
    holder.closed_at = timezone.now()
    holder.save()

    response = users_client.get(_path(holder.pk))

    assert response.status_code == 200
    assert response.json()["holder"]["closed_at"].endswith("Z")
    # The holder's own reads refuse it, as before.
    assert_problem(
        api_client.get(f"/internal/v1/holders/{holder.pk}/accounts"),
        401,
        "user_inactive",
    )


def test_a_user_not_known_yet_is_not_ready(users_client):
    response = users_client.get(_path(uuid.uuid4()))

    assert_problem(response, 409, "account_not_ready")
    assert response["Retry-After"] == "1"


def test_the_gateway_may_read_it_too(api_client, holder):
    response = api_client.get(_path(holder.pk))

    assert response.status_code == 200
    assert response.json()["holder"]["plan"] is None


def test_the_users_credential_opens_nothing_else(users_client, holder):
    """Read-only and this one operation: a leak of it moves no money."""
    before = ledger_state()

    credit = users_client.post(
        f"/internal/v1/holders/{holder.pk}/credits",
        {"amount": "1.00"},
        format="json",
    )
    accounts = users_client.get(f"/internal/v1/holders/{holder.pk}/accounts")
    schema = users_client.get("/internal/v1/schema/")

    for response in (credit, accounts, schema):
        assert_problem(response, 403, "permission_denied")
    assert ledger_state() == before


def test_no_credential_or_a_wrong_one_is_refused(holder):
    client = APIClient()

    assert_problem(client.get(_path(holder.pk)), 401, "not_authenticated")
    client.credentials(HTTP_AUTHORIZATION="Service wrong")
    assert_problem(client.get(_path(holder.pk)), 401, "invalid_token")
