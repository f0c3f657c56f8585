"""Schemathesis against the public gateway, on the real stack.

The schema is the one the running gateway serves (``/api/schema/``); every
operation gets its examples, coverage cases (boundaries, every documented
status) and generated valid and invalid requests, then scenarios follow the
schema's OpenAPI links (a goal created, then read, changed and deleted; a
group started, then read, joined, contributed to and left; a movement, then
its transaction; a sign-up, then a log-in, then a refresh), with every
check of ``tests/contract/support.py``: no 5xx, every status, header,
content type and body as documented, valid requests accepted (or refused
by a business rule of ``tests/contract/rules.py``) and invalid ones
refused, the bearer token enforced.

The calls are made as real members, signed up through the API, each with
money (a plan that saves 10% of a credit of 1,000.00 USD), a EUR wallet, a
conversion, goals, groups with the other members and a contribution, so
that most calls do something. The gateway limits each member (reads,
writes and money per minute, requests in flight): the operations are
shared out among several members, each the owner of the goals, groups and
transactions its operations' path ids name; each stateful scenario is one
member's. Changing one's own profile runs as a member of its own, and
deleting oneself as a new member each time.
"""

import dataclasses
import time
from typing import Any

import httpx
import pytest
import schemathesis

from tests.contract import rules, support
from tests.e2e.conftest import Stack
from tests.e2e.helpers import Member, log_in, sign_up, when_ready

pytestmark = pytest.mark.e2e

SCHEMA_PATH = "/api/schema/?format=json"
API = "/api/v1"
# Members the operations are shared out among: each stays well within its
# limits (integration.limits) over the whole run.
OWNERS = 4
# Access tokens of the e2e stack live 300 s at least; a member logs in
# again once its token has been in use this long (its first use comes
# within a minute of its log-in).
TOKEN_MAX_AGE = 120
# The operations that change the caller's own identity: its profile (a
# member of its own, whose email no other operation names) and deleting it
# (a new member each time).
OWN_PROFILE = f"PATCH {API}/me"
DELETE_SELF = f"DELETE {API}/me"

# The stack's DEFAULT_CURRENCY is unset: the deployment's default, USD.
_IN_BODY = support.body_currency(default=lambda: "USD")
support.business_rules(
    {
        f"POST {API}/auth/signup": (rules.WEAK_PASSWORD, rules.KEY_REUSED),
        OWN_PROFILE: (
            rules.WEAK_PASSWORD,
            rules.CURRENT_PASSWORD_REQUIRED,
            rules.CURRENT_PASSWORD_WRONG,
        ),
        f"POST {API}/credits": (*rules.dated(_IN_BODY), rules.FLAT_AMOUNT),
        f"POST {API}/withdrawals": rules.dated(_IN_BODY),
        f"POST {API}/imports": rules.IMPORT,
        f"POST {API}/partner/credit-batches": rules.BATCH,
        f"GET {API}/partner/credit-batches/{{id}}/items": (rules.CURSOR,),
        f"POST {API}/webhooks": rules.WEBHOOK,
        f"POST {API}/partner/webhooks": rules.WEBHOOK,
        f"GET {API}/webhooks/{{id}}/deliveries": (rules.CURSOR,),
        f"GET {API}/partner/webhooks/{{id}}/deliveries": (rules.CURSOR,),
        f"POST {API}/transfers": rules.transfer(_IN_BODY),
        f"POST {API}/conversions": rules.conversion(
            support.body_currency("from_currency", default=lambda: "USD")
        ),
        f"POST {API}/goals": rules.target(_IN_BODY),
        f"PATCH {API}/goals/{{id}}": rules.GOAL_CHANGE,
        f"POST {API}/groups": rules.target(_IN_BODY),
        f"POST {API}/groups/{{id}}/contributions": rules.CONTRIBUTION,
        f"GET {API}/reports/summary": (rules.RANGE,),
        f"GET {API}/transactions": (rules.RANGE, rules.CURSOR),
    }
)


@dataclasses.dataclass
class Owner:
    """A member and what its operations' path ids name.

    Attributes:
        member: The signed-up member.
        goals: Its goals, to read and change.
        spare_goals: Goals of its own to delete.
        groups: Its group with the other owners, to read, join and fund.
        spare_groups: Groups of its own to leave.
        transactions: Its transactions.
    """

    member: Member
    goals: list[str]
    spare_goals: list[str]
    groups: list[str]
    spare_groups: list[str]
    transactions: list[str]


