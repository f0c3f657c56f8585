"""Private PostgreSQL, RabbitMQ and Redis servers the fault suite may break.

The shared servers on the default ports serve every engineer's tests on
this machine and are never stopped here. Each class below runs a server of
its own in a directory of the suite's, on a port of its own, bound to
127.0.0.1, and can stop, kill and start it again:

- :class:`PostgreSQL`: ``initdb`` and ``pg_ctl`` of the installed server
  (as the ``postgres`` user when the suite runs as root, since PostgreSQL
  refuses root); stops in ``fast`` mode (sessions closed cleanly) or
  ``immediate`` mode (a crash: recovery from the WAL on the next start).
- :class:`RabbitMQ`: a second node, ``faults@localhost``, with its own
  data, logs, configuration, no plugins and its own Erlang cookie (its
  ``HOME``), so that no command of the suite can reach the shared node;
  ``stop_app``/``start_app`` (the broker restarts inside a running node),
  or the whole node stopped, or SIGKILLed, and started again.
- :class:`Redis`: ``redis-server`` without persistence.
"""

import contextlib
import glob
import os
import shutil
import signal
import subprocess
from pathlib import Path

from tests.conftest import log_tail, port_open, wait_until

START_TIMEOUT = 90


def _postgres_bin() -> Path:
    """The newest installed PostgreSQL's programs (Debian layout first)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    assert initdb, "PostgreSQL's initdb is not installed"
    return Path(initdb).parent


def _rabbitmq_bin() -> Path:
    """RabbitMQ's own scripts (Debian's /usr/sbin wrappers switch user)."""
    debian = Path("/usr/lib/rabbitmq/bin")
    if (debian / "rabbitmq-server").exists():
        return debian
    server = shutil.which("rabbitmq-server")
    assert server, "rabbitmq-server is not installed"
    return Path(server).parent


class PostgreSQL:
    """A PostgreSQL cluster of the suite's, on ``127.0.0.1:port``.

    Attributes:
        url: ``postgres://postgres@127.0.0.1:port`` (trust authentication).
    """

    def __init__(self, base: Path, port: int) -> None:
        self.port = port
        self.url = f"postgres://postgres@127.0.0.1:{port}"
        self._home = base / "postgres"
        self._data = self._home / "data"
        self._log = self._home / "server.log"
        self._bin = _postgres_bin()
        self._home.mkdir()
        self._as_owner = []
        if os.geteuid() == 0:
            shutil.chown(self._home, user="postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._as_owner, str(self._bin / program), *args],
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )

    def init(self) -> None:
        """Creates the cluster: user ``postgres``, trust on loopback."""
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        """Starts the server and waits until it accepts connections."""
        # fsync off: a killed server still recovers from the WAL the OS
        # holds; only a crash of the machine would lose data, not a test.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            "-c unix_socket_directories='' -c fsync=off "
            "-c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self._data),
            "-l",
            str(self._log),
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stops the server.

        Args:
            mode: ``fast`` (roll back and close sessions, checkpoint) or
                ``immediate`` (quit at once, as a crash; the next start
                recovers from the WAL).
        """
        self._run("pg_ctl", "-D", str(self._data), "-m", mode, "-w", "stop")

    def log_tail(self) -> str:
        """The end of the server's log, for failure reports."""
        return log_tail(self._log, 40)


class RabbitMQ:
    """A RabbitMQ node of the suite's, ``faults@localhost``.

    Attributes:
        url: The AMQP URL of its default vhost, ``guest:guest``.
    """

    NODE = "faults@localhost"

    def __init__(self, base: Path, port: int, dist_port: int) -> None:
        self.port = port
        self.url = f"amqp://guest:guest@127.0.0.1:{port}//"
        self._home = base / "rabbitmq"
        self._home.mkdir()
        self._bin = _rabbitmq_bin()
        self._log = self._home / "server.log"
        self._process: subprocess.Popen | None = None
        (self._home / "enabled_plugins").write_text("[].\n")
        (self._home / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{port}\n"
        )
        # An empty env file: the shared node's rabbitmq-env.conf (its name,
        # its ports) must not apply to this one.
        (self._home / "rabbitmq-env.conf").write_text("")
        self._env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": str(self._home),  # its own Erlang cookie
            "RABBITMQ_NODENAME": self.NODE,
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(self._home / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self._home / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(
                self._home / "enabled_plugins"
            ),
            "RABBITMQ_MNESIA_BASE": str(self._home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self._home / "log"),
            "RABBITMQ_PID_FILE": str(self._home / "node.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": (
                "-kernel inet_dist_use_interface {127,0,0,1}"
            ),
        }

    def _ctl(self, *args: str) -> None:
        # -n always: never the default node, the shared one.
        subprocess.run(
            [str(self._bin / "rabbitmqctl"), "-n", self.NODE, "-q", *args],
            env=self._env,
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )

    def start(self) -> None:
        """Starts the node and waits until it accepts AMQP connections."""
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [str(self._bin / "rabbitmq-server")],
                env=self._env,
                cwd=self._home,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # ``wait`` waits for the pid file, then for the broker to run.
        self._ctl("wait", self._env["RABBITMQ_PID_FILE"])
        wait_until(
            lambda: port_open(self.port), timeout=START_TIMEOUT, what="AMQP"
        )

    def stop_app(self) -> None:
        """Stops the broker inside the node: every connection drops."""
        self._ctl("stop_app")

    def start_app(self) -> None:
        """Starts the broker again and waits until it serves."""
        self._ctl("start_app")
        self._ctl("await_startup")

    def stop(self) -> None:
        """Stops the whole node cleanly (``rabbitmqctl stop``)."""
        self._ctl("stop")
        self._wait_exit()

    def kill(self) -> None:
        """SIGKILLs the node and what it started (a crash)."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._wait_exit()

    def _wait_exit(self) -> None:
        if self._process is not None:
            self._process.wait(timeout=START_TIMEOUT)
            # The group may still hold a helper (erl_child_setup) a moment.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process = None

    def close(self) -> None:
        """Stops the node however it is; for the end of the session."""
        if self._process is None:
            return
        try:
            self.stop()
        except (subprocess.SubprocessError, OSError):
            self.kill()


class Redis:
    """A Redis of the suite's, without persistence.

    Attributes:
        url: ``redis://127.0.0.1:port``; add ``/db``.
    """

    def __init__(self, base: Path, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}"
        self._home = base / "redis"
        self._home.mkdir()
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        """Starts the server and waits until it accepts connections."""
        with (self._home / "server.log").open("ab") as log:
            self._process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self._home),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(lambda: port_open(self.port), timeout=30, what="Redis")

    def close(self) -> None:
        """Stops the server."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
