"""The savings groups endpoints: groups, members and contributions."""

import datetime as dt
import decimal
import uuid

import pytest
from django.utils import timezone

from accounting import models, services
from accounting.api import groups as apis
from accounting.api.outputs import TransactionSerializer
from accounting.tests import factories
from accounting.tests.api.test_operations import assert_same_shape
from accounting.tests.conftest import ledger_state
from config.testing import assert_problem, documented_problems

pytestmark = pytest.mark.django_db


def groups_url(user_id, *rest):
    return "/".join([f"/internal/v1/holders/{user_id}/groups", *map(str, rest)])


def saver(email, first_name="Ada"):
    """A holder with 50.00 USD saved (a 50% plan, 100.00 credited)."""
    holder = factories.HolderFactory(email=email, first_name=first_name)
    services.plan_assign(
        holder=holder,
        plan=factories.PlanFactory(percentage=decimal.Decimal("50")),
    )
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    return holder


@pytest.fixture
def ana():
    return saver("ana@example.com", "Ana")


@pytest.fixture
def ben():
    return saver("ben@example.com", "Ben")


@pytest.fixture
def group(api_client, ana, ben):
    """Ana's group "Summer" (120.00 USD), Ben added: the API's answer."""
    created = api_client.post(
        groups_url(ana.pk),
        {"name": "Summer", "target_amount": "120.00"},
        format="json",
    ).json()
    api_client.post(
        groups_url(ana.pk, created["id"], "members"),
        {"email": "ben@example.com"},
        format="json",
    )
    return created


def contribute(api_client, holder, group_id, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api_client.post(
        groups_url(holder.pk, group_id, "contributions"),
        body,
        format="json",
        **headers,
    )


def instant(value):
    return value.isoformat().replace("+00:00", "Z")


# --- Creating and reading groups --------------------------------------------


def test_a_holder_creates_a_group_and_is_its_first_member(api_client, ana):
    target_date = timezone.now().date() + dt.timedelta(days=30)

    response = api_client.post(
        groups_url(ana.pk),
        {
            "name": "  Trip  ",
            "target_amount": "1500",
            "currency": "jpy",
            "target_date": target_date.isoformat(),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    group = models.SavingsGroup.objects.select_related("pot").get()
    [member] = group.members.all()
    assert body == {
        "id": str(group.id),
        "name": "Trip",
        "currency": "JPY",
        "target_amount": "1500",
        "target_date": target_date.isoformat(),
        "total": "0",
        "progress_percent": "0.00",
        "created_at": instant(group.created_at),
        "created_by": str(ana.pk),
        "members": [
            {
                "user_id": str(ana.pk),
                "email": "ana@example.com",
                "first_name": "Ana",
                "last_name": "Lovelace",
                "contributed": "0",
                "contributions": 0,
                "joined_at": instant(member.joined_at),
                "left_at": None,
            }
        ],
    }
    assert (group.pot.kind, group.pot.currency) == ("pot", "JPY")
    assert (group.target_amount, group.target_date) == (1_500, target_date)


def test_the_currency_defaults_and_the_date_may_be_today_or_none(
    api_client, ana
):
    today = timezone.now().date().isoformat()
    for target_date in (today, None):
        response = api_client.post(
            groups_url(ana.pk),
            {"name": "G", "target_amount": 1, "target_date": target_date},
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["currency"], body["target_amount"]) == ("USD", "1.00")
        assert body["target_date"] == target_date


YESTERDAY = "yesterday"  # replaced by the date when the test runs


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"target_amount": "10"}, "validation_error"),
        ({"name": "   ", "target_amount": "10"}, "validation_error"),
        ({"name": "x" * 101, "target_amount": "10"}, "validation_error"),
        ({"name": "G"}, "validation_error"),
        ({"name": "G", "target_amount": "0"}, "invalid_amount"),
        ({"name": "G", "target_amount": "-5"}, "invalid_amount"),
        ({"name": "G", "target_amount": "1.001"}, "invalid_amount"),
        ({"name": "G", "target_amount": "1000000000.01"}, "invalid_amount"),
        (
            {"name": "G", "target_amount": "1.5", "currency": "JPY"},
            "invalid_amount",
        ),
        (
            {"name": "G", "target_amount": "1", "currency": "XXX"},
            "unsupported_currency",
        ),
        (
            {"name": "G", "target_amount": "1", "target_date": "2030/01/01"},
            "validation_error",
        ),
        (
            {"name": "G", "target_amount": "1", "target_date": "2030-02-30"},
            "validation_error",
        ),
        (
            {"name": "G", "target_amount": "1", "target_date": "2030-1-5"},
            "validation_error",
        ),
        (
            {"name": "G", "target_amount": "1", "target_date": YESTERDAY},
            "validation_error",
        ),
    ],
)
def test_a_bad_group_is_refused_and_nothing_opens(api_client, ana, body, code):
    if body.get("target_date") == YESTERDAY:
        yesterday = timezone.now().date() - dt.timedelta(days=1)
        body = {**body, "target_date": yesterday.isoformat()}
    before = ledger_state()

    response = api_client.post(groups_url(ana.pk), body, format="json")

    assert_problem(response, 400, code)
    assert ledger_state() == before
    assert models.SavingsGroup.objects.count() == 0