class Callers:
    """Who makes each call: the bearer token of every secured operation.

    Each operation has its member; every stateful scenario is one member's
    (what one step creates, the next reads by its id); deleting oneself is
    a new member each time. A partner's operations are called with a
    partner's key.
    """

    def __init__(
        self,
        api: httpx.Client,
        by_label: dict[str, Member],
        scenarios: Member,
        partner_key: str,
    ) -> None:
        self._api = api
        self._by_label = by_label
        self._scenarios = scenarios
        self._partner_key = partner_key
        self._issued: dict[str, float] = {}

    def token(self, case: Any, operation: Any) -> str | None:
        """The access token to send ``case`` with; None: a public one."""
        security = operation.definition.raw.get("security")
        if not security:
            return None
        if {"partnerKey": []} in security:
            return self._partner_key
        if operation.label == DELETE_SELF:
            return sign_up(self._api).access
        stateful = case.meta is not None and case.meta.phase.name == "stateful"
        member = (
            self._scenarios if stateful else self._by_label[operation.label]
        )
        issued = self._issued.setdefault(member.id, time.monotonic())
        if time.monotonic() - issued > TOKEN_MAX_AGE:
            tokens = log_in(self._api, member.email, member.password)
            member.access = tokens["access"]
            self._issued[member.id] = time.monotonic()
        return member.access

    def register(self, schema: Any) -> None:
        """Makes this the schema's auth provider (no caching)."""
        callers = self

        @schema.auth(refresh_interval=None)
        class Bearer:
            def get(self, case: Any, context: Any) -> str | None:
                return callers.token(case, context.operation)

            def set(self, case: Any, data: str, context: Any) -> None:
                del context
                case.headers["Authorization"] = f"Bearer {data}"


