"""The goals endpoints: list, create, read, change, delete."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from accounting import models, services
from accounting.api import goals as goal_apis
from accounting.tests import factories
from accounting.tests.api.test_operations import assert_same_shape
from config.testing import assert_problem

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2030, 6, 15, 12, tzinfo=dt.UTC)
TODAY = NOW.date().isoformat()


def goals_url(holder_id):
    return f"/internal/v1/holders/{holder_id}/goals"


def goal_url(holder_id, goal_id):
    return f"{goals_url(holder_id)}/{goal_id}"


@pytest.fixture
def saver(funded_holder, clock):
    """The funded holder (10.00 USD saved), on a clock frozen at NOW."""
    clock.now = NOW
    return funded_holder


def goals_state():
    return list(
        models.Goal.objects.order_by("pk").values_list(
            "pk",
            "name",
            "target_amount",
            "currency",
            "target_date",
            "updated_at",
        )
    )


def test_create_then_read_list_change_and_delete(api_client, saver, clock):
    created = api_client.post(
        goals_url(saver.pk),
        {"name": " Bike ", "target_amount": "40", "target_date": TODAY},
        format="json",
    )

    assert created.status_code == 201, created.content
    body = dict(created.json())
    goal_id = body.pop("id")
    assert uuid.UUID(goal_id)
    assert body == {
        "name": "Bike",
        "target_amount": "40.00",
        "currency": "USD",
        "saved": "10.00",
        "progress_percent": "25.00",
        "target_date": TODAY,
        # A day to save 40.00, a quarter of it saved as it starts.
        "on_track": True,
        "created_at": "2030-06-15T12:00:00Z",
        "updated_at": "2030-06-15T12:00:00Z",
    }
    one = api_client.get(goal_url(saver.pk, goal_id))
    assert one.status_code == 200
    assert one.json() == {"id": goal_id, **body}

    clock.advance(hours=6)  # half the span left: 25% saved is behind
    listed = api_client.get(goals_url(saver.pk))
    assert listed.status_code == 200
    assert [(g["id"], g["on_track"]) for g in listed.json()["results"]] == [
        (goal_id, False)
    ]

    changed = api_client.patch(
        goal_url(saver.pk, goal_id),
        {"target_amount": "1000", "currency": "JPY", "target_date": None},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert {
        k: changed.json()[k]
        for k in ("target_amount", "currency", "saved", "target_date")
    } == {
        "target_amount": "1000",
        "currency": "JPY",
        "saved": "0",  # no JPY savings
        "target_date": None,
    }
    assert changed.json()["on_track"] is None
    assert changed.json()["updated_at"] == "2030-06-15T18:00:00Z"

    deleted = api_client.delete(goal_url(saver.pk, goal_id))
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert_problem(
        api_client.get(goal_url(saver.pk, goal_id)), 404, "goal_not_found"
    )
    assert api_client.get(goals_url(saver.pk)).json() == {"results": []}


def test_a_new_currency_keeps_the_target_value(api_client, saver):
    goal = services.goal_create(
        holder=saver, name="Trip", target_amount=50_000, currency="USD"
    )

    response = api_client.patch(
        goal_url(saver.pk, goal.pk), {"currency": "eur"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["target_amount"], response.json()["currency"]) == (
        "500.00",
        "EUR",
    )


def test_target_amounts_are_read_in_the_new_currency(api_client, saver):
    goal = services.goal_create(
        holder=saver, name="Trip", target_amount=50_000, currency="USD"
    )
    before = goals_state()

    # 10.50 is no JPY amount, but it is one in the goal's USD.
    refused = api_client.patch(
        goal_url(saver.pk, goal.pk),
        {"currency": "JPY", "target_amount": "10.50"},
        format="json",
    )
    assert_problem(refused, 400, "invalid_amount")
    assert goals_state() == before
    accepted = api_client.patch(
        goal_url(saver.pk, goal.pk), {"target_amount": "10.50"}, format="json"
    )
    assert accepted.json()["target_amount"] == "10.50"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"target_amount": "5"}, "validation_error"),
        ({"name": "", "target_amount": "5"}, "validation_error"),
        ({"name": "   ", "target_amount": "5"}, "validation_error"),
        ({"name": None, "target_amount": "5"}, "validation_error"),
        ({"name": "x" * 101, "target_amount": "5"}, "validation_error"),
        ({"name": "Bike"}, "validation_error"),
        ({"name": "Bike", "target_amount": "0"}, "invalid_amount"),
        ({"name": "Bike", "target_amount": "-5"}, "invalid_amount"),
        ({"name": "Bike", "target_amount": "1.001"}, "invalid_amount"),
        ({"name": "Bike", "target_amount": "1000000000.01"}, "invalid_amount"),
        ({"name": "Bike", "target_amount": "abc"}, "invalid_amount"),
        (
            {"name": "Bike", "target_amount": "1.5", "currency": "JPY"},
            "invalid_amount",
        ),
        (
            {"name": "Bike", "target_amount": "5", "currency": "XXX"},
            "unsupported_currency",
        ),
        ({"name": "B", "target_amount": "5", "target_date": "2030-6-20"}, None),
        (
            {"name": "B", "target_amount": "5", "target_date": "2030-13-01"},
            None,
        ),
        (
            {"name": "B", "target_amount": "5", "target_date": "2030-02-30"},
            None,
        ),
        (
            {
                "name": "B",
                "target_amount": "5",
                "target_date": "2030-06-20T00:00:00Z",
            },
            None,
        ),
        ({"name": "B", "target_amount": "5", "target_date": 20300620}, None),
        # Yesterday (UTC): a goal's date is today or later.
        (
            {"name": "B", "target_amount": "5", "target_date": "2030-06-14"},
            None,
        ),
    ],
)
def test_bad_goals_are_refused(api_client, saver, body, code):
    response = api_client.post(goals_url(saver.pk), body, format="json")

    problem = assert_problem(response, 400, code or "validation_error")
    if code is None:
        assert list(problem["errors"]) == ["target_date"]
    assert not models.Goal.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": ""}, "validation_error"),
        ({"name": None}, "validation_error"),
        ({"target_amount": "0"}, "invalid_amount"),
        ({"target_amount": None}, "validation_error"),
        ({"currency": "XXX"}, "unsupported_currency"),
        ({"currency": "JPY"}, "invalid_amount"),  # 12.34 USD: no JPY amount
        ({"target_date": "2030-06-14"}, "validation_error"),
        ({"target_date": "June"}, "validation_error"),
    ],
)
def test_bad_changes_change_nothing(api_client, saver, body, code):
    goal = services.goal_create(
        holder=saver, name="Bike", target_amount=1_234, currency="USD"
    )
    before = goals_state()

    response = api_client.patch(
        goal_url(saver.pk, goal.pk), body, format="json"
    )

    assert_problem(response, 400, code)
    assert goals_state() == before


def test_another_holders_goal_is_not_found(api_client, saver):
    other = factories.HolderFactory()
    theirs = services.goal_create(
        holder=other, name="Theirs", target_amount=100, currency="USD"
    )
    before = goals_state()

    answers = [
        api_client.get(goal_url(saver.pk, theirs.pk)),
        api_client.patch(
            goal_url(saver.pk, theirs.pk), {"name": "Mine"}, format="json"
        ),
        api_client.delete(goal_url(saver.pk, theirs.pk)),
    ]

    for response in answers:
        assert_problem(response, 404, "goal_not_found")
    assert goals_state() == before
    assert api_client.get(goals_url(saver.pk)).json() == {"results": []}


@pytest.mark.parametrize("goal_id", ["nope", str(uuid.uuid4()), "1"])
def test_unknown_or_malformed_ids(api_client, saver, goal_id):
    for method in ("get", "patch", "delete"):
        response = getattr(api_client, method)(
            goal_url(saver.pk, goal_id), {}, format="json"
        )
        assert_problem(response, 404, "goal_not_found")


def test_unknown_and_closed_holders(api_client, holder):
    goal = services.goal_create(
        holder=holder, name="Bike", target_amount=100, currency="USD"
    )
    unknown = uuid.uuid4()
    body = {"name": "Bike", "target_amount": "1"}

    assert_problem(api_client.get(goals_url(unknown)), 409, "account_not_ready")
    assert_problem(
        api_client.post(goals_url(unknown), body, format="json"),
        409,
        "account_not_ready",
    )
    models.Holder.objects.filter(pk=holder.pk).update(closed_at=timezone.now())
    before = goals_state()
    for response in (
        api_client.get(goals_url(holder.pk)),
        api_client.post(goals_url(holder.pk), body, format="json"),
        api_client.get(goal_url(holder.pk, goal.pk)),
        api_client.patch(goal_url(holder.pk, goal.pk), body, format="json"),
        api_client.delete(goal_url(holder.pk, goal.pk)),
    ):
        assert_problem(response, 401, "user_inactive")
    assert goals_state() == before


def test_wire_documents_match_the_documented_serializers(api_client, saver):
    created = api_client.post(
        goals_url(saver.pk),
        {"name": "Bike", "target_amount": "40", "target_date": TODAY},
        format="json",
    ).json()
    listed = api_client.get(goals_url(saver.pk)).json()

    for serializer_class, document in (
        (goal_apis.GoalSerializer, created),
        (goal_apis.GoalListApi.OutputSerializer, listed),
    ):
        serializer = serializer_class(data=document)
        assert serializer.is_valid(), (serializer.errors, document)
        assert_same_shape(serializer_class(), document)
    assert created["target_date"] is not None
    assert created["on_track"] is not None
