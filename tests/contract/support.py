"""Schemathesis against any of the platform's APIs: settings, rules, runs.

The two internal APIs (in process, ``tests/contract/internal.py``) and the
public gateway (on the real stack, ``tests/e2e/test_88_contract.py``) are
tested the same way: every operation of the schema the service serves gets
schema examples, coverage cases and generated positive and negative
requests, and a state machine follows the schema's OpenAPI links. Every
check runs; two built-in checks are narrowed. ``positive_data_acceptance``
expects a schema-valid request to succeed, and a few refusals of
schema-valid requests come from business rules that no JSON Schema can
express (funds, the clock, another field's value, state). Each API lists
those per operation (:class:`BusinessRule`, the shared ones in
``tests/contract/rules.py``), with the reason beside each; any other
refusal of valid data still fails. ``ensure_resource_availability``
expects what a POST created to be there: not when the POST was an
idempotent replay of a creation whose resource was deleted since.

Nothing here imports a service or needs Django settings.
"""

import collections
import contextlib
import dataclasses
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import schemathesis
from django.core import validators
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as hypothesis_strategies
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis import engine
from schemathesis.engine import events
from schemathesis.openapi.checks import (
    EnsureResourceAvailability,
    RejectedPositiveData,
)
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    positive_data_acceptance,
)

from config import money, timeparse

# Hypothesis imports its regex strategies on first use. Under pytest that
# import is rewritten (hypothesis is a pytest plugin), and CPython 3.11's
# parser can fail ("AST constructor recursion depth mismatch") when it runs
# at the depth where Schemathesis first generates a pattern-constrained
# string. Importing them here, at the top of the stack, avoids it.
hypothesis_strategies.from_regex(r"\A\Z").validate()

# What a scenario, or a whole run, happens inside.
Context = Callable[[], contextlib.AbstractContextManager[Any]]

# Bounded runs: each operation gets its examples and coverage cases plus
# this many generated ones; each stateful run this many scenarios.
MAX_EXAMPLES = 25
STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 6
STATEFUL_ATTEMPTS = 3
# What marks an answer replayed for its Idempotency-Key (lowercase, as
# Schemathesis keeps response headers).
REPLAYED_HEADER = "idempotent-replayed"

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


@schemathesis.check
def ensure_resource_availability_but_replays(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """A resource just created is there, unless replayed or left since.

    Runs Schemathesis's ``ensure_resource_availability`` (disabled in the
    configuration, as this replaces it) and excuses a 404 that names what
    the body names, not the resource (adding a member by an email nobody
    has: ``user_not_found``), and two business rules: a
    creation sent again with its ``Idempotency-Key`` replays the first
    answer (``Idempotent-Replayed: true``), which names what the first
    request created, and that may have been deleted since (a goal); and a
    successful DELETE below the resource (leaving a group: ``DELETE
    .../groups/{id}/membership``) ends the caller's view of it, where
    Schemathesis only counts a DELETE of the resource or above it.
    """
    try:
        return ensure_resource_availability(ctx, response, case)
    except EnsureResourceAvailability:
        if _problem_code(response) in _NOT_THE_RESOURCE:
            return None
        parent = ctx.internals.find_parent(case_id=case.id)
        created = ctx.internals.find_response(case_id=parent.id)
        if created.headers.get(REPLAYED_HEADER) == ["true"]:
            return None
        recorder = ctx.internals.recorder
        if recorder is not None and _deleted_below(recorder, case):
            return None
        raise


# 404s about what a request's body names, never about its path.
_NOT_THE_RESOURCE = frozenset({"user_not_found"})


def _problem_code(response: Any) -> str | None:
    """The ``code`` of a problem answer, if it is one."""
    try:
        document = response.json()
    except ValueError:
        return None
    return document.get("code") if isinstance(document, dict) else None


def _deleted_below(recorder: Any, case: Any) -> bool:
    """Whether a successful DELETE of a path below the case's was made."""
    below = case.formatted_path.rstrip("/") + "/"
    for prior in recorder.find_all_cases():
        if prior.operation.method.upper() != "DELETE":
            continue
        answered = recorder.find_response(case_id=prior.id)
        if (
            answered is not None
            and 200 <= answered.status_code < 300
            and prior.formatted_path.startswith(below)
        ):
            return True
    return False


def _problem_code(response: Any) -> str | None:
    """Returns the ``code`` of a problem response, if it is one."""
    try:
        return json.loads(response.content)["code"]
    except (ValueError, KeyError, TypeError):
        return None


def _body(case: Any) -> dict[str, Any]:
    """Returns a case's JSON object body, or an empty one."""
    return case.body if isinstance(case.body, dict) else {}


def amount_beyond_currency(
    field: str, currency: Callable[[Any], str | None]
) -> Callable[[Any], bool]:
    """Returns whether a request's amount is one its currency refuses.

    The schema documents amounts for the currency with the most decimals;
    a currency with fewer refuses the extra ones, and JSON numbers written
    with an exponent are refused whatever their value (the README's money
    rules). Neither is a property of the amount alone.

    Args:
        field: The amount's body field.
        currency: Returns the currency the amount is read in, or None
            when only the server knows it (a goal's, a group's).
    """

    def applies(case: Any) -> bool:
        body = _body(case)
        return field in body and _beyond(body[field], currency(case))

    return applies


def _beyond(value: Any, code: str | None) -> bool:
    """Whether an amount has more decimals than its currency takes.

    ``code`` None: the currency only the server knows (any decimal may be
    one too many).
    """
    if not isinstance(value, str):
        written = json.dumps(value)
        if "e" in written.lower():
            return True
        value = written
    places = -decimal.Decimal(value).as_tuple().exponent
    if code is None:
        return places > 0
    return places > money.exponent(code)


def _items(case: Any) -> list[dict[str, Any]]:
    """A batch's items that are objects."""
    items = _body(case).get("items")
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict)]