def test_groups_list_and_detail(api_client, group, ana, ben):
    other = api_client.post(
        groups_url(ben.pk), {"name": "Ben's", "target_amount": "5"}
    ).json()

    ana_list = api_client.get(groups_url(ana.pk))
    ben_list = api_client.get(groups_url(ben.pk))
    detail = api_client.get(groups_url(ben.pk, group["id"]))

    assert ana_list.status_code == 200
    assert [g["id"] for g in ana_list.json()["results"]] == [group["id"]]
    assert [g["id"] for g in ben_list.json()["results"]] == [
        other["id"],
        group["id"],
    ]
    assert detail.status_code == 200
    assert detail.json() == ana_list.json()["results"][0]
    assert [m["email"] for m in detail.json()["members"]] == [
        "ana@example.com",
        "ben@example.com",
    ]


@pytest.mark.parametrize("group_id", ["another's", "unknown", "malformed"])
def test_a_group_is_not_found_for_anyone_but_its_members(
    api_client, group, group_id
):
    stranger = saver("eve@example.com")
    given = {
        "another's": group["id"],
        "unknown": uuid.uuid4(),
        "malformed": "not-a-group",
    }[group_id]

    response = api_client.get(groups_url(stranger.pk, given))

    assert_problem(response, 404, "group_not_found")


def test_an_unknown_or_closed_holder(api_client, group, ana):
    unknown = uuid.uuid4()
    assert_problem(
        api_client.get(groups_url(unknown)), 409, "account_not_ready"
    )
    models.Holder.objects.filter(pk=ana.pk).update(closed_at=timezone.now())
    for response in (
        api_client.get(groups_url(ana.pk)),
        api_client.get(groups_url(ana.pk, group["id"])),
        api_client.post(
            groups_url(ana.pk), {"name": "G", "target_amount": "1"}
        ),
        api_client.post(
            groups_url(ana.pk, group["id"], "members"),
            {"email": "ben@example.com"},
        ),
        contribute(api_client, ana, group["id"], {"amount": "1"}),
        api_client.delete(groups_url(ana.pk, group["id"], "membership")),
    ):
        assert_problem(response, 401, "user_inactive")
    assert not models.GroupMember.objects.former().exists()


# --- Members ----------------------------------------------------------------


def test_a_member_adds_another_by_email(api_client, group, ben):
    cai = factories.HolderFactory(email="cai@example.com", first_name="Cai")

    response = api_client.post(
        groups_url(ben.pk, group["id"], "members"),
        {"email": "CAI@Example.com"},
        format="json",
    )

    assert response.status_code == 201, response.content
    member = models.GroupMember.objects.get(holder=cai)
    assert response.json() == {
        "user_id": str(cai.pk),
        "email": "cai@example.com",
        "first_name": "Cai",
        "last_name": "Lovelace",
        "contributed": "0.00",
        "contributions": 0,
        "joined_at": instant(member.joined_at),
        "left_at": None,
    }
    assert member.added_by_id == ben.pk


