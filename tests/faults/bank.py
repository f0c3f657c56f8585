"""Bank clients that insist until they get an answer, and their books.

Each :class:`Customer` is one signed-up user driven by one thread: random
credits, transfers to the other customers and withdrawals, each with an
``Idempotency-Key`` of its own. A request that gets no definitive answer
(a broken connection, a 5xx, 409 ``idempotency_key_in_flight`` or
``account_not_ready``, 429) is sent again with the SAME key and body,
after ``Retry-After`` or a growing pause, until the platform answers for
good: 2xx (applied, maybe a replay of the first answer) or another 4xx
(refused, e.g. 422 ``insufficient_funds``). The :class:`Books` keep every
definitive answer, so that the balances the platform ends with can be
explained by the answers the clients saw, and nothing else.
"""

import collections
import dataclasses
import random
import threading
import time
import traceback
import uuid
from decimal import Decimal

import httpx

from tests.e2e.helpers import PROBLEM_JSON, Member, amounts, split

CENT = Decimal("0.01")
OP_TIMEOUT = 180  # seconds one operation may take to get a definitive answer
CLIENT_TIMEOUT = 2.0
MAX_PAUSE = 2.0
RETRIED_CONFLICTS = {"idempotency_key_in_flight", "account_not_ready"}


def cents(value: int) -> str:
    """Formats minor units as the wire's decimal string."""
    return str(Decimal(value) * CENT)


@dataclasses.dataclass
class Customer:
    """A signed-up user, its main account and its savings plan.

    Attributes:
        member: The user and its tokens.
        main_account: The id of its USD main account.
        plan_percent: Its percentage plan's value (``"10.00"``), or None.
    """

    member: Member
    main_account: str
    plan_percent: str | None


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The definitive answer to one money operation.

    Attributes:
        kind: ``credit``, ``transfer`` or ``withdrawal``.
        key: Its Idempotency-Key.
        payer: Index of the customer who sent it.
        payee: Index of a transfer's recipient, else None.
        amount: In minor units.
        status: The definitive HTTP status.
        body: The answer's JSON body.
        replayed: Whether the answer was a replay (``Idempotent-Replayed``).
        attempts: How many times it was sent.
    """

    kind: str
    key: str
    payer: int
    payee: int | None
    amount: int
    status: int
    body: dict
    replayed: bool
    attempts: int

    @property
    def applied(self) -> bool:
        """Whether the platform says the money moved."""
        return 200 <= self.status < 300


class Books:
    """What every client saw, thread-safe.

    Attributes:
        outcomes: Every definitive answer.
        undecided: Operations that got none within ``OP_TIMEOUT``.
        retried: Answers that were not definitive, counted by reason.
        not_problems: Error answers that were not problem+json.
        crashed: Tracebacks of client threads that died.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self.undecided: list[str] = []
        self.retried: collections.Counter[str] = collections.Counter()
        self.not_problems: list[str] = []
        self.crashed: list[str] = []

    def record(self, outcome: Outcome) -> None:
        """Keeps a definitive answer."""
        with self._lock:
            self.outcomes.append(outcome)

    def retry(self, reason: str) -> None:
        """Counts an answer that was not definitive, by its reason."""
        with self._lock:
            self.retried[reason] += 1

    def applied_count(self) -> int:
        """How many operations were applied so far."""
        with self._lock:
            return sum(outcome.applied for outcome in self.outcomes)

    def expected_balances(
        self, customers: list[Customer]
    ) -> list[dict[str, int]]:
        """Each customer's ``{main, savings}`` from the applied answers.

        A credit splits by the customer's plan (the contract's
        round-half-even percentage), a transfer moves main to main, a
        withdrawal takes from main.
        """
        balances = [{"main": 0, "savings": 0} for _ in customers]
        for outcome in self.outcomes:
            if not outcome.applied:
                continue
            payer = balances[outcome.payer]
            if outcome.kind == "credit":
                percent = customers[outcome.payer].plan_percent
                for kind, part in plan_split(outcome.amount, percent).items():
                    payer[kind] += part
            elif outcome.kind == "transfer":
                payer["main"] -= outcome.amount
                balances[outcome.payee]["main"] += outcome.amount
            else:
                payer["main"] -= outcome.amount
        return balances


