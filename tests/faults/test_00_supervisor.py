"""The supervisor of ``make run`` restarts what dies and stops on Ctrl-C.

Each test runs ``scripts/procs.py`` on a tiny Procfile of its own (shell
sleepers and a small Python child) in a temporary directory, reads its log
and looks at the real processes: a SIGKILLed process comes back and the
others keep their pids, a crash-looping one waits longer each time and
starts over once it stayed up, and a stop signal stops everything without
restarting anything.
"""

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import procs
from tests.conftest import (
    REPO_DIR,
    alive,
    interrupt,
    kill_marked,
    log_tail,
    marked_pids,
    wait_until,
)
from tests.faults import supervision
from tests.faults.supervision import DIED, STARTED, STOPPING

# One child for the cases a shell line cannot express briefly.
CHILD = """
import signal, sys, time
from pathlib import Path

mode = sys.argv[1]
if mode == "crash_then_stable":
    runs = Path(sys.argv[2])
    count = len(runs.read_text()) if runs.exists() else 0
    runs.write_text("x" * (count + 1))
    if count < 3:
        sys.exit(3)
    if count == 3:
        time.sleep(float(sys.argv[3]))
        sys.exit(4)
elif mode == "fails_on_stop":
    def stop(signum, frame):
        time.sleep(0.5)
        sys.exit(1)
    signal.signal(signal.SIGTERM, stop)
elif mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(600)
"""


class Run:
    """One supervisor on a Procfile of the test's, with its log."""

    def __init__(self, tmp_path: Path, procfile: str, *options: str) -> None:
        self.dir = tmp_path
        self.log_path = tmp_path / "procs.log"
        self.marker = f"SAVINGS_PROCS_TEST={uuid.uuid4().hex}"
        (tmp_path / "child.py").write_text(CHILD)
        (tmp_path / "Procfile").write_text(procfile)
        (tmp_path / "test.env").write_text("GREETING=hello-from-env\n")
        name, value = self.marker.split("=", 1)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    str(REPO_DIR / "scripts" / "procs.py"),
                    "-e",
                    str(tmp_path / "test.env"),
                    "-f",
                    str(tmp_path / "Procfile"),
                    *options,
                    "start",
                ],
                cwd=tmp_path,
                env={**os.environ, name: value, "PY": sys.executable},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def pids(self, name: str) -> list[int]:
        return supervision.pids(self.log, name)

    def deaths(self, name: str) -> list[tuple[int, str, float]]:
        return supervision.deaths(self.log, name)

    def said(self, name: str, text: str) -> bool:
        """Whether process ``name`` printed ``text`` (a regex)."""
        return re.search(rf"{name}\s+\| {text}", self.log) is not None

    def wait_for(self, name: str, text: str, timeout: float = 30) -> None:
        wait_until(
            lambda: self.said(name, text),
            timeout=timeout,
            what=f"{name}: {text}",
        )

    def close(self) -> list[int]:
        """Stops whatever a failed test left; returns what had to die."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        return kill_marked(self.marker)


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    runs: list[Run] = []

    def start(procfile: str, *options: str) -> Run:
        runs.append(Run(tmp_path, procfile, *options))
        return runs[-1]

    yield start
    for run in runs:
        leftovers = run.close()
        assert not leftovers, (
            f"left running: {leftovers}\n{log_tail(run.log_path)}"
        )


def test_a_killed_process_comes_back_and_the_others_keep_running(
    start, tmp_path
):
    stable = procs.STABLE_SECONDS + 0.5
    run = start(
        'steady: echo "greeting=$GREETING"; exec sleep 600\n'
        'victim: sleep 600 & echo "helper=$!"; exec sleep 601\n'
        f"looper: exec $PY child.py crash_then_stable {tmp_path}/runs "
        f"{stable}\n"
    )
    run.wait_for("victim", "helper=")
    run.wait_for("system", "steady started")
    [steady] = run.pids("steady")
    [victim] = run.pids("victim")
    helper = int(re.search(r"helper=(\d+)", run.log)[1])

    os.kill(victim, signal.SIGKILL)

    wait_until(lambda: len(run.pids("victim")) == 2, timeout=10, what="restart")
    assert run.deaths("victim") == [
        (victim, "signal SIGKILL", procs.FIRST_DELAY)
    ]
    # What was left of the dead process's group was stopped, not orphaned.
    wait_until(lambda: not alive(helper), timeout=10, what="helper to stop")
    assert alive(run.pids("victim")[1])
    # The crash-looping child waits 1, 2, 4 s; once it had stayed up
    # STABLE_SECONDS its next restart waits 1 s again.
    wait_until(
        lambda: len(run.pids("looper")) == 5,
        timeout=stable + 20,
        what="the looper's fourth restart",
    )
    deaths = run.deaths("looper")
    assert [how for _, how, _ in deaths] == ["exit code 3"] * 3 + [
        "exit code 4"
    ]
    first = procs.FIRST_DELAY
    delays = [delay for *_, delay in deaths]
    assert delays == [first, 2 * first, 4 * first, first]
    assert run.pids("steady") == [steady]
    assert alive(steady)
    assert run.said("steady", "greeting=hello-from-env")

    status = interrupt(run.process, timeout=procs.GRACE_SECONDS + 5)

    assert status == 0, log_tail(run.log_path)
    after_stop = run.log.split(STOPPING, 1)[1]
    assert not STARTED.findall(after_stop)  # the looper stays down
    assert "steady stopped (signal SIGTERM)" in after_stop
    assert "all processes stopped" in after_stop
    assert not marked_pids(run.marker)


def test_stopping_restarts_nothing_and_kills_what_outlives_the_grace(start):
    run = start(
        "failing: exec $PY child.py fails_on_stop\n"
        "stubborn: exec $PY child.py stubborn\n"
        "crasher: exit 5\n",
        "--grace",
        "2",
    )
    run.wait_for("failing", "ready")
    run.wait_for("stubborn", "ready")
    wait_until(
        lambda: run.deaths("crasher"), timeout=10, what="the crasher to die"
    )

    run.process.send_signal(signal.SIGTERM)
    status = run.process.wait(timeout=30)

    assert status == 1, log_tail(run.log_path)
    assert f"SIGTERM {STOPPING}" in run.log
    after_stop = run.log.split(STOPPING, 1)[1]
    # A process failing while everything stops is not restarted, and a
    # pending restart never happens.
    assert "failing stopped (exit code 1)" in after_stop
    assert not DIED.findall(after_stop)
    assert not STARTED.findall(after_stop)
    assert re.search(
        r"stubborn \(pid=\d+\) still running after 2s: sending SIGKILL",
        after_stop,
    )
    assert len(run.pids("failing")) == 1
    assert len(run.pids("stubborn")) == 1
    assert not marked_pids(run.marker)
