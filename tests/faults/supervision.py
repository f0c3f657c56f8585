"""Reading the supervisor's log: which pids a process had, how it died.

``scripts/procs.py`` logs every start, restart and death on a ``system``
line; the fault tests find a process's current pid there and check that
what they killed came back.
"""

import re

STARTED = re.compile(r"\| (\w+) (?:started|restarted) \(pid=(\d+)")
DIED = re.compile(
    r"\| (\w+) \(pid=(\d+)\) died: (.+) after [\d.]+s up; "
    r"restarting in ([\d.]+)s"
)
STOPPING = "received: stopping"


def pids(log: str, name: str) -> list[int]:
    """Every pid process ``name`` had, in start order."""
    return [int(pid) for n, pid in STARTED.findall(log) if n == name]


def deaths(log: str, name: str) -> list[tuple[int, str, float]]:
    """``(pid, how, delay)`` of each death of ``name``, in order."""
    return [
        (int(pid), how, float(delay))
        for n, pid, how, delay in DIED.findall(log)
        if n == name
    ]