class Client:
    """One customer's thread: random operations until told to stop."""

    def __init__(
        self,
        gateway: str,
        customers: list[Customer],
        index: int,
        books: Books,
        seed: int,
    ) -> None:
        self.customers = customers
        self.index = index
        self.books = books
        self.random = random.Random(seed)  # noqa: S311 (test data)
        # A client gives up on an answer after CLIENT_TIMEOUT seconds, as
        # an impatient app would: a request it abandoned may still commit,
        # and its retry must then get the stored answer, not a second move.
        self.http = httpx.Client(
            base_url=gateway,
            timeout=CLIENT_TIMEOUT,
            headers=customers[index].member.auth,
        )

    def run(self, stop: threading.Event) -> None:
        """Operates until ``stop`` is set; the one in hand finishes."""
        try:
            while not stop.is_set():
                self.operate()
                time.sleep(0.05)
        except Exception:  # noqa: BLE001 (the test reports it)
            self.books.crashed.append(traceback.format_exc())
        finally:
            self.http.close()

    def operate(self) -> None:
        """One random credit, transfer or withdrawal, settled for good."""
        choice = self.random.random()
        if choice < 0.45:
            amount = self.random.randint(500, 6000)
            self.settle("credit", "/credits", amount, None, {})
        elif choice < 0.8:
            payee = self.random.choice(
                [i for i in range(len(self.customers)) if i != self.index]
            )
            self.settle(
                "transfer",
                "/transfers",
                self.random.randint(1, 2500),
                payee,
                {"to_account": self.customers[payee].main_account},
            )
        else:
            amount = self.random.randint(1, 1500)
            self.settle("withdrawal", "/withdrawals", amount, None, {})

    def settle(
        self, kind: str, path: str, amount: int, payee: int | None, extra: dict
    ) -> None:
        """Sends one operation until its answer is definitive.

        The key and the body never change between attempts, so the
        platform can recognise a retry of what it may already have done.
        """
        key = f"faults-{uuid.uuid4().hex}"
        body = {"amount": cents(amount), **extra}
        deadline = time.monotonic() + OP_TIMEOUT
        pause = 0.1
        attempts = 0
        while time.monotonic() < deadline:
            attempts += 1
            try:
                response = self.http.post(
                    path, json=body, headers={"Idempotency-Key": key}
                )
            except httpx.TransportError as error:
                self.books.retry(f"client {type(error).__name__}")
                wait = pause
            else:
                wait = self._retry_after(response, pause)
                if wait is None:
                    self._record(
                        kind=kind,
                        key=key,
                        amount=amount,
                        payee=payee,
                        response=response,
                        attempts=attempts,
                    )
                    return
            time.sleep(wait)
            pause = min(pause * 2, MAX_PAUSE)
        self.books.undecided.append(f"{kind} {key} {body}")

    def _retry_after(
        self, response: httpx.Response, pause: float
    ) -> float | None:
        """Seconds to wait before sending again, None when definitive."""
        status = response.status_code
        code = ""
        if response.headers.get("content-type", "").startswith(PROBLEM_JSON):
            code = response.json().get("code", "")
        elif status >= 400:
            self.books.not_problems.append(f"{status} {response.text[:200]}")
        retryable = (
            status >= 500
            or status == 429
            or (status == 409 and code in RETRIED_CONFLICTS)
        )
        if not retryable:
            return None
        hint = response.headers.get("Retry-After")
        self.books.retry(
            f"{status} {code}" + (" (Retry-After)" if hint else "")
        )
        if hint and hint.isdigit():
            return min(max(float(hint), 0.1), 5.0)
        return pause

    def _record(
        self,
        *,
        kind: str,
        key: str,
        amount: int,
        payee: int | None,
        response: httpx.Response,
        attempts: int,
    ) -> None:
        self.books.record(
            Outcome(
                kind=kind,
                key=key,
                payer=self.index,
                payee=payee,
                amount=amount,
                status=response.status_code,
                body=response.json(),
                replayed=response.headers.get("Idempotent-Replayed") == "true",
                attempts=attempts,
            )
        )


def plan_split(amount: int, percent: str | None) -> dict[str, int]:
    """A credit's ``{main, savings}`` in minor units under a plan.

    Args:
        amount: The credit, in minor units.
        percent: The percentage plan's value, or None for no plan.
    """
    if percent is None:
        return {"main": amount, "savings": 0}
    main, savings = split(cents(amount), percent)
    return {
        "main": int(Decimal(main) / CENT),
        "savings": int(Decimal(savings) / CENT),
    }


def credit_split(outcome: Outcome) -> dict[str, int]:
    """A credit answer's ``{account_kind: minor units}``."""
    splits = amounts(outcome.body["transaction"]["splits"])
    return {kind: int(Decimal(value) / CENT) for kind, value in splits.items()}
