"""CPU time per request, by tier, for ``make bench``.

Credits per second say how fast the stack is, not where its time goes. On
a machine of two cores the question a target not met raises (issue 10) is
which process spends the cores, and what is left idle. This answers it
without a profiler and in the same run: every process's CPU time (utime +
stime of ``/proc/<pid>/stat``, which covers all of its threads) is read
just before and just after a load step, and the caller divides the
difference by the requests the step completed.

The processes, by tier:

- The stack: every descendant of the supervisor (``scripts/procs.py``),
  named by the command line of the nearest ancestor that says what it is
  (uvicorn's workers are spawned by multiprocessing and say nothing of
  themselves; gunicorn's are forks of their master).
- PostgreSQL: the backends connected to the benchmark's databases
  (``pg_stat_activity``), and apart from them the server's own processes
  (postmaster, WAL writer, checkpointer, ...), which serve every database.
- Redis (its INFO names its pid) and RabbitMQ (``beam.smp`` and its
  children): whole servers.
- The load generator, a child of this process: ``getrusage`` of the
  children reaped during the step, which is wrk alone.

A process that appears during the step counts from zero; one that exits
during it is lost. The shared servers' figures include whatever else used
them in the same seconds. What no tier spent is shown too, so the rows add
up to the machine's busy time (``/proc/stat``): the other processes (by
name: on a shared machine, someone else's work) and the kernel's interrupt
handling (irq, softirq: much of loopback TCP), which no process is charged
for.
"""

import dataclasses
import os
import resource
from pathlib import Path

import psycopg
import redis

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")

# Tiers in the order they are reported.
GATEWAY = "gateway"
ACCOUNTING = "accounting"
USERS = "users"
WORKERS = "workers (Celery)"
SUPERVISOR = "supervisor"
POSTGRES = "PostgreSQL backends"
POSTGRES_SHARED = "PostgreSQL server processes"
REDIS = "Redis"
RABBITMQ = "RabbitMQ"
LOAD = "wrk"
OTHER = "other processes"
INTERRUPTS = "interrupts (irq, softirq)"
TIERS = (
    GATEWAY,
    ACCOUNTING,
    USERS,
    WORKERS,
    SUPERVISOR,
    POSTGRES,
    POSTGRES_SHARED,
    REDIS,
    RABBITMQ,
    LOAD,
)
# Tiers that are whole servers, shared with whatever else runs.
SHARED = (POSTGRES_SHARED, REDIS, RABBITMQ)

# A stack process's tier: (program, module) both in its command line. The
# Procfile's lines ``exec`` their server, so the supervisor's children are
# the servers themselves.
STACK_RULES = (
    ("celery", "config.celery", WORKERS),
    ("uvicorn", "config.integration", GATEWAY),
    ("gunicorn", "config.accounting", ACCOUNTING),
    ("gunicorn", "config.users", USERS),
)

_BACKENDS_SQL = (
    "SELECT pid, datname IS NOT NULL FROM pg_stat_activity "
    "WHERE datname = ANY(%s) OR datname IS NULL"
)


@dataclasses.dataclass(frozen=True)
class _Process:
    ppid: int
    comm: str
    ticks: int


@dataclasses.dataclass(frozen=True)
class Sample:
    """CPU time at one instant: ticks by pid and tier, and the machine's.

    Processes of no tier are ``OTHER``; ``names`` has their names.
    """

    ticks: dict[int, tuple[str, int]]
    names: dict[int, str]
    children_seconds: float
    machine_ticks: int
    interrupt_ticks: int


@dataclasses.dataclass(frozen=True)
class Spent:
    """CPU seconds spent between two samples.

    Attributes:
        tiers: By tier, ``OTHER`` and ``INTERRUPTS`` included.
        others: The other processes' by name.
        machine: Every core's busy time.
    """

    tiers: dict[str, float]
    others: dict[str, float]
    machine: float


def _processes() -> dict[int, _Process]:
    """Reads every process's parent, name and CPU ticks from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone since the listing
            continue
        # The name, in parentheses, may hold spaces: split after it.
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = _Process(
            ppid=int(fields[1]),
            comm=comm,
            ticks=int(fields[11]) + int(fields[12]),  # utime + stime
        )
    return found


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _stack_tier(pid: int, inherited: str) -> str:
    command = _command_line(pid)
    for program, module, tier in STACK_RULES:
        if program in command and module in command:
            return tier
    return inherited


def _descendants(
    processes: dict[int, _Process], root: int, tier: str, labelled: bool
) -> dict[int, str]:
    """Labels ``root`` and its descendants; stack ones by command line."""
    children: dict[int, list[int]] = {}
    for pid, process in processes.items():
        children.setdefault(process.ppid, []).append(pid)
    tiers = {}
    pending = [(root, tier)]
    while pending:
        pid, inherited = pending.pop()
        own = _stack_tier(pid, inherited) if labelled else inherited
        tiers[pid] = own
        pending.extend((child, own) for child in children.get(pid, ()))
    return tiers


def _machine_ticks() -> tuple[int, int]:
    """Busy ticks of all cores, and those of them in irq and softirq."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    user, nice, system, _idle, _iowait, irq, softirq = map(int, fields[1:8])
    return user + nice + system + irq + softirq, irq + softirq


