"""The gateway reports its upstream pools to the metrics after each request."""

import http.server
import threading

import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

from config.metrics import pools
from integration import clients


class _Ok(http.server.BaseHTTPRequestHandler):
    """A service that answers ``{}`` and keeps the connection alive."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        del args


@pytest.fixture
def service():
    """A real HTTP server on a free port, the users service's stand-in."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with override_settings(
        USERS_SERVICE_URL=f"http://127.0.0.1:{server.server_port}",
        UPSTREAM_POOL_SIZE=7,
    ):
        yield
    server.shutdown()
    server.server_close()


def _gauge(name, **labels):
    return REGISTRY.get_sample_value(name, labels)


def test_an_idle_kept_connection_is_open_not_in_use(service, client):
    clients.get_client(clients.Service.USERS).get("/x").raise_for_status()
    # Any request the gateway answers reports the pools after it.
    client.get("/healthz")
    labels = {"upstream": "users"}
    assert _gauge("savings_upstream_pool_size", **labels) == 7
    assert (
        _gauge("savings_upstream_pool_connections", state="open", **labels) == 1
    )
    assert (
        _gauge("savings_upstream_pool_connections", state="in_use", **labels)
        == 0
    )


def test_a_connection_carrying_a_request_is_in_use(service):
    client = clients.get_client(clients.Service.USERS)
    with client.stream("GET", "/x") as response:
        # Headers read, body not: the connection still carries it.
        assert response.status_code == 200
        clients.pools_observe()
        assert (
            _gauge(
                "savings_upstream_pool_connections",
                upstream="users",
                state="in_use",
            )
            == 1
        )


def test_a_transport_without_a_pool_is_skipped(upstream):
    # The tests' fake transport has no pool: nothing reported, no error.
    pools.upstream_pool_set("accounting", size=-1, opened=-1, in_use=-1)
    clients.get_client(clients.Service.ACCOUNTING)
    clients.pools_observe()
    assert _gauge("savings_upstream_pool_size", upstream="accounting") == -1
