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
explained by the answers the clients saw, and nothing else:
:func:`open_customers` starts the customers, :func:`api_balances` and
:func:`ledger_of` read what the platform ends with, and :func:`audit` says
in words where the two disagree (an operation lost, doubled, or never
told). The fault and the scale-out suites share all of it.
"""

import collections
import contextlib
import dataclasses
import random
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from decimal import Decimal

import httpx
import psycopg

from tests.conftest import manage
from tests.e2e.helpers import (
    PROBLEM_JSON,
    Member,
    amounts,
    sign_up,
    split,
    when_ready,
)
from tests.faults.signups import SignUps

CENT = Decimal("0.01")
OP_TIMEOUT = 180  # seconds one operation may take to get a definitive answer
CLIENT_TIMEOUT = 2.0
MAX_PAUSE = 2.0
RETRIED_CONFLICTS = {"idempotency_key_in_flight", "account_not_ready"}
PLAN = "Save 10%"
# The ledger's kind of each operation (a transfer: its sender's half).
JOURNAL_KIND = {"credit": "credit", "transfer": "transfer_out"}


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


def open_customers(gateway: str, count: int) -> list[Customer]:
    """Signs ``count`` users up; every other one takes the 10% plan."""
    customers = []
    with httpx.Client(base_url=gateway, timeout=30) as api:
        for index in range(count):
            member = sign_up(api)
            accounts = when_ready(
                lambda m=member: api.get("/accounts", headers=m.auth)
            )
            assert accounts.status_code == 200, accounts.text
            main = next(
                a["id"]
                for a in accounts.json()["results"]
                if a["kind"] == "main" and a["currency"] == "USD"
            )
            percent = None
            if index % 2 == 0:
                plans = api.get("/plans", headers=member.auth).json()["results"]
                plan = next(p for p in plans if p["name"] == PLAN)
                chosen = api.put(
                    "/me/plan",
                    json={"plan_id": plan["id"]},
                    headers=member.auth,
                )
                assert chosen.status_code == 200, chosen.text
                percent = plan["value"]
            customers.append(Customer(member, main, percent))
    return customers


def api_balances(
    gateway: str, customers: list[Customer]
) -> list[dict[str, int]]:
    """Every customer's USD balances as the public API shows them now."""
    found = []
    with httpx.Client(base_url=gateway, timeout=30) as api:
        for customer in customers:
            response = api.get("/balance", headers=customer.member.auth)
            assert response.status_code == 200, response.text
            body = response.json()
            found.append(
                {
                    kind: int(Decimal(body[kind]) / CENT)
                    for kind in ("main", "savings")
                }
            )
    return found


def ledger_of(accounting_db: str, holders: list[str]) -> dict:
    """What the accounting database holds for the customers.

    Returns:
        ``keyed``: ``{key: (kind, amount, transactions under it)}``;
        ``unkeyed``: their transactions without a key (but the receiving
        halves of transfers); ``transfers_in``: how many receiving halves;
        ``negative``: every account of any holder below zero.
    """
    with psycopg.connect(accounting_db) as conn:
        keyed = conn.execute(
            """
            SELECT k.key, min(t.kind), min(t.amount), count(DISTINCT t.id)
            FROM accounting_idempotencykey k
            JOIN accounting_transaction t ON t.id = k.transaction_id
            WHERE k.holder_id = ANY(%s::uuid[])
            GROUP BY k.key
            """,
            [holders],
        ).fetchall()
        unkeyed = conn.execute(
            """
            SELECT t.id, t.kind, t.amount
            FROM accounting_transaction t
            LEFT JOIN accounting_idempotencykey k ON k.transaction_id = t.id
            WHERE t.holder_id = ANY(%s::uuid[]) AND t.kind <> 'transfer_in'
              AND k.id IS NULL
            """,
            [holders],
        ).fetchall()
        transfers_in = conn.execute(
            """
            SELECT count(*) FROM accounting_transaction
            WHERE holder_id = ANY(%s::uuid[]) AND kind = 'transfer_in'
            """,
            [holders],
        ).fetchone()[0]
        negative = conn.execute(
            "SELECT id, kind, balance FROM accounting_account "
            "WHERE kind IN ('main', 'savings', 'pot') AND balance < 0"
        ).fetchall()
    return {
        "keyed": {key: (kind, amount, n) for key, kind, amount, n in keyed},
        "unkeyed": unkeyed,
        "transfers_in": transfers_in,
        "negative": negative,
    }


