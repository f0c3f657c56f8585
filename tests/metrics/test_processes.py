"""Each process serves its metrics on its own port, counted right.

gunicorn's two workers are summed by the master, and a worker killed
takes none of the counts with it; a Celery worker times the task it ran
and records verify_ledger's outcome; the gateway's public port has no
``/metrics``, its processes' metrics are on their own port.
"""

import os
import signal
import subprocess
import sys

import httpx

from tests.conftest import REPO_DIR, children, port_open, wait_until
from tests.metrics.conftest import free_port, sample

REQUESTS = "savings_http_requests_total"


def test_gunicorn_workers_are_summed_by_the_master(start):
    port, metrics_port = free_port(), free_port()
    users = start(
        "users",
        USERS_PORT=str(port),
        USERS_METRICS_PORT=str(metrics_port),
        WEB_WORKERS="2",
    )
    users.scrape(metrics_port)
    origin = f"http://127.0.0.1:{port}"
    # Fresh connections: gunicorn's two workers share the accepts.
    for _ in range(20):
        assert httpx.get(f"{origin}/healthz").status_code == 200
    for _ in range(5):
        assert httpx.get(f"{origin}/no/such/path").status_code == 404
    labels = {"service": "users", "method": "GET"}
    samples = users.scrape(
        metrics_port,
        until=lambda s: (
            sample(s, REQUESTS, route="healthz", status="200", **labels) == 20
        ),
    )
    assert (
        sample(samples, REQUESTS, route="<unmatched>", status="404", **labels)
        == 5
    )
    # Kill a worker: gunicorn starts another; the counts stay.
    master = users.popen.pid
    workers = wait_until(
        lambda: len(children(master)) == 2 and children(master),
        timeout=30,
        what="two workers",
    )
    os.kill(workers[0], signal.SIGKILL)
    wait_until(
        lambda: len(now := children(master)) == 2 and workers[0] not in now,
        timeout=30,
        what="a new worker",
    )
    httpx.get(f"{origin}/healthz")
    samples = users.scrape(
        metrics_port,
        until=lambda s: (
            sample(s, REQUESTS, route="healthz", status="200", **labels) == 21
        ),
    )
    # The outbox is read by the master at the scrape.
    assert (
        sample(samples, "savings_outbox_pending_events", outbox="users_events")
        == 0
    )


def test_a_celery_worker_times_its_tasks(start, run_env):
    metrics_port = free_port()
    worker = start("worker", WORKER_METRICS_PORT=str(metrics_port))
    worker.scrape(metrics_port)
    sent = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.celery as c; "
            "c.app.send_task('accounting.ledger_verify', queue='accounting')",
        ],
        env={
            **run_env,
            "DJANGO_SETTINGS_MODULE": "config.accounting.settings",
        },
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    task = {"task": "accounting.ledger_verify"}
    samples = worker.scrape(
        metrics_port,
        until=lambda s: sample(s, "savings_ledger_verify_ok") == 1,
    )
    assert (
        sample(samples, "savings_celery_task_duration_seconds_count", **task)
        == 1
    )
    assert sample(samples, "savings_celery_task_failures_total", **task) == 0
    assert sample(samples, "savings_ledger_verify_last_run_timestamp_seconds")


def test_the_gateway_keeps_metrics_off_its_public_port(start):
    port, metrics_port = free_port(), free_port()
    gateway = start(
        "gateway",
        GATEWAY_PORT=str(port),
        GATEWAY_METRICS_PORT=str(metrics_port),
        GATEWAY_WORKERS="2",
    )
    gateway.scrape(metrics_port)
    # A worker serves metrics as it loads, before it takes requests.
    wait_until(lambda: port_open(port), timeout=30, what="the gateway")
    origin = f"http://127.0.0.1:{port}"
    for _ in range(6):
        with httpx.Client() as client:
            assert client.get(f"{origin}/healthz").status_code == 200
    public = httpx.get(f"{origin}/metrics")
    assert public.status_code == 404
    assert public.headers["content-type"] == "application/problem+json"
    labels = {"service": "gateway", "method": "GET"}
    samples = gateway.scrape(
        metrics_port,
        until=lambda s: (
            sample(s, REQUESTS, route="healthz", status="200", **labels) == 6
        ),
    )
    assert (
        sample(samples, REQUESTS, route="<unmatched>", status="404", **labels)
        == 1
    )


def test_beat_serves_its_metrics(start):
    metrics_port = free_port()
    beat = start("beat", BEAT_METRICS_PORT=str(metrics_port))
    samples = beat.scrape(metrics_port)
    assert any(name == "python_info" for name, _ in samples)
