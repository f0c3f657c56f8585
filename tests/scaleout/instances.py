"""One instance of a Procfile process, started, killed and started again.

The scale-out suite runs each instance as a process of its own, with the
Procfile's command line (what ``make run`` and the containers run) under
``bash -c``, in a session of its own: SIGKILL to that process group takes
the whole instance down at once (a gunicorn master with its workers), as
when a machine or a container dies. Each instance logs to a file of its
own in the run's directory.
"""

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from tests.conftest import REPO_DIR, alive, log_tail, procfile_command


class Instance:
    """One running copy of a Procfile process.

    Attributes:
        name: Unique in the run (``gateway-a``, ``worker-b``).
        port: Its HTTP port, or None for a Celery process.
        log_path: Where its output goes.
    """

    def __init__(
        self,
        name: str,
        process: str,
        env: dict[str, str],
        run_dir: Path,
        *,
        port: int | None = None,
        node: tuple[str, str] | None = None,
    ) -> None:
        """Prepares the instance; :meth:`start` starts it.

        Args:
            name: Unique in the run.
            process: The Procfile entry it runs (``gateway``, ``worker``).
            env: Its environment (ports included).
            run_dir: Where its log goes.
            port: Its HTTP port, if it serves one.
            node: ``(Procfile's -n value, this instance's)``: two Celery
                workers on one host need names of their own.
        """
        self.name = name
        self.port = port
        self.log_path = run_dir / f"{name}.log"
        self._env = env
        self._command = procfile_command(process)
        if node is not None:
            old, new = (f"-n {value}" for value in node)
            assert old in self._command, self._command
            self._command = self._command.replace(old, new)
        self._process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        """The instance's process id (its group's, too)."""
        assert self._process is not None, f"{self.name} is not started"
        return self._process.pid

    def start(self) -> None:
        """Starts the instance (its log is appended to)."""
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                ["bash", "-c", self._command],
                cwd=REPO_DIR,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def running(self) -> bool:
        """Whether it is started and has not exited."""
        return self._process is not None and self._process.poll() is None

    def kill(self) -> None:
        """SIGKILLs the instance's whole process group: a crash."""
        pid = self.pid
        os.killpg(pid, signal.SIGKILL)
        self._process.wait(timeout=30)
        assert not alive(pid)

    def terminate(self) -> None:
        """SIGTERMs the group: a graceful stop, as an orchestrator asks."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        """Waits for the instance to exit; SIGKILLs it after ``timeout``.

        Returns:
            Its exit status, or None if it was never started.
        """
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            return self._process.wait(timeout=timeout)

    def log_count(self, text: str) -> int:
        """How many times ``text`` was logged so far (``succeeded in``)."""
        if not self.log_path.exists():
            return 0
        return self.log_path.read_text(errors="replace").count(text)

    def log_tail(self, lines: int = 40) -> str:
        """The end of its log, for failure reports."""
        return log_tail(self.log_path, lines)
