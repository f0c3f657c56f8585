"""Schemathesis against the users internal API, on PostgreSQL.

Run under the users settings (``make contract``). Each operation's test
starts from one committed user, whose id most generated requests name
(``user_id`` drawn from it); the others name nobody and meet
``user_inactive``.
"""

import uuid
from typing import Any

import pytest

from config.users.wsgi import application
from tests.contract import internal, rules, support
from users.tests.factories import UserFactory

ADA = str(uuid.uuid4())

# Refusals of schema-valid requests that come from state or from rules no
# schema can express, per operation.
support.business_rules(
    {
        "POST /internal/v1/users": (rules.WEAK_PASSWORD, rules.KEY_REUSED),
        "PATCH /internal/v1/users/{user_id}": (
            rules.WEAK_PASSWORD,
            rules.CURRENT_PASSWORD_REQUIRED,
            rules.CURRENT_PASSWORD_WRONG,
        ),
    }
)


@pytest.fixture
def a_user(transactional_db: None, settings: Any) -> None:
    """Commits the user every test starts with; hashes passwords cheaply.

    Argon2 at the production cost would spend most of the run hashing the
    generated sign-ups' passwords.
    """
    del transactional_db
    settings.PASSWORD_HASHERS = ["users.tests.hashers.FastArgon2PasswordHasher"]
    UserFactory(id=ADA, email="ada@example.com")


schema = internal.load(
    application,
    dictionaries={"users": [ADA]},
    parameters={"path.user_id": {"dictionary": "users", "probability": 0.9}},
)


@schema.parametrize()
@support.HYPOTHESIS
def test_api(case, a_user):
    del a_user
    case.call_and_validate()


def test_linked_operations_statefully(a_user):
    del a_user
    internal.run_stateful(schema)
