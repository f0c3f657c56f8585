"""What the process-level tests share: starting, watching, stopping.

These tests start the platform's real processes (``make run``, the
supervisor ``scripts/procs.py``) rather than Django's test client, so they
need no Django settings. The helpers here wait with a deadline, find every
process a run started (by a marker in its environment, since the supervisor
puts each child in a session of its own) and stop them the way a developer
does: SIGINT first.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

REPO_DIR = Path(__file__).resolve().parent.parent

T = TypeVar("T")


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.25,
    what: str = "condition",
) -> T:
    """Calls ``probe`` until it returns something truthy, or fails.

    Args:
        probe: Returns a truthy value when the wait is over.
        timeout: Seconds before the test fails.
        interval: Seconds between two calls.
        what: Named in the failure message.

    Returns:
        The probe's first truthy result.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Returns whether something accepts TCP connections on the port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def marked_pids(marker: str) -> list[int]:
    """Returns the processes whose environment contains ``marker``.

    Args:
        marker: A ``NAME=value`` pair unique to one run.

    Returns:
        Their process ids (zombies and unreadable processes are skipped).
    """
    needle = marker.encode() + b"\0"
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if (b"\0" + environ).find(b"\0" + needle) != -1:
            pids.append(int(proc.name))
    return pids


def kill_marked(marker: str) -> list[int]:
    """SIGKILLs every process of a run that is still there.

    Args:
        marker: The run's ``NAME=value`` environment marker.

    Returns:
        The process ids that were killed.
    """
    pids = marked_pids(marker)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def interrupt(process: subprocess.Popen, *, timeout: float) -> int | None:
    """Sends SIGINT to a process group, as Ctrl-C does, and waits.

    Args:
        process: The group leader (started with ``start_new_session``).
        timeout: Seconds to wait for it to exit.

    Returns:
        Its exit status, or None if it was still running at the deadline.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def log_tail(path: Path, lines: int = 120) -> str:
    """Returns the last lines of a log file, or a note that it is empty."""
    if not path.exists():
        return f"(no log at {path})"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:]) or f"(empty log at {path})"
