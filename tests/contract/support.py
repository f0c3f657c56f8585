"""Schemathesis against an internal API: loading, settings, business rules.

Both internal APIs are tested the same way: the schema they serve is
loaded from the service's own WSGI application (in process, on the test
database), every operation gets schema examples, coverage cases and
generated positive and negative requests, and a state machine follows the
schema's OpenAPI links. Every check runs; one built-in check is narrowed:
``positive_data_acceptance`` expects a schema-valid request to succeed, and
a few refusals of schema-valid requests come from business rules that no
JSON Schema can express (funds, the clock, another field's value, state).
Each service lists those per operation (:class:`BusinessRule`), with the
reason beside it; any other refusal of valid data still fails.
"""

import contextlib
import dataclasses
import datetime as dt
import decimal
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config import money
from config.service_auth import service_headers

SCHEMA_PATH = "/internal/v1/schema/"

# Bounded runs: each operation gets its examples and coverage cases plus
# this many generated ones; each stateful run this many scenarios.
MAX_EXAMPLES = 25
STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 6
STATEFUL_ATTEMPTS = 3

# For the tests' own functions: one database per test (every example of an
# operation shares it), no deadline (a slow CI machine is no failure) and
# no examples kept between runs (they would replay against other data).
HYPOTHESIS = hypothesis_settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@dataclasses.dataclass(frozen=True)
class BusinessRule:
    """A refusal of schema-valid data by a rule no schema can express.

    Attributes:
        status: The status of the refusal.
        code: Its problem code.
        why: Why no schema can express the rule: every exclusion says
            so beside it.
        applies: Whether the rule can have refused this request; a refusal
            it cannot explain still fails.
    """

    status: int
    code: str
    why: str
    applies: Callable[[Any], bool] = lambda case: True


_RULES: dict[str, tuple[BusinessRule, ...]] = {}


def business_rules(rules: Mapping[str, Iterable[BusinessRule]]) -> None:
    """Registers the business rules of operations, by operation label."""
    _RULES.update({label: tuple(each) for label, each in rules.items()})


