"""Fixtures of the gateway's tests.

The services behind the gateway are other processes. Here they are stood in
for in two ways: an ``httpx.MockTransport`` that answers as the internal API
documents (and records exactly what the gateway sent), and real sockets for
the failures a mock cannot fake honestly (a closed port, a server that never
answers, a server that answers garbage).
"""

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from integration import clients
from integration.clients import Service
from integration.tests import factories

Responder = Callable[[httpx.Request], httpx.Response]


@dataclass
class Sent:
    """A request the gateway sent to a service."""

    service: Service
    request: httpx.Request

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def json(self) -> Any:
        return json.loads(self.request.content)


@dataclass
class FakeUpstream:
    """Answers for both services, by method and path, and a request log."""

    routes: dict[tuple[Service, str, str], Responder] = field(
        default_factory=dict
    )
    sent: list[Sent] = field(default_factory=list)

    def add(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        status: int = 200,
        json: Any = None,
        headers: dict[str, str] | None = None,
        responder: Responder | None = None,
    ) -> None:
        """Registers the answer to ``method path`` on ``service``."""
        content_type = (
            "application/problem+json" if status >= 400 else "application/json"
        )

        def answer(request: httpx.Request) -> httpx.Response:
            del request
            return httpx.Response(
                status,
                json=json,
                headers={"Content-Type": content_type, **(headers or {})},
            )

        self.routes[service, method, path] = responder or answer

    def transport(self, service: Service) -> httpx.MockTransport:
        """Returns the mock transport of one service."""

        def handle(request: httpx.Request) -> httpx.Response:
            request.read()  # a streamed body (a statement) is read whole
            self.sent.append(Sent(service, request))
            key = (service, request.method, request.url.path)
            if key not in self.routes:
                raise AssertionError(f"unexpected upstream call {key}")
            return self.routes[key](request)

        return httpx.MockTransport(handle)

    @property
    def last(self) -> Sent:
        """The last request sent."""
        return self.sent[-1]


@pytest.fixture(autouse=True, scope="session")
def _static_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Serves static files from the finders: no collectstatic in tests."""
    with override_settings(
        STATIC_ROOT=tmp_path_factory.mktemp("static"),
        WHITENOISE_USE_FINDERS=True,
    ):
        yield


@pytest.fixture(autouse=True)
def _isolated() -> Iterator[None]:
    """Clears throttling counters and drops the upstream clients."""
    cache.clear()
    yield
    clients.close_clients()


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> FakeUpstream:
    """Routes every upstream call to a ``FakeUpstream``."""
    fake = FakeUpstream()
    monkeypatch.setattr(
        clients,
        "_clients",
        {
            service: clients.build_client(
                service, transport=fake.transport(service)
            )
            for service in Service
        },
    )
    return fake


INVALID_API_KEY = "The API key is invalid or revoked."


@dataclass
class PartnerKeys:
    """The keys accounting knows, answering ``partner-keys/verify`` so.

    Attributes:
        live: Each live key and what verifying it answers.
        verified: Each key the gateway asked about, in order.
    """

    live: dict[str, dict] = field(default_factory=dict)
    verified: list[str] = field(default_factory=list)

    def issue(self, **payload: Any) -> tuple[str, dict]:
        """Issues a key; returns it and what verifying it answers."""
        raw_key = factories.partner_key()
        self.live[raw_key] = factories.PartnerKeyPayloadFactory(**payload)
        return raw_key, self.live[raw_key]

    def revoke(self, raw_key: str) -> None:
        """Revokes a key: it verifies no more."""
        del self.live[raw_key]

    def verify(self, request: httpx.Request) -> httpx.Response:
        """Answers as accounting's ``PartnerKeyVerifyApi``."""
        raw_key = json.loads(request.content)["key"]
        self.verified.append(raw_key)
        if raw_key not in self.live:
            return httpx.Response(
                401,
                json=factories.problem(401, "invalid_api_key", INVALID_API_KEY),
                headers={"Content-Type": "application/problem+json"},
            )
        return httpx.Response(200, json=self.live[raw_key])


@pytest.fixture
def partner_keys(upstream: FakeUpstream) -> PartnerKeys:
    """Partner keys, verified by the fake accounting."""
    keys = PartnerKeys()
    upstream.add(
        Service.ACCOUNTING,
        "POST",
        "/internal/v1/partner-keys/verify",
        responder=keys.verify,
    )
    return keys


@pytest.fixture
def partner(partner_keys: PartnerKeys) -> dict:
    """A partner's key with ``credits:write``: its verification answer."""
    raw_key, payload = partner_keys.issue()
    return {**payload, "raw_key": raw_key}


@pytest.fixture
def partner_api(partner: dict) -> APIClient:
    """A client of the public API with the partner's key."""
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {partner['raw_key']}")
    return client


@pytest.fixture
def api() -> APIClient:
    """An anonymous client of the public API."""
    return APIClient(raise_request_exception=False)


@pytest.fixture
def user_id() -> str:
    """The caller's user id."""
    return factories.AccessClaimsFactory()["user_id"]


@pytest.fixture
def auth_api(user_id: str) -> APIClient:
    """A client of the public API with a valid access token."""
    client = APIClient(raise_request_exception=False)
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {factories.access_token(user_id=user_id)}"
    )
    return client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def closed_url() -> str:
    """The URL of a local port nobody listens on."""
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """The URL of a server that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def garbage_url() -> Iterator[str]:
    """The URL of a server that answers bytes that are not HTTP."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"\x00\x01 this is not HTTP\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    server.close()
