"""Schemathesis against the accounting internal API, on PostgreSQL.

Run under the accounting settings (``make contract``). Each operation's
test starts from committed demo data: plans, rates and categories
(``seed_demo``), a holder with money and savings in USD and a EUR wallet,
a second holder and a closed one. Most generated requests name one of
these holders (``user_id`` drawn from them); the others name nobody and
meet ``account_not_ready``.
"""

import io
import uuid
from typing import Any

import pytest
from django.core.management import call_command

from accounting import models, services
from config.accounting.wsgi import application
from tests.contract import support
from tests.contract.support import BusinessRule

ADA, BOB, GONE = (str(uuid.uuid4()) for _ in range(3))
HOLDERS = {ADA: "ada@example.com", BOB: "bob@example.com"}

# Refusals of schema-valid requests that come from state, funds, the clock
# or another field: the rules no schema can express, per operation.
HOLDER = "/internal/v1/holders/{user_id}"


_IN_BODY = support.body_currency()


def _amount(field: str, currency: Any = _IN_BODY) -> BusinessRule:
    return BusinessRule(
        400,
        "invalid_amount",
        "more decimals than the currency has (JPY has none; the currency is "
        "another field, or the goal's or group's) or a JSON number written "
        "with an exponent",
        support.amount_beyond_currency(field, currency),
    )


def _in_body_or_stored(case: Any) -> str | None:
    """The currency a body names; None: the goal's or group's (state)."""
    currency = (case.body or {}).get("currency")
    return currency.upper() if isinstance(currency, str) else None


_PAST_DATE = BusinessRule(
    400,
    "validation_error",
    "a target date may not be past: the clock decides",
    support.date_before_today("target_date"),
)
_RANGE = BusinessRule(
    400, "invalid_range", "`from` after `to`: two fields compared"
)
_FUNDS = BusinessRule(422, "insufficient_funds", "the balance is state")
_KEY_REUSED = BusinessRule(
    422, "idempotency_key_reused", "an earlier request's key is state"
)
_MOVED = (
    _amount("amount"),
    _FUNDS,
    BusinessRule(422, "account_not_open", "the holder's wallets are state"),
    _KEY_REUSED,
)
support.business_rules(
    {
        f"POST {HOLDER}/credits": (
            *_MOVED,
            BusinessRule(
                422,
                "amount_not_above_flat_amount",
                "the holder's plan is state",
            ),
        ),
        f"POST {HOLDER}/withdrawals": _MOVED,
        f"POST {HOLDER}/transfers": (
            *_MOVED,
            BusinessRule(422, "same_account", "the sender's account is state"),
            BusinessRule(
                404, "account_not_found", "the recipient's account is state"
            ),
            BusinessRule(
                422, "currency_mismatch", "the recipient's currency is state"
            ),
            BusinessRule(422, "savings_locked", "the plan's hold and time"),
        ),
        f"POST {HOLDER}/conversions": (
            _amount("amount", support.body_currency("from_currency")),
            *_MOVED[1:],
            BusinessRule(
                400,
                "same_currency",
                "two fields must differ",
                lambda case: (
                    case.body["from_currency"].upper()
                    == case.body["to_currency"].upper()
                ),
            ),
            BusinessRule(422, "amount_too_small", "the rate is state"),
            BusinessRule(422, "rate_unavailable", "the rates are state"),
        ),
        f"POST {HOLDER}/goals": (
            _amount("target_amount"),
            _PAST_DATE,
            _KEY_REUSED,
        ),
        f"PATCH {HOLDER}/goals/{{goal_id}}": (
            _amount("target_amount", _in_body_or_stored),
            _PAST_DATE,
            BusinessRule(
                400,
                "invalid_amount",
                "a new currency keeps the stored target, which it may not "
                "write (10.50 USD in JPY)",
                lambda case: "currency" in (case.body or {}),
            ),
        ),
        f"POST {HOLDER}/groups": (
            _amount("target_amount"),
            _PAST_DATE,
            _KEY_REUSED,
        ),
        f"POST {HOLDER}/groups/{{group_id}}/contributions": (
            _amount("amount", _in_body_or_stored),
            _FUNDS,
            BusinessRule(
                422, "currency_mismatch", "the group's currency is state"
            ),
            BusinessRule(422, "account_not_open", "the holder's wallets"),
            _KEY_REUSED,
        ),
        f"GET {HOLDER}/reports/summary": (_RANGE,),
        f"GET {HOLDER}/transactions": (
            _RANGE,
            BusinessRule(
                400,
                "invalid_cursor",
                "a cursor is only what an earlier page answered",
            ),
        ),
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


schema = support.load(
    application,
    dictionaries={"holders": [ADA, BOB, GONE]},
    parameters={"path.user_id": {"dictionary": "holders", "probability": 0.9}},
)


@schema.parametrize()
@support.HYPOTHESIS
def test_api(case, demo_data):
    del demo_data
    case.call_and_validate()


def test_linked_operations_statefully(demo_data):
    del demo_data
    support.run_stateful(schema)