@pytest.mark.parametrize(
    "case",
    [
        ("ben", "ana@example.com", 409, "already_member"),
        ("ben", "BEN@example.com", 409, "already_member"),
        ("ben", "nobody@example.com", 404, "user_not_found"),
        ("eve", "cai@example.com", 404, "group_not_found"),
        ("ben", "not-an-email", 400, "validation_error"),
        ("ben", "", 400, "validation_error"),
    ],
)
def test_refused_members(api_client, group, ben, case):
    who, email, status, code = case
    eve = factories.HolderFactory(email="eve@example.com")
    factories.HolderFactory(email="cai@example.com")
    caller = {"ben": ben, "eve": eve}[who]

    response = api_client.post(
        groups_url(caller.pk, group["id"], "members"),
        {"email": email},
        format="json",
    )

    assert_problem(response, status, code)
    assert models.GroupMember.objects.count() == 2


# --- Leaving ----------------------------------------------------------------


def leave(api_client, holder, group_id):
    return api_client.delete(groups_url(holder.pk, group_id, "membership"))


def test_a_member_leaves_and_the_group_is_gone_for_them(
    api_client, group, ana, ben
):
    contribute(api_client, ben, group["id"], {"amount": "20"})
    cai = factories.HolderFactory(email="cai@example.com")
    before = ledger_state()

    response = leave(api_client, ben, group["id"])

    assert response.status_code == 204
    assert response.content == b""
    assert ledger_state() == before
    assert api_client.get(groups_url(ben.pk)).json() == {"results": []}
    for refused in (
        api_client.get(groups_url(ben.pk, group["id"])),
        contribute(api_client, ben, group["id"], {"amount": "1"}, key="k"),
        api_client.post(
            groups_url(ben.pk, group["id"], "members"),
            {"email": cai.email},
            format="json",
        ),
        leave(api_client, ben, group["id"]),
    ):
        assert_problem(refused, 404, "group_not_found")
    assert ledger_state() == before
    assert not models.GroupMember.objects.filter(holder=cai).exists()
    # Ana still sees Ben on the leaderboard, with what he gave.
    shown = api_client.get(groups_url(ana.pk, group["id"])).json()
    left_at = models.GroupMember.objects.get(holder=ben).left_at
    assert shown["total"] == "20.00"
    assert [
        (m["email"], m["contributed"], m["left_at"]) for m in shown["members"]
    ] == [
        ("ben@example.com", "20.00", instant(left_at)),
        ("ana@example.com", "0.00", None),
    ]


@pytest.mark.parametrize("group_id", ["another's", "unknown", "malformed"])
def test_leaving_a_group_one_is_not_in_is_not_found(
    api_client, group, group_id
):
    stranger = saver("eve@example.com")
    given = {
        "another's": group["id"],
        "unknown": uuid.uuid4(),
        "malformed": "not-a-group",
    }[group_id]

    assert_problem(leave(api_client, stranger, given), 404, "group_not_found")
    assert not models.GroupMember.objects.former().exists()


def test_leaving_needs_an_open_holder(api_client):
    assert_problem(
        leave(api_client, factories.HolderFactory.build(), uuid.uuid4()),
        409,
        "account_not_ready",
    )


