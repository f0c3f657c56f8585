"""Factories for what the gateway handles: tokens and upstream answers.

The gateway keeps no models, so these build dictionaries: the JWT claims the
users service signs, and the JSON bodies the services answer, shaped as in
``docs/internal-api.md``.
"""

import datetime as dt
import functools
import secrets
import time
import uuid
from pathlib import Path

import factory
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from config.base import env
from config.problems import problem_body


@functools.cache
def private_key() -> rsa.RSAPrivateKey:
    """Returns the users service's signing key (from ``var/local.env``).

    Loaded once: checking an RSA key costs a tenth of a second.
    """
    return serialization.load_pem_private_key(
        Path(env.str("JWT_PRIVATE_KEY_FILE")).read_bytes(), password=None
    )


class AccessClaimsFactory(factory.DictFactory):
    """The claims of a valid access token."""

    user_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    exp = factory.LazyFunction(lambda: int(time.time()) + 300)
    iat = factory.LazyFunction(lambda: int(time.time()))
    iss = factory.LazyFunction(lambda: settings.JWT_ISSUER)
    token_type = "access"
    jti = factory.LazyFunction(lambda: uuid.uuid4().hex)


def access_token(
    *, key: rsa.RSAPrivateKey | None = None, **claims: object
) -> str:
    """Signs an access token as the users service does (RS256).

    Args:
        key: A private key; the deployment's by default.
        **claims: Claims overriding the factory's.

    Returns:
        The encoded JWT.
    """
    return jwt.encode(
        AccessClaimsFactory(**claims), key or private_key(), algorithm="RS256"
    )


def _instant() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


class UserPayloadFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    date_joined = factory.LazyFunction(_instant)


class TokensPayloadFactory(factory.DictFactory):
    access = "header.payload.signature"
    refresh = "refresh.payload.signature"
    token_type = "Bearer"
    expires_in = 300


class PlanPayloadFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    name = "Save 10%"
    kind = "percentage"
    value = "10.00"
    currency = "USD"
    description = "10% of every credit to savings."
    savings_hold_days = 0


class AccountPayloadFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    kind = "main"
    currency = "USD"
    balance = "0.00"
    closed_at = None


class TransactionPayloadFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    kind = "credit"
    amount = "100.50"
    currency = "USD"
    occurred_at = factory.LazyFunction(_instant)
    effective_at = factory.SelfAttribute("occurred_at")
    description = "November salary"
    source = "salary"
    category = None
    splits = factory.LazyFunction(
        lambda: [
            {"account_kind": "main", "currency": "USD", "amount": "90.45"},
            {"account_kind": "savings", "currency": "USD", "amount": "10.05"},
        ]
    )
    plan = factory.SubFactory(PlanPayloadFactory)
    counterparty_account = None
    conversion = None
    group = None
    reverses = None
    reversed_by = None


class TransferOutPayloadFactory(TransactionPayloadFactory):
    kind = "transfer_out"
    amount = "25.00"
    description = "Dinner"
    source = ""
    splits = factory.LazyFunction(
        lambda: [
            {"account_kind": "main", "currency": "USD", "amount": "-25.00"}
        ]
    )
    plan = None
    counterparty_account = factory.LazyFunction(lambda: str(uuid.uuid4()))


class ConversionPayloadFactory(TransactionPayloadFactory):
    kind = "conversion"
    amount = "50.00"
    description = ""
    source = ""
    splits = factory.LazyFunction(
        lambda: [
            {"account_kind": "main", "currency": "USD", "amount": "-50.00"},
            {"account_kind": "main", "currency": "EUR", "amount": "46.00"},
        ]
    )
    plan = None
    conversion = factory.LazyFunction(
        lambda: {"to_amount": "46.00", "to_currency": "EUR", "rate": "0.92"}
    )


class RatePayloadFactory(factory.DictFactory):
    base = "USD"
    quote = "EUR"
    rate = "0.92"
    valid_from = factory.LazyFunction(_instant)


class BalancePayloadFactory(factory.DictFactory):
    at = factory.LazyFunction(_instant)
    currency = "USD"
    main = "90.45"
    savings = "10.05"
    total = "100.50"


