"""Runs every process of a Procfile, restarts any that dies, stops on Ctrl-C.

``make run`` and the process-level test suites start the platform with::

    python scripts/procs.py -e /dev/null -f Procfile start

It reads the Procfile and the ``-e`` environment files the way honcho does
(honcho's own parsers; the file's values win over the environment) and
prints every line of output prefixed with the time and the process name.
Where honcho stops everything when one process exits, this keeps the rest
serving and brings the dead one back:

- A process that exits for any reason while the supervisor is not stopping
  is restarted after a delay that starts at ``FIRST_DELAY`` and doubles on
  each death up to ``MAX_DELAY``, so a process that cannot start does not
  spin; one that had stayed up ``STABLE_SECONDS`` starts over from
  ``FIRST_DELAY``. Each death is logged with its name, pid, exit code or
  signal, uptime and the delay before the restart.
- Each process runs in a session (process group) of its own, so the
  terminal's Ctrl-C reaches the supervisor only. When a process dies, what
  is left of its group (the workers of a killed gunicorn master, say) gets
  SIGTERM, and SIGKILL just before the restart, so the new one finds its
  port free.
- SIGINT (Ctrl-C), SIGTERM or SIGHUP stop everything: every group gets
  SIGTERM (gunicorn's graceful stop; SIGINT would be its quick one, and
  Celery and uvicorn treat SIGTERM as a warm shutdown), the processes get
  ``--grace`` seconds (default ``GRACE_SECONDS``: a Celery worker's warm
  shutdown takes 4-8 seconds here), then whatever is left is killed.
  Nothing is restarted once stopping has begun. The exit status is 0 when
  every process stopped within the grace period, 1 when one had to be
  killed.
"""

import argparse
import contextlib
import dataclasses
import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from honcho.colour import get_colours
from honcho.environ import parse, parse_procfile
from honcho.printer import Message, Printer

GRACE_SECONDS = 30
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STABLE_SECONDS = 10.0
POLL_SECONDS = 0.1
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SYSTEM = "system"


class Output:
    """Prints lines of every process, one whole line at a time."""

    def __init__(self, stream: IO[str], width: int) -> None:
        self._printer = Printer(stream, width=max(width, len(SYSTEM)))
        self._lock = threading.Lock()

    def line(self, name: str, data: bytes | str, colour: str | None) -> None:
        """Prints ``data`` under ``name`` with the current time."""
        message = Message("line", data, datetime.datetime.now(), name, colour)
        with self._lock:
            self._printer.write(message)

    def system(self, text: str) -> None:
        """Prints one of the supervisor's own lines."""
        self.line(SYSTEM, text, None)


def describe(returncode: int) -> str:
    """Says how a process ended: ``exit code 3`` or ``signal SIGKILL``."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def signal_group(pgid: int, signum: int) -> bool:
    """Sends a signal to a process group; False if the group is gone."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pgid was reused by someone else's group
        return False
    return True


@dataclasses.dataclass
class Child:
    """One Procfile line and the process currently running it.

    Attributes:
        name: The Procfile's process name.
        command: The shell command of its line.
        env: The environment it runs with.
        colour: Its prefix colour on a terminal.
        process: The running process, None while waiting for a restart.
        started_at: Monotonic time of the last start.
        delay: Seconds to wait before the next restart.
        restart_at: Monotonic time of the pending restart, if any.
        restarts: How many times it was started again.
        old_group: Process group of the previous run, emptied before the
            next start.
    """

    name: str
    command: str
    env: dict[str, str]
    colour: str | None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    delay: float = FIRST_DELAY
    restart_at: float | None = None
    restarts: int = 0
    old_group: int | None = None