def test_a_former_member_is_added_back_with_what_they_gave(
    api_client, group, ana, ben
):
    contribute(api_client, ben, group["id"], {"amount": "20"})
    leave(api_client, ben, group["id"])
    membership = models.GroupMember.objects.get(holder=ben)

    response = api_client.post(
        groups_url(ana.pk, group["id"], "members"),
        {"email": "ben@example.com"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json() == {
        "user_id": str(ben.pk),
        "email": "ben@example.com",
        "first_name": "Ben",
        "last_name": "Lovelace",
        "contributed": "20.00",
        "contributions": 1,
        "joined_at": instant(membership.joined_at),
        "left_at": None,
    }
    assert models.GroupMember.objects.filter(holder=ben).count() == 1
    assert api_client.get(groups_url(ben.pk, group["id"])).status_code == 200
    again = api_client.post(
        groups_url(ana.pk, group["id"], "members"),
        {"email": "ben@example.com"},
        format="json",
    )
    assert_problem(again, 409, "already_member")


# --- Contributions ----------------------------------------------------------


def test_a_contribution_answers_transaction_balances_and_group(
    api_client, group, ben
):
    response = contribute(
        api_client,
        ben,
        group["id"],
        {"amount": "30.00", "message": "Beach fund!"},
        key="c-1",
    )

    assert response.status_code == 201, response.content
    assert "Idempotent-Replayed" not in response.headers
    body = response.json()
    txn = body["transaction"]
    pot = models.SavingsGroup.objects.get(pk=group["id"]).pot_id
    assert (txn["kind"], txn["amount"], txn["description"]) == (
        "group_contribution",
        "30.00",
        "Beach fund!",
    )
    assert txn["counterparty_account"] == str(pot)
    assert txn["group"] == {"id": group["id"], "name": "Summer"}
    assert txn["splits"] == [
        {"account_kind": "savings", "currency": "USD", "amount": "-30.00"}
    ]
    assert body["balances"] == {"main": "50.00", "savings": "20.00"}
    assert (body["group"]["total"], body["group"]["progress_percent"]) == (
        "30.00",
        "25.00",
    )
    assert (
        body["group"] == api_client.get(groups_url(ben.pk, group["id"])).json()
    )
    assert (
        api_client.get(
            f"/internal/v1/holders/{ben.pk}/transactions/{txn['id']}"
        ).json()
        == txn
    )
    listed = api_client.get(
        f"/internal/v1/holders/{ben.pk}/transactions",
        {"kind": "group_contribution"},
    ).json()["results"]
    assert listed == [txn]

    again = contribute(
        api_client,
        ben,
        group["id"],
        {"amount": "30", "currency": "usd", "message": "Beach fund!"},
        key="c-1",
    )

    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert (
        models.Transaction.objects.filter(kind="group_contribution").count()
        == 1
    )


def test_a_key_reused_for_another_contribution(api_client, group, ben):
    contribute(api_client, ben, group["id"], {"amount": "1"}, key="k")
    before = ledger_state()

    response = contribute(
        api_client, ben, group["id"], {"amount": "1", "message": "x"}, key="k"
    )

    assert_problem(response, 422, "idempotency_key_reused")
    assert ledger_state() == before


@pytest.mark.parametrize(
    "case",
    [
        ("eve", {"amount": "1.00"}, 404, "group_not_found"),
        ("ben", {"amount": "50.01"}, 422, "insufficient_funds"),
        ("ben", {"amount": "1", "currency": "EUR"}, 422, "currency_mismatch"),
        ("ben", {"amount": "0"}, 400, "invalid_amount"),
        ("ben", {"amount": "0.001"}, 400, "invalid_amount"),
        ("ben", {"amount": "1e2"}, 400, "invalid_amount"),
        (
            "ben",
            {"amount": "1", "currency": "ABC"},
            400,
            "unsupported_currency",
        ),
        ("ben", {}, 400, "validation_error"),
        ("ben", {"amount": "1", "message": "m" * 501}, 400, "validation_error"),
    ],
)
def test_a_refused_contribution_changes_nothing(api_client, group, ben, case):
    who, body, status, code = case
    eve = saver("eve@example.com")
    caller = {"ben": ben, "eve": eve}[who]
    before = ledger_state()

    response = contribute(api_client, caller, group["id"], body, key="r")

    assert_problem(response, status, code)
    assert ledger_state() == before


def test_a_contribution_to_an_unknown_group(api_client, ben):
    for group_id in (uuid.uuid4(), "x"):
        response = contribute(api_client, ben, group_id, {"amount": "1"})
        assert_problem(response, 404, "group_not_found")


def test_the_amount_is_read_in_the_groups_currency(api_client, ana):
    services.account_open(holder=ana, currency="JPY")
    created = api_client.post(
        groups_url(ana.pk),
        {"name": "Yen", "target_amount": "1000", "currency": "JPY"},
        format="json",
    ).json()

    assert_problem(
        contribute(api_client, ana, created["id"], {"amount": "1.5"}),
        400,
        "invalid_amount",
    )
    assert_problem(
        contribute(api_client, ana, created["id"], {"amount": "1"}),
        422,
        "insufficient_funds",
    )


def test_the_documents_match_their_serializers(api_client, group, ana, ben):
    contribution = contribute(api_client, ben, group["id"], {"amount": "2"})
    contribute(api_client, ana, group["id"], {"amount": "1"})
    leave(api_client, ana, group["id"])
    member = api_client.post(
        groups_url(ben.pk, group["id"], "members"),
        {"email": factories.HolderFactory().email},
        format="json",
    ).json()
    documents = [
        (apis.GroupContributionCreateApi.OutputSerializer, contribution.json()),
        (
            apis.GroupSerializer,
            api_client.get(groups_url(ben.pk, group["id"])).json(),
        ),
        (
            apis.GroupListApi.OutputSerializer,
            api_client.get(groups_url(ben.pk)).json(),
        ),
        (apis.MemberSerializer, member),
        (TransactionSerializer, contribution.json()["transaction"]),
    ]
    for serializer_class, document in documents:
        serializer = serializer_class(data=document)
        assert serializer.is_valid(), (serializer.errors, document)
        assert_same_shape(serializer_class(), document)
    assert contribution.json()["transaction"]["group"] is not None
    # A former member's row, with its left_at, was among them.
    shown = api_client.get(groups_url(ben.pk, group["id"])).json()
    assert [m["left_at"] is not None for m in shown["members"]] == [
        False,
        True,
        False,
    ]


def test_a_bad_idempotency_key_is_refused(api_client, group, ben):
    before = ledger_state()

    response = contribute(api_client, ben, group["id"], {"amount": "1"}, "é")

    assert_problem(response, 400, "invalid_idempotency_key")
    assert ledger_state() == before


def test_the_schema_documents_every_group_problem(api_client):
    schema = api_client.get("/internal/v1/schema/").json()
    base = "/internal/v1/holders/{user_id}/groups"
    paths = schema["paths"]

    contribution = paths[f"{base}/{{group_id}}/contributions"]["post"]
    member = paths[f"{base}/{{group_id}}/members"]["post"]

    membership = paths[f"{base}/{{group_id}}/membership"]

    assert set(paths[base]) == {"get", "post"}
    assert set(paths[f"{base}/{{group_id}}"]) == {"get"}
    assert set(membership) == {"delete"}
    assert set(membership["delete"]["responses"]) == {
        "204",
        "401",
        "404",
        "409",
        "503",
    }
    assert documented_problems(membership["delete"])["404"] >= {
        "group_not_found"
    }
    contribution_codes = documented_problems(contribution)
    assert contribution_codes["404"] == {"not_found", "group_not_found"}
    assert contribution_codes["422"] == {
        "currency_mismatch",
        "insufficient_funds",
        "account_not_open",
        "account_closed",
        "account_frozen",
        "idempotency_key_reused",
    }
    assert any(
        p["name"] == "Idempotency-Key" for p in contribution["parameters"]
    )
    member_codes = documented_problems(member)
    assert member_codes["404"] == {
        "not_found",
        "group_not_found",
        "user_not_found",
    }
    assert member_codes["409"] == {"account_not_ready", "already_member"}
    transaction = schema["components"]["schemas"]["Transaction"]
    assert "group" in transaction["properties"]