def audit_answers(books: Books, customers: list[Customer]) -> list[str]:
    """What is wrong with the answers the clients got, in words.

    Args:
        books: Every answer the clients saw, once they stopped.
        customers: The customers, in the books' order.

    Returns:
        One sentence per client that crashed, operation that never got a
        definitive answer, error that was not problem+json, refusal for
        another reason than funds, or credit answer whose split is not
        its plan's; empty when every answer is one the contract allows
        and some money moved.
    """
    findings = [f"CLIENT CRASHED: {trace}" for trace in books.crashed]
    findings += [f"NEVER ANSWERED: {what}" for what in books.undecided]
    findings += [f"NOT A PROBLEM: {what}" for what in books.not_problems]
    for outcome in books.outcomes:
        if not outcome.applied and (
            outcome.status != 422
            or outcome.body.get("code") != "insufficient_funds"
        ):
            findings.append(
                f"REFUSED: {outcome.kind} {outcome.key} answered "
                f"{outcome.status} {outcome.body}"
            )
        elif outcome.applied and outcome.kind == "credit":
            parts = plan_split(
                outcome.amount, customers[outcome.payer].plan_percent
            )
            shown = {kind: part for kind, part in parts.items() if part}
            if credit_split(outcome) != shown:
                findings.append(
                    f"SPLIT: credit {outcome.key} shows "
                    f"{credit_split(outcome)}, its plan makes {shown}"
                )
    if not any(outcome.applied for outcome in books.outcomes):
        findings.append("NOTHING APPLIED: no operation moved money")
    return findings


def audit(
    books: Books,
    customers: list[Customer],
    balances: list[dict[str, int]],
    ledger: dict,
) -> list[str]:
    """Where the platform disagrees with what its clients were told.

    Args:
        books: Every definitive answer the clients saw.
        customers: The customers, in the books' order.
        balances: Their balances now (:func:`api_balances`).
        ledger: Their ledger (:func:`ledger_of`).

    Returns:
        One sentence per disagreement, naming the operation (kind, key,
        customer, amount) that was lost, doubled, applied against a
        refusal, or never told to a client; empty when the ledger is
        exactly the applied answers.
    """
    findings = []
    told = {outcome.key: outcome for outcome in books.outcomes}
    for outcome in books.outcomes:
        what = (
            f"{outcome.kind} {outcome.key} of customer {outcome.payer} "
            f"({cents(outcome.amount)} USD, answered {outcome.status} after "
            f"{outcome.attempts} attempt(s))"
        )
        found = ledger["keyed"].get(outcome.key)
        if outcome.applied and found is None:
            findings.append(f"LOST: {what} is not in the ledger")
        elif outcome.applied and found[2] != 1:
            findings.append(f"DOUBLED: {what} is {found[2]} transactions")
        elif outcome.applied:
            kind = JOURNAL_KIND.get(outcome.kind, outcome.kind)
            if found[:2] != (kind, outcome.amount):
                findings.append(f"ALTERED: {what} is booked as {found[:2]}")
        elif found is not None:
            findings.append(f"APPLIED THOUGH REFUSED: {what} is {found}")
    for key, found in ledger["keyed"].items():
        if key not in told:
            findings.append(f"NEVER TOLD: key {key} is in the ledger: {found}")
    findings.extend(
        f"NEVER TOLD: transaction without a key {row}"
        for row in ledger["unkeyed"]
    )
    transfers = sum(o.kind == "transfer" and o.applied for o in books.outcomes)
    if ledger["transfers_in"] != transfers:
        findings.append(
            f"TRANSFERS: {ledger['transfers_in']} received halves for "
            f"{transfers} applied transfers"
        )
    findings.extend(f"NEGATIVE: account {row}" for row in ledger["negative"])
    expected = books.expected_balances(customers)
    for index, (want, have) in enumerate(zip(expected, balances, strict=True)):
        if want != have:
            findings.append(
                f"BALANCE: customer {index} has {have} (minor units), the "
                f"answers add up to {want}"
            )
    return findings


def assert_books_kept(
    books: Books,
    customers: list[Customer],
    *,
    gateway: str,
    accounting_db: str,
    env: dict[str, str],
) -> None:
    """Asserts the platform kept exactly what its clients were told.

    Every answer agrees with the others (:func:`audit_answers`); every
    balance is what the answers add up to, one ledger transaction per
    applied key, none for a refused key, none the clients were not told
    about (:func:`audit`); and ``verify_ledger`` holds.
    """
    wrong = audit_answers(books, customers)
    assert not wrong, "wrong answers:\n" + "\n".join(wrong)
    holders = [customer.member.id for customer in customers]
    findings = audit(
        books,
        customers,
        api_balances(gateway, customers),
        ledger_of(accounting_db, holders),
    )
    assert not findings, "the ledger disagrees with the clients:\n" + (
        "\n".join(findings)
    )
    verified = manage(env, "accounting", "verify_ledger")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "all hold" in verified.stdout


@contextlib.contextmanager
def traffic(
    gateway: str,
    customers: list[Customer],
    books: Books,
    signups: SignUps,
    *,
    seed: int,
    join_timeout: float,
) -> Iterator[list[threading.Thread]]:
    """Runs a client per customer and the sign-ups for the ``with`` block.

    Yields:
        Their threads, told to stop and joined (for ``join_timeout`` s
        each) when the block ends: the caller asserts none is left alive.
    """
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=Client(gateway, customers, index, books, seed + index).run,
            args=(stop,),
        )
        for index in range(len(customers))
    ]
    threads.append(threading.Thread(target=signups.run, args=(stop,)))
    for thread in threads:
        thread.start()
    try:
        yield threads
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=join_timeout)