def item_amounts_beyond_currency(case: Any) -> bool:
    """Whether a batch's item has more decimals than its own currency."""
    return any(
        _beyond(item["amount"], str(item.get("currency")).upper())
        for item in _items(case)
        if "amount" in item
        and str(item.get("currency")).upper() in money.CURRENCY_EXPONENTS
    )


def items_repeat(field: str) -> Callable[[Any], bool]:
    """Returns whether two items of a batch have the same ``field``."""

    def applies(case: Any) -> bool:
        values = [item.get(field) for item in _items(case)]
        return len(values) != len(set(map(str, values)))

    return applies


def events_beyond(allowed: Iterable[str]) -> Callable[[Any], bool]:
    """Returns whether a request's ``events`` name one beyond ``allowed``."""
    allowed = frozenset(allowed)

    def applies(case: Any) -> bool:
        events = _body(case).get("events")
        return isinstance(events, list) and bool(
            set(map(str, events)) - allowed
        )

    return applies


def item_user_unnamed(case: Any) -> bool:
    """Whether an item's user is neither a UUID nor an email address."""
    for item in _items(case):
        user = str(item.get("user", "")).strip()
        try:
            uuid.UUID(user)
        except ValueError:
            try:
                validators.validate_email(user)
            except ValidationError:
                return True
    return False


def date_before_today(field: str) -> Callable[[Any], bool]:
    """Returns whether a request's date field is before today (UTC)."""

    def applies(case: Any) -> bool:
        value = _body(case).get(field)
        return isinstance(value, str) and (
            dt.date.fromisoformat(value)
            < dt.datetime.now(dt.timezone.utc).date()
        )

    return applies


def instant_after_now(field: str) -> Callable[[Any], bool]:
    """Returns whether a request's instant (or date) field is after now."""

    def applies(case: Any) -> bool:
        value = _body(case).get(field)
        try:
            at = timeparse.parse_instant(value)
        except timeparse.InstantError:
            return False
        return at > dt.datetime.now(dt.timezone.utc)

    return applies


def body_currency(
    field: str = "currency", *, default: Callable[[], str]
) -> Callable[[Any], str]:
    """Returns the currency a body names, or the deployment's default.

    Args:
        field: The body member that names it.
        default: Returns the deployment's default currency.
    """

    def read(case: Any) -> str:
        value = _body(case).get(field)
        if isinstance(value, str):
            return value.upper()
        return default()

    return read


def in_body_or_stored(case: Any) -> str | None:
    """The currency a body names; None: the goal's or group's (state)."""
    value = _body(case).get("currency")
    return value.upper() if isinstance(value, str) else None


def config(
    *,
    auth: Mapping[str, Any] | None = None,
    dictionaries: Mapping[str, list[str]] | None = None,
    parameters: Mapping[str, Any] | None = None,
    operations: Iterable[Mapping[str, Any]] = (),
    workers: int = 1,
) -> schemathesis.Config:
    """The Schemathesis configuration every API is tested with.

    Args:
        auth: Credentials per security scheme of the schema
            (``{"serviceToken": {"api_key": ...}}``), so that the
            ``ignored_auth`` check can leave them out or spoil them; none
            when a registered auth provider sets them.
        dictionaries: Named lists of real values (ids) for parameters.
        parameters: Schemathesis parameter bindings (``path.user_id``...).
        operations: Per-operation overrides (``include-name`` and their
            ``parameters``).
        workers: Operations :func:`run` tests at once.

    Returns:
        Bounded examples, all checks (``positive_data_acceptance``
        narrowed by the registered business rules,
        ``ensure_resource_availability`` by idempotent replays), stateful
        scenarios along the schema's own links.
    """
    return schemathesis.Config.from_dict(
        {
            **({"auth": {"openapi": dict(auth)}} if auth else {}),
            "dictionaries": {
                name: {"values": values}
                for name, values in (dictionaries or {}).items()
            },
            "parameters": dict(parameters or {}),
            "operations": [dict(each) for each in operations],
            # Nothing kept between runs (they would replay against other
            # data): no Hypothesis database, no Schemathesis cache.
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "cache": {"enabled": False},
            "phases": {
                "stateful": {
                    # For :func:`run`; pytest's runs set their own.
                    "generation": {"max-examples": STATEFUL_SCENARIOS},
                    "max-steps": STATEFUL_STEPS,
                    # The schema's own links only: Schemathesis's guesses
                    # (a holder id from a plan list) would crowd them out
                    # as entry points.
                    "inference": {"algorithms": []},
                }
            },
            # Replaced by the checks above that excuse business rules.
            "checks": {
                "positive_data_acceptance": {"enabled": False},
                "ensure_resource_availability": {"enabled": False},
            },
            "workers": workers,
        }
    )