def _created(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


def _provision(api: httpx.Client, member: Member, plan_id: str) -> Owner:
    """Gives a member money, a plan, a EUR wallet, goals, groups, history."""
    auth = member.auth
    _created(
        when_ready(
            lambda: api.put("/me/plan", json={"plan_id": plan_id}, headers=auth)
        )
    )
    _created(api.post("/credits", json={"amount": "1000.00"}, headers=auth))
    _created(api.post("/accounts", json={"currency": "EUR"}, headers=auth))
    _created(
        api.post(
            "/conversions",
            json={
                "from_currency": "USD",
                "to_currency": "EUR",
                "amount": "20.00",
            },
            headers=auth,
        )
    )

    def goal(name: str) -> str:
        body = {"name": name, "target_amount": "300.00"}
        return _created(api.post("/goals", json=body, headers=auth))["id"]

    def group(name: str) -> str:
        body = {"name": name, "target_amount": "500.00"}
        return _created(api.post("/groups", json=body, headers=auth))["id"]

    owner = Owner(
        member=member,
        goals=[goal("Bike")],
        spare_goals=[goal("Spare one"), goal("Spare two")],
        groups=[group("Trip")],
        spare_groups=[group("Spare group")],
        transactions=[],
    )
    _created(
        api.post(
            f"/groups/{owner.groups[0]}/contributions",
            json={"amount": "5.00", "message": "First step"},
            headers=auth,
        )
    )
    history = api.get("/transactions", headers=auth)
    owner.transactions = [each["id"] for each in _created(history)["results"]]
    return owner


def _befriend(api: httpx.Client, owners: list[Owner]) -> None:
    """Adds every owner to every other owner's group."""
    for owner in owners:
        for other in owners:
            if other is not owner:
                _created(
                    api.post(
                        f"/groups/{owner.groups[0]}/members",
                        json={"email": other.member.email},
                        headers=owner.member.auth,
                    )
                )


def _operations(raw: dict) -> list[str]:
    """The labels of the schema's operations, in its order."""
    return [
        f"{method.upper()} {path}"
        for path, item in raw["paths"].items()
        for method in item
    ]


def _links(raw: dict) -> int:
    """How many OpenAPI links the schema declares."""
    return sum(
        len(response.get("links", {}))
        for item in raw["paths"].values()
        for operation in item.values()
        for response in operation["responses"].values()
    )


def _dictionaries(
    index: int, owner: Owner, owners: list[Owner], stranger: Member
) -> dict[str, list[str]]:
    """Owner ``index``'s ids, and the emails its group may add."""
    return {
        f"goals-{index}": owner.goals,
        f"spare-goals-{index}": owner.spare_goals,
        f"groups-{index}": owner.groups,
        f"spare-groups-{index}": owner.spare_groups,
        f"transactions-{index}": owner.transactions,
        # Members already (409), and someone who is not yet (201).
        f"emails-{index}": [
            other.member.email for other in owners if other is not owner
        ]
        + [stranger.email],
    }


def _bindings(index: int) -> dict[str, dict[str, Any]]:
    """Where owner ``index``'s dictionaries go, by operation label."""

    def drawn(name: str) -> dict[str, Any]:
        return {"dictionary": f"{name}-{index}", "probability": 0.9}

    return {
        f"GET {API}/goals/{{id}}": {"path.id": drawn("goals")},
        f"PATCH {API}/goals/{{id}}": {"path.id": drawn("goals")},
        f"DELETE {API}/goals/{{id}}": {"path.id": drawn("spare-goals")},
        f"GET {API}/groups/{{id}}": {"path.id": drawn("groups")},
        f"POST {API}/groups/{{id}}/contributions": {"path.id": drawn("groups")},
        f"POST {API}/groups/{{id}}/members": {
            "path.id": drawn("groups"),
            "body.email": drawn("emails"),
        },
        f"DELETE {API}/groups/{{id}}/members/me": {
            "path.id": drawn("spare-groups")
        },
        f"GET {API}/transactions/{{id}}": {"path.id": drawn("transactions")},
    }


@dataclasses.dataclass
class Gateway:
    """The live schema, loaded and configured, and as served."""

    schema: Any
    raw: dict


@pytest.fixture(scope="module")
def gateway(stack: Stack, api: httpx.Client) -> Gateway:
    """Signs up and provisions the members; loads the gateway's schema.

    Operation ``n`` of the schema is called as owner ``n % OWNERS``, and
    its path ids (and a group's new member) are drawn from that owner's.
    """
    members = [sign_up(api) for _ in range(OWNERS + 4)]
    plans = when_ready(lambda: api.get("/plans", headers=members[0].auth))
    plan_id = next(
        plan["id"]
        for plan in _created(plans)["results"]
        if plan["name"] == "Save 10%"
    )
    owners = [_provision(api, each, plan_id) for each in members[:OWNERS]]
    _befriend(api, owners)
    scenarios = _provision(api, members[OWNERS], plan_id).member
    stranger, editor, importer = members[OWNERS + 1 :]
    # Statements are many requests in the money scope: a member of their
    # own keeps every owner within its limits.
    importer = _provision(api, importer, plan_id).member

    raw = httpx.get(f"{stack.origin}{SCHEMA_PATH}").json()
    by_label = {
        OWN_PROFILE: editor,
        f"POST {API}/imports": importer,
        f"GET {API}/imports/{{id}}": importer,
    }
    dictionaries: dict[str, list[str]] = {}
    for index, owner in enumerate(owners):
        dictionaries |= _dictionaries(index, owner, owners, stranger)
    operations = []
    for position, label in enumerate(_operations(raw)):
        index = position % OWNERS
        by_label.setdefault(label, owners[index].member)
        if parameters := _bindings(index).get(label):
            operations.append({"include-name": label, "parameters": parameters})
    schema = schemathesis.openapi.from_url(
        f"{stack.origin}{SCHEMA_PATH}",
        config=support.config(
            dictionaries=dictionaries,
            operations=operations,
            # Two operations at a time (of different members, mostly):
            # the stack has two cores and each member four requests in
            # flight.
            workers=2,
        ),
    )
    # A partner's key whose own rate keeps its many requests unrefused.
    issued = stack.manage(
        "accounting",
        "partner_key_issue",
        "Contract Payroll",
        "--scope",
        "credits:write",
        "--scope",
        "webhooks:manage",
        "--rate-limit",
        "100000/min",
    )
    assert issued.returncode == 0, issued.stderr
    Callers(api, by_label, scenarios, issued.stdout.split()[-1]).register(
        schema
    )
    return Gateway(schema=schema, raw=raw)


def test_the_gateway_keeps_its_public_schema(gateway: Gateway) -> None:
    run = support.run(gateway.schema)

    assert not run.failures, "\n\n".join(run.failures)
    # Every operation answered generated requests; the stateful phase
    # could follow every link and did reach operations through them.
    every = set(_operations(gateway.raw))
    for phase in ("coverage", "fuzzing"):
        assert set(run.answered[phase]) == every, phase
    assert run.links == _links(gateway.raw)
    assert len(run.answered["stateful"]) >= 10, run.answered["stateful"]
    # The members stayed within their limits: every request was judged
    # on what it sent, none turned away for its volume.
    assert run.statuses[429] == 0