@schemathesis.check
def positive_data_acceptance_but_business_rules(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """Schema-valid data is accepted, or refused by a listed business rule.

    Runs Schemathesis's ``positive_data_acceptance`` (disabled in the
    configuration, as this replaces it) and excuses only the refusals an
    operation's :class:`BusinessRule` explains.
    """
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        code = _problem_code(response)
        for rule in _RULES.get(case.operation.label, ()):
            matches = (rule.status, rule.code) == (response.status_code, code)
            if matches and rule.applies(case):
                return None
        raise


def _problem_code(response: Any) -> str | None:
    """Returns the ``code`` of a problem response, if it is one."""
    try:
        return json.loads(response.content)["code"]
    except (ValueError, KeyError, TypeError):
        return None


def amount_beyond_currency(
    field: str, currency: Callable[[Any], str | None]
) -> Callable[[Any], bool]:
    """Returns whether a request's amount is one its currency refuses.

    The schema documents amounts for the currency with the most decimals;
    a currency with fewer refuses the extra ones, and JSON numbers written
    with an exponent are refused whatever their value (``API.md``'s money
    rules). Neither is a property of the amount alone.

    Args:
        field: The amount's body field.
        currency: Returns the currency the amount is read in, or None
            when only the server knows it (a goal's, a group's).
    """

    def applies(case: Any) -> bool:
        body = case.body if isinstance(case.body, dict) else {}
        if field not in body:
            return False
        value = body[field]
        if not isinstance(value, str):
            written = json.dumps(value)
            if "e" in written.lower():
                return True
            value = written
        places = -decimal.Decimal(value).as_tuple().exponent
        code = currency(case)
        if code is None:
            return places > 0
        return places > money.exponent(code)

    return applies


def date_before_today(field: str) -> Callable[[Any], bool]:
    """Returns whether a request's date field is before today (UTC)."""

    def applies(case: Any) -> bool:
        body = case.body if isinstance(case.body, dict) else {}
        value = body.get(field)
        return isinstance(value, str) and (
            dt.date.fromisoformat(value) < timezone.now().date()
        )

    return applies


def body_currency(field: str = "currency") -> Callable[[Any], str]:
    """Returns the currency a body names, or the deployment's default."""

    def read(case: Any) -> str:
        body = case.body if isinstance(case.body, dict) else {}
        value = body.get(field)
        if isinstance(value, str):
            return value.upper()
        return settings.DEFAULT_CURRENCY

    return read


@contextlib.contextmanager
def _connection_kept() -> Iterator[None]:
    """Keeps the database connection open across requests, as in tests.

    Django closes a connection that is not in autocommit mode when a
    request starts or ends; a scenario's transaction must outlive its
    requests. Django's own test client disconnects the same handler.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def run_stateful(schema: Any) -> None:
    """Runs scenarios that follow the schema's OpenAPI links.

    Each scenario chains up to :data:`STATEFUL_STEPS` calls, feeding each
    from an earlier answer (a goal created, then read by its id); every
    check runs on every answer. Each scenario runs in a transaction rolled
    back at its end, after the checks PostgreSQL defers to a commit, so
    that every scenario starts from the same data: Hypothesis chooses each
    step from the answers before it, and must meet the same answers when
    it replays a scenario.
    """

    class Scenario(schema.as_state_machine()):
        def setup(self) -> None:
            self.scenario_transaction = transaction.atomic()
            self.scenario_transaction.__enter__()

        def teardown(self) -> None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            finally:
                transaction.set_rollback(True)
                self.scenario_transaction.__exit__(None, None, None)

    scenarios = hypothesis_settings(
        Scenario.TestCase.settings,
        max_examples=STATEFUL_SCENARIOS,
        stateful_step_count=STATEFUL_STEPS,
        deadline=None,
        database=None,
    )
    for attempt in range(1, STATEFUL_ATTEMPTS + 1):
        try:
            with _connection_kept():
                Scenario.run(settings=scenarios)
        except FlakyStrategyDefinition:
            # Schemathesis flips some of a step's coins with true
            # randomness (its own runner tolerates this), so Hypothesis may
            # see a scenario it already ran draw differently. No check
            # failed: run the scenarios again (a check that fails is a
            # FailureGroup, or a FlakyFailure, and stops the test).
            if attempt == STATEFUL_ATTEMPTS:
                raise
        else:
            return


def load(
    application: Callable[..., Any],
    *,
    dictionaries: Mapping[str, list[str]] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Any:
    """Loads an internal API's schema from its WSGI application.

    Args:
        application: The service's WSGI application.
        dictionaries: Named lists of real values (ids) for parameters.
        parameters: Schemathesis parameter bindings (``path.user_id``...).

    Returns:
        The schema, configured: the service credential on every request,
        bounded examples, all checks (``positive_data_acceptance``
        narrowed by :data:`_RULES`). The schema itself is read with the
        credential too.
    """
    headers = service_headers(settings.INTERNAL_API_TOKEN)
    config = schemathesis.Config.from_dict(
        {
            # The credential as the schema's security scheme, so that the
            # ignored_auth check can leave it out or spoil it.
            "auth": {
                "openapi": {
                    "serviceToken": {"api_key": headers["Authorization"]}
                }
            },
            "dictionaries": {
                name: {"values": values}
                for name, values in (dictionaries or {}).items()
            },
            "parameters": dict(parameters or {}),
            "generation": {"max-examples": MAX_EXAMPLES},
            "phases": {
                "stateful": {
                    "max-steps": STATEFUL_STEPS,
                    # The schema's own links only: Schemathesis's guesses
                    # (a holder id from a plan list) would crowd them out
                    # as entry points.
                    "inference": {"algorithms": []},
                }
            },
            "checks": {"positive_data_acceptance": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_wsgi(
        SCHEMA_PATH, application, config=config, headers=headers
    )