def run_stateful(
    schema: Any,
    scenario: Context = contextlib.nullcontext,
    *,
    around: Context = contextlib.nullcontext,
) -> None:
    """Runs scenarios that follow the schema's OpenAPI links.

    Each scenario chains up to :data:`STATEFUL_STEPS` calls, feeding each
    from an earlier answer (a goal created, then read by its id); every
    check runs on every answer.

    Args:
        schema: The loaded schema.
        scenario: What each scenario runs inside, entered before its first
            call and left after its last (a transaction rolled back, so
            that every scenario starts from the same data; the member the
            calls are made as).
        around: What the whole run happens inside.
    """

    class Scenario(schema.as_state_machine()):
        def setup(self) -> None:
            self.scenario = scenario()
            self.scenario.__enter__()

        def teardown(self) -> None:
            self.scenario.__exit__(None, None, None)

    bounded = hypothesis_settings(
        Scenario.TestCase.settings,
        max_examples=STATEFUL_SCENARIOS,
        stateful_step_count=STATEFUL_STEPS,
        deadline=None,
        database=None,
    )
    for attempt in range(1, STATEFUL_ATTEMPTS + 1):
        try:
            with around():
                Scenario.run(settings=bounded)
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


@dataclasses.dataclass
class Run:
    """What a run of Schemathesis's own engine found and did.

    Attributes:
        failures: Each failed check or error: phase, operation, what
            failed and how to reproduce it.
        answered: Per phase, how many answers each operation gave.
        links: The OpenAPI links the stateful phase could follow.
        statuses: How many answers had each status.
    """

    failures: list[str] = dataclasses.field(default_factory=list)
    answered: dict[str, collections.Counter[str]] = dataclasses.field(
        default_factory=dict
    )
    links: int = 0
    statuses: collections.Counter[int] = dataclasses.field(
        default_factory=collections.Counter
    )


def run(schema: Any) -> Run:
    """Runs every phase on a schema, as Schemathesis's command line does.

    Examples, coverage cases, generated requests and stateful scenarios
    along the links, every check on every answer (the schema's
    configuration, :func:`config`). For an API that runs elsewhere (the
    gateway on the real stack): its schema exists only once the stack
    runs, after pytest has collected its tests, and Schemathesis 4.32's
    loader for that (``schemathesis.pytest.from_fixture``) does not run
    under pytest 9, so one test runs them all through Schemathesis's own
    engine and lists what failed.

    Returns:
        What it found, for the test to assert on.
    """
    result = Run()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted) and isinstance(
            event.payload, events.StatefulPhasePayload
        ):
            result.links = event.payload.transitions_selected
        elif isinstance(event, events.ScenarioFinished):
            _record(result, event)
        elif isinstance(event, events.NonFatalError):
            result.failures.append(
                f"{event.phase} {event.label}: {event.info.format()}"
            )
        elif isinstance(event, events.FatalError):
            raise event.exception
    return result


def _record(result: Run, event: Any) -> None:
    """Adds one scenario's answers and failed checks to the result."""
    phase = str(event.phase)
    recorder = event.recorder
    for case_id, interaction in recorder.interactions.items():
        node = recorder.cases.get(case_id)
        if interaction.response is not None and node is not None:
            result.statuses[interaction.response.status_code] += 1
            label = node.value.operation.label
            result.answered.setdefault(phase, collections.Counter())[label] += 1
    for case_id, checks in recorder.checks.items():
        interaction = recorder.interactions.get(case_id)
        response = interaction and interaction.response
        answer = (
            f"[{response.status_code}] {response.content[:500]!r}"
            if response is not None
            else "(no answer)"
        )
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            result.failures.append(
                f"{phase} {failure.operation} [{check.name}] "
                f"{failure.title}\n{failure.message}\n{answer}\n"
                f"{check.failure_info.code_sample}"
            )