class Probe:
    """Finds the processes of each tier and reads their CPU time.

    Args:
        supervisor_pid: The stack's supervisor (``tests.conftest``'s
            ``platform_start``).
        pg_url: ``postgres://user@host:port`` of the server.
        databases: The databases whose backends are the stack's.
        redis_url: The Redis server the stack uses.
    """

    def __init__(
        self,
        supervisor_pid: int,
        pg_url: str,
        databases: tuple[str, ...],
        redis_url: str,
    ) -> None:
        self.supervisor_pid = supervisor_pid
        self.pg_url = pg_url
        self.databases = list(databases)
        self.redis_url = redis_url

    def _postgres(self) -> dict[int, str]:
        """Backends of the databases, and the server's own processes."""
        with psycopg.connect(f"{self.pg_url}/postgres") as connection:
            rows = connection.execute(
                _BACKENDS_SQL, (self.databases,)
            ).fetchall()
        return {
            pid: POSTGRES if ours else POSTGRES_SHARED for pid, ours in rows
        }

    def _redis_pid(self) -> int:
        client = redis.Redis.from_url(self.redis_url)
        try:
            return int(client.info("server")["process_id"])
        finally:
            client.close()

    def tiers(self, processes: dict[int, _Process]) -> dict[int, str]:
        """Labels the processes of every tier found on this machine."""
        tiers = _descendants(
            processes, self.supervisor_pid, SUPERVISOR, labelled=True
        )
        postgres = {
            pid: tier
            for pid, tier in self._postgres().items()
            if pid in processes and processes[pid].comm == "postgres"
        }
        # The postmaster is the parent of every backend.
        postmasters = {processes[pid].ppid for pid in postgres}
        tiers.update(dict.fromkeys(postmasters, POSTGRES_SHARED))
        tiers.update(postgres)
        redis_pid = self._redis_pid()
        if redis_pid in processes and processes[redis_pid].comm.startswith(
            "redis"
        ):
            tiers[redis_pid] = REDIS
        for pid, process in processes.items():
            if process.comm == "beam.smp" and "rabbit" in _command_line(pid):
                tiers.update(_descendants(processes, pid, RABBITMQ, False))
        return tiers

    def sample(self) -> Sample:
        """Reads the CPU time of every process now, by tier."""
        processes = _processes()
        tiers = self.tiers(processes)
        machine, interrupts = _machine_ticks()
        return Sample(
            ticks={
                pid: (tiers.get(pid, OTHER), process.ticks)
                for pid, process in processes.items()
            },
            names={
                pid: process.comm
                for pid, process in processes.items()
                if pid not in tiers
            },
            children_seconds=_children_seconds(),
            machine_ticks=machine,
            interrupt_ticks=interrupts,
        )


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def spent(before: Sample, after: Sample) -> Spent:
    """CPU seconds spent between two samples, by tier and in all.

    A process missing from ``before`` counts from zero.
    """
    tiers = dict.fromkeys((*TIERS, OTHER), 0.0)
    others: dict[str, float] = {}
    for pid, (tier, ticks) in after.ticks.items():
        _, earlier = before.ticks.get(pid, (tier, 0))
        seconds = max(0, ticks - earlier) / TICKS_PER_SECOND
        tiers[tier] += seconds
        if tier == OTHER and seconds:
            name = after.names[pid]
            others[name] = others.get(name, 0.0) + seconds
    tiers[LOAD] = after.children_seconds - before.children_seconds
    tiers[INTERRUPTS] = (
        after.interrupt_ticks - before.interrupt_ticks
    ) / TICKS_PER_SECOND
    return Spent(
        tiers=tiers,
        others=others,
        machine=(after.machine_ticks - before.machine_ticks) / TICKS_PER_SECOND,
    )


def per_request(spent: Spent, requests: int) -> dict:
    """Milliseconds of CPU per request, by tier, with totals.

    Returns:
        ``ms`` by tier (``TIERS``), ``total_ms`` (their sum), then what the
        tiers do not cover: ``other_ms`` (processes of no tier),
        ``others_ms`` (the five biggest of them by name),
        ``interrupts_ms``, and ``machine_ms`` (the machine's busy time, the
        sum of all), with ``requests``.
    """
    count = max(requests, 1)
    ms = {tier: spent.tiers[tier] * 1000 / count for tier in TIERS}
    biggest = sorted(spent.others.items(), key=lambda item: -item[1])[:5]
    return {
        "requests": requests,
        "ms": ms,
        "total_ms": sum(ms.values()),
        "other_ms": spent.tiers[OTHER] * 1000 / count,
        "others_ms": {name: s * 1000 / count for name, s in biggest},
        "interrupts_ms": spent.tiers[INTERRUPTS] * 1000 / count,
        "machine_ms": spent.machine * 1000 / count,
    }


def available_ms(rate: float) -> float:
    """The cores' time per request at ``rate`` requests per second."""
    return (os.cpu_count() or 1) * 1000 / rate if rate else float("nan")
