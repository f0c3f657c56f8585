"""The business rules no schema can express, each written once.

The gateway passes the users and accounting services' judgements through,
so the same rule refuses the same schema-valid request on an internal
operation and on its public one; each API's test maps its operation labels
to these (``support.business_rules``). The reason is beside each rule.
"""

from collections.abc import Callable
from typing import Any

from tests.contract import support
from tests.contract.support import BusinessRule


def amount(field: str, currency: Callable[[Any], str | None]) -> BusinessRule:
    """The amount in ``field`` has more decimals than its currency."""
    return BusinessRule(
        400,
        "invalid_amount",
        "more decimals than the currency has (JPY has none; the currency is "
        "another field, or the goal's or group's) or a JSON number written "
        "with an exponent",
        support.amount_beyond_currency(field, currency),
    )


PAST_DATE = BusinessRule(
    400,
    "validation_error",
    "a target date may not be past: the clock decides",
    support.date_before_today("target_date"),
)
FUTURE_DATE = BusinessRule(
    400,
    "validation_error",
    "a record's date may not be in the future: the clock decides",
    support.instant_after_now("effective_at"),
)
STATEMENT = BusinessRule(
    400,
    "invalid_import",
    "a statement is UTF-8 CSV whose header names `date` and `amount`: the "
    "file's content, which a schema gives as bytes",
)
RANGE = BusinessRule(
    400, "invalid_range", "`from` after `to`: two fields compared"
)
CURSOR = BusinessRule(
    400,
    "invalid_cursor",
    "a cursor is only what an earlier page answered",
)
FUNDS = BusinessRule(422, "insufficient_funds", "the balance is state")
NOT_OPEN = BusinessRule(
    422, "account_not_open", "the holder's wallets are state"
)
CLOSED = BusinessRule(422, "account_closed", "the holder's wallets are state")
KEY_REUSED = BusinessRule(
    422, "idempotency_key_reused", "an earlier request's key is state"
)
FLAT_AMOUNT = BusinessRule(
    422, "amount_not_above_flat_amount", "the holder's plan is state"
)
SAME_ACCOUNT = BusinessRule(
    422, "same_account", "the sender's account is state"
)
RECIPIENT_UNKNOWN = BusinessRule(
    404, "account_not_found", "the recipient's account is state"
)
RECIPIENT_CURRENCY = BusinessRule(
    422, "currency_mismatch", "the recipient's currency is state"
)
GROUP_CURRENCY = BusinessRule(
    422, "currency_mismatch", "the group's currency is state"
)
SAVINGS_LOCKED = BusinessRule(422, "savings_locked", "the plan's hold and time")
SAME_CURRENCY = BusinessRule(
    400,
    "same_currency",
    "two fields must differ",
    lambda case: (
        case.body["from_currency"].upper() == case.body["to_currency"].upper()
    ),
)
TOO_SMALL = BusinessRule(422, "amount_too_small", "the rate is state")
NO_RATE = BusinessRule(422, "rate_unavailable", "the rates are state")
STORED_TARGET = BusinessRule(
    400,
    "invalid_amount",
    "a new currency keeps the stored target, which it may not write "
    "(10.50 USD in JPY)",
    lambda case: "currency" in (case.body or {}),
)
WEAK_PASSWORD = BusinessRule(
    400,
    "weak_password",
    "too common, too close to the email or all digits: Django's password "
    "validators judge what no pattern can",
)
CURRENT_PASSWORD_REQUIRED = BusinessRule(
    400,
    "current_password_required",
    "a new password needs the current one: two fields",
)
CURRENT_PASSWORD_WRONG = BusinessRule(
    400, "invalid_current_password", "the stored password is state"
)


def movement(currency: Callable[[Any], str | None]) -> tuple[BusinessRule, ...]:
    """What refuses any movement of money: its amount, funds, wallets, key."""
    return (amount("amount", currency), FUNDS, NOT_OPEN, KEY_REUSED)


def dated(currency: Callable[[Any], str | None]) -> tuple[BusinessRule, ...]:
    """What refuses a credit or a withdrawal: a movement's, and its date."""
    return (*movement(currency), FUTURE_DATE)


# A statement to import: its content, and its key.
IMPORT = (STATEMENT, KEY_REUSED)


def transfer(currency: Callable[[Any], str | None]) -> tuple[BusinessRule, ...]:
    """What refuses a transfer or a savings release."""
    return (
        *movement(currency),
        SAME_ACCOUNT,
        RECIPIENT_UNKNOWN,
        RECIPIENT_CURRENCY,
        SAVINGS_LOCKED,
    )


def conversion(
    currency: Callable[[Any], str | None],
) -> tuple[BusinessRule, ...]:
    """What refuses a conversion; ``currency`` reads ``from_currency``."""
    return (*movement(currency), SAME_CURRENCY, TOO_SMALL, NO_RATE)


def target(currency: Callable[[Any], str | None]) -> tuple[BusinessRule, ...]:
    """What refuses a new goal or group: its target, its date, its key."""
    return (amount("target_amount", currency), PAST_DATE, KEY_REUSED)


# A goal changed: the new target in the goal's currency (or a new one).
GOAL_CHANGE = (
    amount("target_amount", support.in_body_or_stored),
    PAST_DATE,
    STORED_TARGET,
)
# A group contribution: in the group's currency, from savings.
CONTRIBUTION = (
    amount("amount", support.in_body_or_stored),
    FUNDS,
    GROUP_CURRENCY,
    NOT_OPEN,
    KEY_REUSED,
)


# A partner's batch: each item read as one credit, the items together.
BATCH = (
    BusinessRule(
        400,
        "validation_error",
        "an item names its user by a UUID or by an email address: one "
        "string read two ways",
        support.item_user_unnamed,
    ),
    BusinessRule(
        400,
        "validation_error",
        "a reference appears once per batch: items compared with each other",
        support.items_repeat("reference"),
    ),
    BusinessRule(
        400,
        "invalid_amount",
        "an item's amount has more decimals than its own currency, another "
        "member of the item",
        support.item_amounts_beyond_currency,
    ),
    KEY_REUSED,
)


# A webhook endpoint: where its URL leads, and the account's endpoints.
WEBHOOK = (
    BusinessRule(
        422,
        "invalid_webhook_url",
        "where a URL leads (its host's addresses, by DNS) and what the "
        "deployment requires (HTTPS) are not the URL's form",
    ),
    BusinessRule(
        400,
        "validation_error",
        "an account has at most 10 endpoints in use: the account's state",
    ),
)
# A partner's endpoint takes the partner's event types only: which account
# the path names decides the choices.
PARTNER_WEBHOOK = (
    *WEBHOOK,
    BusinessRule(
        400,
        "validation_error",
        "a partner subscribes to its own events only (`batch.completed`): "
        "the account of the path, another part of the request",
        support.events_beyond(("batch.completed",)),
    ),
)
