"""Factories for what the gateway handles: tokens and upstream answers.

The gateway keeps no models, so these build dictionaries: the JWT claims the
users service signs, and the JSON bodies the services answer, shaped as in
``docs/internal-api.md``.
"""

import datetime as dt
import functools
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


def problem(status: int, code: str, detail: str = "") -> dict:
    """Returns a problem document as a service would answer it."""
    return problem_body(status=status, code=code, detail=detail)
