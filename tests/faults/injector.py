"""The faults, on a fixed schedule, and proof the platform recovers from each.

A :class:`Fault` does one bad thing to the running platform: SIGKILL a
Procfile process (the supervisor must restart it), SIGKILL one gunicorn
worker (its master must replace it), freeze a service with SIGSTOP for a
few seconds, restart the private PostgreSQL (``fast`` or ``immediate``) or
RabbitMQ (the broker application, or the whole node killed). Every outage
is bounded (a few seconds) and the schedule is a fixed list, so a run is
bounded in count and time. After each fault :func:`recover` waits until the
platform serves again: what was killed runs under a new pid, the gateway's
``/readyz`` answers 200, and the clients get money moving again.
"""

import dataclasses
import os
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.conftest import alive, children, gateway_ready, wait_until
from tests.faults import supervision

if TYPE_CHECKING:
    from tests.faults.conftest import FaultPlatform

RECOVERY_TIMEOUT = 120
OUTAGE_SECONDS = 3
FREEZE_SECONDS = 4


@dataclasses.dataclass(frozen=True)
class Fault:
    """One fault.

    Attributes:
        name: What it does, for the report.
        inject: Does it to the platform (returns when the outage is over).
        restarts: The Procfile process the supervisor must bring back.
    """

    name: str
    inject: Callable[["FaultPlatform"], None]
    restarts: str | None = None


def kill(name: str) -> Fault:
    """SIGKILLs Procfile process ``name``; the supervisor restarts it."""

    def inject(platform: "FaultPlatform") -> None:
        os.kill(platform.pid(name), signal.SIGKILL)

    return Fault(f"SIGKILL {name}", inject, restarts=name)


def kill_web_worker(name: str) -> Fault:
    """SIGKILLs one worker of gunicorn ``name``; its master replaces it."""

    def inject(platform: "FaultPlatform") -> None:
        master = platform.pid(name)
        workers = children(master)
        assert workers, f"{name} has no worker"
        os.kill(workers[0], signal.SIGKILL)
        wait_until(
            lambda: (
                workers[0] not in children(master)
                and len(children(master)) == len(workers)
            ),
            timeout=RECOVERY_TIMEOUT,
            what=f"{name}'s master to replace its worker",
        )
        assert platform.pid(name) == master, "the master itself restarted"

    return Fault(f"SIGKILL one {name} gunicorn worker", inject)


def freeze(name: str, seconds: float = FREEZE_SECONDS) -> Fault:
    """SIGSTOPs ``name`` with its workers, then SIGCONTs them."""

    def inject(platform: "FaultPlatform") -> None:
        group = platform.pid(name)  # each process leads its own group
        os.killpg(group, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.killpg(group, signal.SIGCONT)

    return Fault(f"SIGSTOP {name} for {seconds:g}s", inject)


def postgres_restart(mode: str) -> Fault:
    """Stops the private PostgreSQL (``fast``/``immediate``), then starts."""

    def inject(platform: "FaultPlatform") -> None:
        platform.postgres.stop(mode)
        try:
            time.sleep(OUTAGE_SECONDS)
        finally:
            platform.postgres.start()

    return Fault(f"PostgreSQL stop -m {mode}, {OUTAGE_SECONDS}s down", inject)


def broker_app_restart() -> Fault:
    """Stops the private RabbitMQ's broker inside its node, then starts it."""

    def inject(platform: "FaultPlatform") -> None:
        platform.rabbitmq.stop_app()
        try:
            time.sleep(OUTAGE_SECONDS)
        finally:
            platform.rabbitmq.start_app()

    return Fault(f"RabbitMQ stop_app, {OUTAGE_SECONDS}s down", inject)


def broker_node_crash() -> Fault:
    """SIGKILLs the private RabbitMQ node, then starts it again."""

    def inject(platform: "FaultPlatform") -> None:
        platform.rabbitmq.kill()
        try:
            time.sleep(OUTAGE_SECONDS)
        finally:
            platform.rabbitmq.start()

    return Fault(f"RabbitMQ node SIGKILL, {OUTAGE_SECONDS}s down", inject)


SCHEDULE = (
    kill("worker"),
    kill_web_worker("accounting"),
    kill("accounting"),
    broker_app_restart(),
    postgres_restart("fast"),
    kill("users_worker"),
    freeze("accounting"),
    postgres_restart("immediate"),
    kill("gateway"),
    broker_node_crash(),
    kill("beat"),
    kill("users"),
)


def recover(
    platform: "FaultPlatform",
    fault: Fault,
    old_pid: int | None,
    progress: Callable[[], int],
) -> None:
    """Waits until the platform serves again after ``fault``.

    Args:
        platform: The running platform.
        fault: The fault just injected.
        old_pid: The pid ``fault.restarts`` had before, if it names one.
        progress: Returns how many operations were applied so far.
    """
    if fault.restarts is not None:
        name = fault.restarts

        def restarted() -> bool:
            pid = platform.pid(name)
            return pid != old_pid and alive(pid)

        wait_until(
            restarted,
            timeout=RECOVERY_TIMEOUT,
            what=f"the supervisor to restart {name}",
        )
        died = supervision.deaths(platform.log(), name)
        assert any(pid == old_pid for pid, *_ in died), died
    wait_until(
        lambda: gateway_ready(platform.origin),
        timeout=RECOVERY_TIMEOUT,
        what=f"/readyz after {fault.name}",
    )
    applied = progress()
    wait_until(
        lambda: progress() > applied,
        timeout=RECOVERY_TIMEOUT,
        what=f"money to move again after {fault.name}",
    )


def run_schedule(
    platform: "FaultPlatform",
    schedule: tuple[Fault, ...],
    *,
    gap: float,
    progress: Callable[[], int],
) -> list[tuple[str, float]]:
    """Injects each fault in turn, with ``gap`` seconds of calm before.

    Returns:
        ``(fault, seconds until the platform served again)`` for each.
    """
    report = []
    for fault in schedule:
        time.sleep(gap)
        old_pid = platform.pid(fault.restarts) if fault.restarts else None
        began = time.monotonic()
        fault.inject(platform)
        recover(platform, fault, old_pid, progress)
        report.append((fault.name, time.monotonic() - began))
    return report