class ReportGroupPayloadFactory(factory.DictFactory):
    key = "groceries"
    income = "0.00"
    expenses = "12.50"
    saved = "0.00"
    savings_rate = None
    transactions = 1


class ReportPayloadFactory(factory.DictFactory):
    to = factory.LazyFunction(_instant)
    currency = "USD"
    group_by = "category"
    income = "100.00"
    expenses = "12.50"
    saved = "10.00"
    savings_rate = "10.00"
    groups = factory.LazyFunction(
        lambda: [
            ReportGroupPayloadFactory(),
            ReportGroupPayloadFactory(
                key=None,
                income="100.00",
                expenses="0.00",
                saved="10.00",
                savings_rate="10.00",
            ),
        ]
    )

    from_ = None

    class Meta:
        """``from`` is a Python keyword: declared as ``from_``."""

        rename = {"from_": "from"}


class GoalPayloadFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    name = "Holidays"
    target_amount = "1500.00"
    currency = "USD"
    saved = "637.50"
    progress_percent = "42.50"
    target_date = "2027-06-30"
    on_track = True
    created_at = factory.LazyFunction(_instant)
    updated_at = factory.LazyFunction(_instant)


class MemberPayloadFactory(factory.DictFactory):
    user_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    email = factory.Sequence(lambda n: f"member{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    contributed = "0.00"
    contributions = 0
    joined_at = factory.LazyFunction(_instant)
    left_at = None


class GroupPayloadFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    name = "Summer trip"
    currency = "USD"
    target_amount = "1000.00"
    target_date = None
    total = "75.00"
    progress_percent = "7.50"
    created_at = factory.LazyFunction(_instant)
    created_by = factory.LazyFunction(lambda: str(uuid.uuid4()))
    members = factory.LazyFunction(
        lambda: [MemberPayloadFactory(contributed="75.00", contributions=1)]
    )


def partner_key() -> str:
    """Returns a new key as accounting issues them: ``spk_`` + 43."""
    return "spk_" + secrets.token_urlsafe(32)


class PartnerKeyPayloadFactory(factory.DictFactory):
    """What accounting answers to ``POST partner-keys/verify``."""

    key_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    partner_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    partner_name = "Acme Payroll"
    scopes = factory.LazyFunction(lambda: ["credits:write"])
    rate_limit = ""


class CreditBatchPayloadFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    status = "queued"
    items = factory.LazyFunction(
        lambda: {"total": 2, "applied": 0, "refused": 0, "pending": 2}
    )
    error = None
    created_at = factory.LazyFunction(_instant)
    completed_at = None


class CreditBatchItemPayloadFactory(factory.DictFactory):
    position = factory.Sequence(lambda n: n)
    user = factory.Sequence(lambda n: f"user{n}@example.com")
    amount = "12.50"
    currency = "USD"
    reference = factory.Sequence(lambda n: f"PAY-{n}")
    status = "applied"
    transaction_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    error = None


class WebhookPayloadFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    url = "https://hooks.example.com/savings"
    events = factory.LazyFunction(list)
    created_at = factory.LazyFunction(_instant)
    previous_secret_until = None


class WebhookWithSecretPayloadFactory(WebhookPayloadFactory):
    secret = factory.LazyFunction(lambda: "whsec_" + secrets.token_urlsafe(32))


class WebhookDeliveryPayloadFactory(factory.DictFactory):
    id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    event = factory.LazyFunction(
        lambda: {
            "id": str(uuid.uuid4()),
            "type": "transaction.created",
            "sequence": 7,
            "created_at": _instant(),
        }
    )
    status = "pending"
    attempts = 1
    last_status_code = 503
    last_error = "http_5xx"
    next_attempt_at = factory.LazyFunction(_instant)
    delivered_at = None
    created_at = factory.LazyFunction(_instant)
    tries = factory.LazyFunction(
        lambda: [
            {
                "at": _instant(),
                "status_code": 503,
                "error": "http_5xx",
                "duration_ms": 84,
            }
        ]
    )


def problem(status: int, code: str, detail: str = "") -> dict:
    """Returns a problem document as a service would answer it."""
    return problem_body(status=status, code=code, detail=detail)