class Supervisor:
    """Starts the children, restarts the dead, stops them all on a signal."""

    def __init__(self, children: list[Child], output: Output, grace: float):
        self.children = children
        self.output = output
        self.grace = grace
        self.stop_signal: int | None = None

    def run(self) -> int:
        """Runs until a stop signal, then stops everything.

        Returns:
            The exit status: 0 after a clean stop, 1 if a process had to be
            killed.
        """
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)
        for child in self.children:
            self._start(child)
        while self.stop_signal is None:
            self._tick()
            time.sleep(POLL_SECONDS)
        return self._stop()

    def _on_signal(self, signum: int, frame: object) -> None:
        del frame
        if self.stop_signal is None:
            self.stop_signal = signum

    def _start(self, child: Child) -> None:
        if child.old_group is not None:  # the port must be free
            signal_group(child.old_group, signal.SIGKILL)
        child.old_group = None
        child.restart_at = None
        child.process = subprocess.Popen(
            ["/bin/sh", "-c", child.command],  # Procfile lines are shell
            env=child.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child.started_at = time.monotonic()
        pid = child.process.pid
        self.output.system(
            f"{child.name} restarted (pid={pid}, restart {child.restarts})"
            if child.restarts
            else f"{child.name} started (pid={pid})"
        )
        threading.Thread(
            target=self._pump,
            args=(child.name, child.process.stdout, child.colour),
            daemon=True,
        ).start()

    def _pump(self, name: str, stream: IO[bytes], colour: str | None) -> None:
        """Copies a process's output to ours until its pipe closes."""
        with stream:
            for line in iter(stream.readline, b""):
                self.output.line(name, line, colour)

    def _tick(self) -> None:
        """Notices deaths and starts the restarts that are due."""
        now = time.monotonic()
        for child in self.children:
            if child.process is not None:
                returncode = child.process.poll()
                if returncode is not None:
                    self._died(child, returncode, now)
            elif child.restart_at is not None and now >= child.restart_at:
                if self.stop_signal is not None:
                    return
                child.restarts += 1
                self._start(child)

    def _died(self, child: Child, returncode: int, now: float) -> None:
        """Logs a death, stops the rest of its group, schedules a restart."""
        pid = child.process.pid
        uptime = now - child.started_at
        if uptime >= STABLE_SECONDS:
            child.delay = FIRST_DELAY
        child.process = None
        child.old_group = pid
        child.restart_at = now + child.delay
        self.output.system(
            f"{child.name} (pid={pid}) died: {describe(returncode)} after "
            f"{uptime:.1f}s up; restarting in {child.delay:g}s"
        )
        signal_group(pid, signal.SIGTERM)
        child.delay = min(child.delay * 2, MAX_DELAY)

    def _stop(self) -> int:
        """SIGTERM to every group, wait out the grace, kill what is left."""
        name = signal.Signals(self.stop_signal).name
        running = [c for c in self.children if c.process is not None]
        self.output.system(
            f"{name} received: stopping {len(running)} processes "
            f"(grace {self.grace:g}s); no restarts from now on"
        )
        for child in running:
            self.output.system(
                f"sending SIGTERM to {child.name} (pid={child.process.pid})"
            )
            signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while running and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            for child in list(running):
                returncode = child.process.poll()
                if returncode is not None:
                    self.output.system(
                        f"{child.name} stopped ({describe(returncode)})"
                    )
                    running.remove(child)
        for child in running:
            self.output.system(
                f"{child.name} (pid={child.process.pid}) still running after "
                f"{self.grace:g}s: sending SIGKILL"
            )
            signal_group(child.process.pid, signal.SIGKILL)
            child.process.wait()
        for child in self.children:  # leftovers of every group, quietly
            for pgid in (child.old_group, child.process and child.process.pid):
                if pgid is not None:
                    signal_group(pgid, signal.SIGKILL)
        self.output.system("all processes stopped")
        return 1 if running else 0


def read_children(procfile: Path, env_files: str) -> list[Child]:
    """Reads the Procfile and the environment files as honcho does.

    Args:
        procfile: The Procfile (``name: command`` lines).
        env_files: Comma-separated ``KEY=value`` files; missing ones are
            skipped, their values win over the current environment.

    Returns:
        One child per Procfile process, not started.
    """
    content = []
    for name in env_files.split(","):
        with contextlib.suppress(OSError):
            content.append(Path(name.strip()).read_text())
    env = {**os.environ, **parse("\n".join(content))}
    processes = parse_procfile(procfile.read_text()).processes
    colours = get_colours()
    return [
        Child(name=name, command=command, env=env, colour=next(colours))
        for name, command in processes.items()
    ]


def main(argv: list[str] | None = None) -> int:
    """Parses honcho's ``[-e FILES] [-f PROCFILE] start`` and supervises."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-e", "--env", default=".env", help="env files")
    parser.add_argument("-f", "--procfile", default="Procfile", type=Path)
    parser.add_argument(
        "--grace",
        type=float,
        default=GRACE_SECONDS,
        help="seconds processes get to stop before SIGKILL",
    )
    parser.add_argument("command", choices=["start"])
    args = parser.parse_args(argv)
    children = read_children(args.procfile, args.env)
    if not children:
        parser.error(f"no process in {args.procfile}")
    width = max(len(child.name) for child in children)
    return Supervisor(children, Output(sys.stdout, width), args.grace).run()


if __name__ == "__main__":
    sys.exit(main())
