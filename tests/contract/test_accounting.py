"""Schemathesis against the accounting internal API, on PostgreSQL.

Run under the accounting settings (``make contract``). Each operation's
test starts from committed demo data: plans, rates and categories
(``seed_demo``), a holder with money and savings in USD and a EUR wallet,
a second holder and a closed one, a partner with a key. Most generated
requests name one of these holders (``user_id`` drawn from them; the
others name nobody and meet ``account_not_ready``) or the partner and its
key.
"""

import io
import uuid

import pytest
from django.core.management import call_command

from accounting import models, services
from config.accounting.wsgi import application
from tests.contract import internal, rules, support

ADA, BOB, GONE = (str(uuid.uuid4()) for _ in range(3))
# A partner and its key, so that batches are stored, applied and read.
PARTNER, PARTNER_KEY = (str(uuid.uuid4()) for _ in range(2))
HOLDERS = {ADA: "ada@example.com", BOB: "bob@example.com"}

# Refusals of schema-valid requests that come from state, funds, the clock
# or another field: the rules no schema can express, per operation.
HOLDER = "/internal/v1/holders/{user_id}"
_IN_BODY = support.body_currency(default=internal.default_currency)
support.business_rules(
    {
        "POST /internal/v1/partner-keys/{key_id}/credit-batches": rules.BATCH,
        f"POST {HOLDER}/webhooks": rules.WEBHOOK,
        "POST /internal/v1/partners/{partner_id}/webhooks": (
            rules.PARTNER_WEBHOOK
        ),
        "GET /internal/v1/partners/{partner_id}/credit-batches/{batch_id}"
        "/items": (rules.CURSOR,),
        f"POST {HOLDER}/credits": (
            *rules.dated(_IN_BODY),
            rules.FLAT_AMOUNT,
        ),
        f"POST {HOLDER}/withdrawals": rules.dated(_IN_BODY),
        f"POST {HOLDER}/imports": rules.IMPORT,
        f"POST {HOLDER}/transfers": rules.transfer(_IN_BODY),
        f"POST {HOLDER}/conversions": rules.conversion(
            support.body_currency(
                "from_currency", default=internal.default_currency
            )
        ),
        f"POST {HOLDER}/goals": rules.target(_IN_BODY),
        f"PATCH {HOLDER}/goals/{{goal_id}}": rules.GOAL_CHANGE,
        f"POST {HOLDER}/groups": rules.target(_IN_BODY),
        f"POST {HOLDER}/groups/{{group_id}}/contributions": (
            rules.CONTRIBUTION
        ),
        f"GET {HOLDER}/reports/summary": (rules.RANGE,),
        f"GET {HOLDER}/transactions": (rules.RANGE, rules.CURSOR),
    }
)


@pytest.fixture
def demo_data(transactional_db: None) -> None:
    """Commits the demo catalogue and the holders every test starts with."""
    del transactional_db
    call_command("seed_demo", stdout=io.StringIO())
    for user_id, email in {**HOLDERS, GONE: "gone@example.com"}.items():
        services.holder_apply_user_event(
            event=services.UserEvent(
                event_id=uuid.uuid4(),
                type="user.created",
                user_id=uuid.UUID(user_id),
                email=email,
                first_name="",
                last_name="",
                is_active=user_id != GONE,
                version=1,
            )
        )
    ada = models.Holder.objects.get(pk=ADA)
    services.plan_assign(
        holder=ada, plan=models.Plan.objects.get(name="Save 10%")
    )
    services.credit_apply(holder_id=ada.pk, amount=100_000, currency="USD")
    services.account_open(holder=ada, currency="EUR")
    partner = models.Partner.objects.create(id=PARTNER, name="Acme Payroll")
    key, _ = services.key_issue(partner=partner, name="contract", scopes=[])
    models.PartnerKey.objects.filter(pk=key.pk).update(id=PARTNER_KEY)


schema = internal.load(
    application,
    dictionaries={
        "holders": [ADA, BOB, GONE],
        "partners": [PARTNER],
        "partner_keys": [PARTNER_KEY],
    },
    parameters={
        "path.user_id": {"dictionary": "holders", "probability": 0.9},
        "path.partner_id": {"dictionary": "partners", "probability": 0.9},
        "path.key_id": {"dictionary": "partner_keys", "probability": 0.9},
    },
)


@schema.parametrize()
@support.HYPOTHESIS
def test_api(case, demo_data):
    del demo_data
    case.call_and_validate()


def test_linked_operations_statefully(demo_data):
    del demo_data
    internal.run_stateful(schema)
