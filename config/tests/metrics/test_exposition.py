"""The metrics server: its port, what it serves, a port already taken."""

import logging
import os
import socket
import threading

import pytest
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from config.metrics import exposition, multiprocess
from config.tests.metrics.support import free_port, scrape

DEAD = 4194305  # above Linux's highest pid: never alive


@pytest.fixture
def single(monkeypatch):
    """A process serving its own registry."""
    monkeypatch.delenv(multiprocess.VARIABLE, raising=False)


def _write(folder, kind, pid, name, value):
    """Writes one sample as a worker process would (prometheus_client)."""
    values = MmapedDict(str(folder / f"{kind}_{pid}.db"))
    key = mmap_key(name, name, ["service"], ["users"], "help")
    values.write_value(key, value, 0.0)
    values.close()


def test_no_port_no_server(monkeypatch, single):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    assert exposition.address() is None
    assert exposition.serve() is None
    assert exposition.start() is None


def test_bound_to_loopback_unless_told(monkeypatch):
    monkeypatch.setenv("METRICS_PORT", "9100")
    monkeypatch.delenv("METRICS_BIND", raising=False)
    assert exposition.address() == ("127.0.0.1", 9100)
    monkeypatch.setenv("METRICS_BIND", "0.0.0.0")  # noqa: S104
    assert exposition.address() == ("0.0.0.0", 9100)  # noqa: S104


def test_one_process_serves_its_registry_and_collectors(monkeypatch, single):
    port = free_port()
    monkeypatch.setenv("METRICS_PORT", str(port))
    counter = Counter("savings_test_served", "A test's counter.")
    counter.inc(3)
    extra = GaugeMetricFamily("savings_test_extra", "A collector's gauge.")
    extra.add_metric([], 7)

    class Extra:
        def collect(self):
            return [extra]

    server = exposition.serve([Extra()])
    try:
        samples = scrape(port)
        assert samples["savings_test_served_total", frozenset()] == 3
        assert samples["savings_test_extra", frozenset()] == 7
    finally:
        server.shutdown()
        server.server_close()


def test_workers_sum_without_the_dead_ones_live_gauges(tmp_path, monkeypatch):
    monkeypatch.setenv(multiprocess.VARIABLE, str(tmp_path))
    live = os.getpid()
    _write(tmp_path, "counter", live, "savings_c", 2)
    _write(tmp_path, "counter", DEAD, "savings_c", 3)
    _write(tmp_path, "gauge_livesum", live, "savings_g", 4)
    _write(tmp_path, "gauge_livesum", DEAD, "savings_g", 5)
    samples = {
        sample.name: sample.value
        for family in exposition.registry().collect()
        for sample in family.samples
    }
    # A counter never goes back; a dead process holds no connection.
    assert samples == {"savings_c": 5, "savings_g": 4}
    assert not (tmp_path / f"gauge_livesum_{DEAD}.db").exists()
    assert (tmp_path / f"counter_{DEAD}.db").exists()


def test_a_taken_port_is_logged_not_fatal(monkeypatch, single, caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("METRICS_PORT", str(port))
        with pytest.raises(OSError, match="in use"):
            exposition.serve()
        with caplog.at_level(logging.ERROR, "config.metrics.exposition"):
            assert exposition.start() is None
    assert f"Cannot serve metrics on 127.0.0.1:{port}" in caplog.text


def test_a_sibling_takes_the_port_once_it_is_free(monkeypatch, single):
    monkeypatch.setattr(exposition, "RETRY_SECONDS", 0.05)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    monkeypatch.setenv("METRICS_PORT", str(port))
    thread = exposition.serve_eventually()
    try:
        # Still trying while another process holds the port.
        thread.join(0.3)
        assert thread.is_alive()
    finally:
        taken.close()
    thread.join(5)
    assert not thread.is_alive()
    assert any(name == "python_info" for name, _ in scrape(port))


def test_the_tries_stop_when_asked(monkeypatch, single):
    monkeypatch.setattr(exposition, "RETRY_SECONDS", 0.05)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("METRICS_PORT", str(taken.getsockname()[1]))
        stop = threading.Event()
        thread = exposition.serve_eventually(stop)
        stop.set()
        thread.join(5)
        assert not thread.is_alive()


def test_the_public_never_gets_metrics_from_the_gateway(client):
    # Only the metrics port serves them: the gateway's own answers 404.
    response = client.get("/metrics")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
