"""Every line a real process writes is JSON, and carries the request id.

gunicorn (users), uvicorn (the gateway) and a Celery worker (accounting),
each started as the Procfile starts it with ``LOG_FORMAT=json``: a
request's id is found in the server's access line and in the lines the
request caused; a task sent inside a request logs that request's id from
the worker.
"""

import subprocess
import sys
import uuid

import httpx

from tests.conftest import REPO_DIR
from tests.observability.conftest import free_port, json_lines, listening

LINE_KEYS = {"time", "level", "logger", "message", "request_id", "service"}


def _by_id(lines: list[dict], request_id: str) -> list[dict]:
    return [line for line in lines if line["request_id"] == request_id]


def test_gunicorn_writes_json_lines_with_the_id(start, env):
    port = free_port()
    users = start(
        "users",
        [
            "gunicorn",
            "config.users.wsgi:application",
            "-c",
            "python:config.gunicorn_conf",
            "--name",
            "users",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "2",
            "--access-logfile",
            "-",
            "--no-control-socket",
        ],
        {**env, "DJANGO_SETTINGS_MODULE": "config.users.settings"},
    )
    users.wait_for(listening(port), what="gunicorn listening")
    request_id = f"gunicorn-{uuid.uuid4().hex}"
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        missing = client.get("/nowhere", headers={"X-Request-ID": request_id})
        alive = client.get("/healthz")
    users.stop()

    assert missing.status_code == 404
    assert missing.headers["X-Request-ID"] == request_id
    assert missing.json()["request_id"] == request_id
    lines = json_lines(users.log)
    assert all(set(line) >= LINE_KEYS for line in lines)
    assert {line["service"] for line in lines} == {"users"}
    mine = {(x["logger"], x["level"]) for x in _by_id(lines, request_id)}
    assert mine == {
        ("django.request", "WARNING"),  # Not Found: /nowhere
        ("gunicorn.access", "INFO"),
    }
    healthz = _by_id(lines, alive.headers["X-Request-ID"])
    assert [x["logger"] for x in healthz] == ["gunicorn.access"]
    assert '"GET /healthz HTTP/1.1" 200' in healthz[0]["message"]
    # gunicorn's own lines, outside any request.
    assert any(
        x["logger"] == "gunicorn.error"
        and x["request_id"] == "-"
        and "Booting worker" in x["message"]
        for x in lines
    )


def test_uvicorn_writes_json_lines_with_the_id(start, env):
    port = free_port()
    gateway = start(
        "gateway",
        [
            "uvicorn",
            "config.integration.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--http",
            "config.http11:ProblemH11Protocol",
            "--lifespan",
            "off",
            "--no-proxy-headers",
            "--no-use-colors",
        ],
        {
            **env,
            "DJANGO_SETTINGS_MODULE": "config.integration.settings",
            "REQUEST_ID_TRUSTED": "1",
        },
    )
    gateway.wait_for(listening(port), what="uvicorn listening")
    request_id = f"uvicorn-{uuid.uuid4().hex}"
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        missing = client.get(
            "/api/v1/nowhere", headers={"X-Request-ID": request_id}
        )
        hostile = client.get(
            "/healthz", headers={"X-Request-ID": "x" * 300 + "\x7f"}
        )
    gateway.stop()

    assert missing.status_code == 404
    assert missing.headers["X-Request-ID"] == request_id
    assert missing.json()["request_id"] == request_id
    assert hostile.status_code == 200
    made = hostile.headers["X-Request-ID"]
    assert made != "x" * 300 + "\x7f"
    lines = json_lines(gateway.log)
    assert all(set(line) >= LINE_KEYS for line in lines)
    assert {line["service"] for line in lines} == {"gateway"}
    assert {x["logger"] for x in _by_id(lines, request_id)} == {
        "django.request",
        "uvicorn.access",
    }
    assert [x["logger"] for x in _by_id(lines, made)] == ["uvicorn.access"]
    assert "x" * 300 not in gateway.log.read_text()


def test_a_worker_logs_the_id_of_the_request_that_sent_its_task(start, env):
    worker_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.accounting.settings",
    }
    queue = f"observability-{uuid.uuid4().hex[:8]}"
    worker = start(
        "worker",
        [
            "celery",
            "-A",
            "config.celery",
            "--quiet",  # as in the containers: no banner, JSON alone
            "worker",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--pool",
            "threads",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        worker_env,
    )
    worker.wait_for(
        lambda: "ready" in worker.log.read_text(), what="the worker ready"
    )
    request_id = f"task-{uuid.uuid4().hex}"
    # Sent as a request of users does: inside the request's context.
    send = (
        "from config import request_ids\n"
        "from config.celery import app\n"
        f"with request_ids.bound({request_id!r}):\n"
        "    app.send_task('accounting.apply_user_event',\n"
        f"        kwargs={{'event': {{'type': 'bogus'}}}}, queue={queue!r})\n"
    )
    subprocess.run(
        [sys.executable, "-c", send],
        cwd=REPO_DIR,
        env=worker_env,
        check=True,
        timeout=60,
    )
    worker.wait_for(
        lambda: "Dropping a malformed user event" in worker.log.read_text(),
        what="the task's log line",
    )
    worker.stop()

    # Celery's signal handler prints its shutdown notice to stdout.
    lines = json_lines(
        worker.log, unlogged=("\nworker: Warm shutdown (MainProcess)\n",)
    )
    assert all(set(line) >= LINE_KEYS for line in lines)
    assert {line["service"] for line in lines} == {"accounting"}
    [dropped] = [x for x in lines if x["logger"] == "accounting.tasks"]
    assert dropped["request_id"] == request_id
    assert dropped["level"] == "ERROR"
    assert "ValueError" in dropped["exception"]
    # Celery's own lines of the run carry it too; its start-up has none.
    assert any(
        x["logger"] == "celery.app.trace" and x["request_id"] == request_id
        for x in lines
    )
    assert any(
        "ready" in x["message"] and x["request_id"] == "-" for x in lines
    )
