"""The load balancer of the scale-out suite: HAProxy, as Debian packages it.

One frontend per web tier (gateway, users, accounting), each on a port of
its own, and a backend of two servers behind each. The configuration is
written into the run's private directory; what each line is for:

- Health: every server is asked ``GET /readyz`` every second (every 250 ms
  while its state changes, every 500 ms while it is down); two failures
  take it out, two successes bring it back. The gateway's ``/readyz`` asks
  users and accounting in turn, through their own frontends.
- Retries, and why only on connection failures: ``retry-on conn-failure``
  (with ``retries 3`` and ``option redispatch 1``, each retry on the other
  server) re-sends a request only when no connection could be made, so the
  request cannot have reached a backend. A request that may have reached
  one (the server died or timed out with it in hand) is answered 502/504
  and never re-sent by HAProxy. The API is idempotent by key only where a
  view reads ``Idempotency-Key`` (``config/idempotency``), which HAProxy
  cannot tell from the outside: a POST of an endpoint that ignores the key
  would be applied twice, and copying the list of those that honour it
  here would give that rule a second home. The one that knows, the client
  that chose the key, re-sends with the same key and body
  (``tests/faults/bank.py``); the platform then replays the first answer
  or applies the operation once, and the suite proves it.
- WebSockets: ``timeout tunnel 1h`` keeps an upgraded socket open while
  the server pings it every 20 s; ``timeout client``/``server`` only bound
  ordinary requests.
- Connections: ``http-reuse safe`` shares idle server connections between
  requests (never a session's first request), and idle client connections
  are kept 30 s, longer than the gateway's pool keeps one (5 s), so the
  pool, not HAProxy, closes them, and never races a request.
- ``option forwardfor`` on the public frontend, the gateway's
  ``NUM_PROXIES=1``: the client's address is the one HAProxy saw.
- ``X-Served-By`` on the gateway's answers (the WebSocket handshake's
  too) says which server a client landed on; the suite uses it to know
  whose sockets die with a gateway.
- No stats page: the runtime API is a UNIX socket in the private
  directory (mode 600, level operator), where the suite reads which
  servers HAProxy sees up.
"""

import contextlib
import csv
import dataclasses
import io
import shutil
import socket
import subprocess
from pathlib import Path

from tests.conftest import log_tail, port_open, wait_until

START_TIMEOUT = 30


@dataclasses.dataclass(frozen=True)
class Tier:
    """One frontend and its two servers.

    Attributes:
        name: ``gateway``, ``users`` or ``accounting`` (the backend's name).
        port: The frontend's port.
        servers: ``{server name: port}`` of the two instances.
    """

    name: str
    port: int
    servers: dict[str, int]


def config(tiers: list[Tier], runtime_socket: Path) -> str:
    """Returns haproxy.cfg for the tiers (see the module's docstring)."""
    lines = [
        "global",
        "    log stdout format raw local0 info",
        f"    stats socket {runtime_socket} mode 600 level operator",
        "    maxconn 4000",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlognull",
        "    timeout connect 2s",
        "    timeout client 60s",
        "    timeout server 30s",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 30s",
        "    timeout queue 10s",
        "    timeout tunnel 1h",
        "    timeout client-fin 5s",
        "    retries 3",
        "    option redispatch 1",
        "    retry-on conn-failure",
        "    http-reuse safe",
        "    option httpchk",
        "    http-check send meth GET uri /readyz",
        "    http-check expect status 200",
        "    default-server inter 1s fastinter 250ms downinter 500ms"
        " fall 2 rise 2",
    ]
    for tier in tiers:
        lines += [
            "",
            f"frontend {tier.name}",
            f"    bind 127.0.0.1:{tier.port}",
            f"    default_backend {tier.name}",
        ]
        if tier.name == "gateway":
            lines.append("    option forwardfor")
        lines += ["", f"backend {tier.name}", "    balance roundrobin"]
        if tier.name == "gateway":
            lines.append("    http-response set-header X-Served-By %s")
        lines += [
            f"    server {name} 127.0.0.1:{port} check"
            for name, port in tier.servers.items()
        ]
    return "\n".join(lines) + "\n"


def binary() -> str:
    """The haproxy program (Debian puts it in /usr/sbin)."""
    found = shutil.which("haproxy") or shutil.which(
        "haproxy", path="/usr/sbin:/usr/local/sbin"
    )
    assert found, "haproxy is not installed: run scripts/ensure-tools.sh"
    return found


class HAProxy:
    """HAProxy in the foreground, its configuration in ``home``."""

    def __init__(self, home: Path, tiers: list[Tier]) -> None:
        self.tiers = tiers
        self.socket_path = home / "haproxy.sock"
        self.config_path = home / "haproxy.cfg"
        self.log_path = home / "haproxy.log"
        self.config_path.write_text(config(tiers, self.socket_path))
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        """Checks the configuration, starts HAProxy, waits for its ports."""
        checked = subprocess.run(
            [binary(), "-c", "-f", str(self.config_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [binary(), "-db", "-f", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        for tier in self.tiers:
            wait_until(
                lambda port=tier.port: self._check_alive() and port_open(port),
                timeout=START_TIMEOUT,
                what=f"HAProxy's {tier.name} frontend",
            )

    def _check_alive(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(
                f"HAProxy exited with {self._process.returncode}:\n"
                + log_tail(self.log_path)
            )
        return True

    def _stats(self) -> list[dict[str, str]]:
        """The servers' rows of the runtime API's ``show stat`` (CSV)."""
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(5)
            client.connect(str(self.socket_path))
            client.sendall(b"show stat\n")
            chunks = []
            while chunk := client.recv(65536):
                chunks.append(chunk)
        text = b"".join(chunks).decode().lstrip("# ")
        return [
            row
            for row in csv.DictReader(io.StringIO(text))
            if row["svname"] not in ("FRONTEND", "BACKEND")
        ]

    def states(self) -> dict[str, str]:
        """``{"backend/server": "UP" | "DOWN" | ...}`` as HAProxy sees them."""
        return {
            f"{row['pxname']}/{row['svname']}": row["status"].split()[0]
            for row in self._stats()
        }

    def answered(self) -> dict[str, int]:
        """``{"backend/server": 2xx answers it gave}`` since the start."""
        return {
            f"{row['pxname']}/{row['svname']}": int(row["hrsp_2xx"] or 0)
            for row in self._stats()
        }

    def wait_state(
        self, tier: str, server: str, state: str, *, timeout: float
    ) -> None:
        """Waits until HAProxy sees a server in ``state`` (UP, DOWN)."""
        wait_until(
            lambda: self.states().get(f"{tier}/{server}") == state,
            timeout=timeout,
            interval=0.1,
            what=f"HAProxy to see {tier}/{server} {state}",
        )

    def stop(self) -> None:
        """Stops HAProxy (SIGTERM: a hard stop, every connection closed)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
