import importlib
import runpy
import stat
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import base, bootstrap


def test_bootstrap_writes_secrets_once(tmp_path):
    env_file = bootstrap.ensure_local_env(tmp_path / "var")
    first = env_file.read_text()
    values = dict(
        line.split("=", 1)
        for line in first.splitlines()
        if line and not line.startswith("#")
    )
    assert set(values) == {
        "DJANGO_SECRET_KEY",
        "USERS_SERVICE_TOKEN",
        "ACCOUNTING_SERVICE_TOKEN",
        "ACCOUNTING_USERS_TOKEN",
        "JWT_PRIVATE_KEY_FILE",
        "JWT_PUBLIC_KEY_FILE",
        "STAFF_EMAIL",
        "STAFF_PASSWORD",
    }
    tokens = ("USERS_SERVICE_TOKEN", "ACCOUNTING_SERVICE_TOKEN")
    assert (
        len({values[name] for name in (*tokens, "ACCOUNTING_USERS_TOKEN")}) == 3
    )
    private = tmp_path / "var" / "jwt-private.pem"
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    key_before = private.read_bytes()

    bootstrap.main(["bootstrap", str(tmp_path / "var")])

    assert env_file.read_text() == first
    assert private.read_bytes() == key_before


def _values(env_file):
    return dict(
        line.split("=", 1)
        for line in env_file.read_text().splitlines()
        if line and not line.startswith("#")
    )


def test_each_service_gets_a_folder_of_only_its_own_secrets(tmp_path):
    env_files = bootstrap.ensure_service_envs(tmp_path)

    shared = _values(tmp_path / "local.env")
    own = {service: _values(f) for service, f in env_files.items()}
    assert {s: set(v) for s, v in own.items()} == {
        s: set(names) for s, names in bootstrap.SERVICE_SECRETS.items()
    }
    # Each its own Django key; the tokens agree between caller and callee.
    assert len({v["DJANGO_SECRET_KEY"] for v in own.values()}) == 3
    assert (
        own["users"]["USERS_SERVICE_TOKEN"]
        == (own["integration"]["USERS_SERVICE_TOKEN"])
    )
    assert (
        own["accounting"]["ACCOUNTING_SERVICE_TOKEN"]
        == (own["integration"]["ACCOUNTING_SERVICE_TOKEN"])
    )
    assert (
        own["accounting"]["ACCOUNTING_USERS_TOKEN"]
        == (own["users"]["ACCOUNTING_USERS_TOKEN"])
    )
    # Key files are copied into the folder that uses them, and only there.
    private = tmp_path / "users" / "jwt-private.pem"
    public = tmp_path / "integration" / "jwt-public.pem"
    assert own["users"]["JWT_PRIVATE_KEY_FILE"] == str(private)
    assert own["integration"]["JWT_PUBLIC_KEY_FILE"] == str(public)
    assert (
        private.read_bytes()
        == (tmp_path / shared["JWT_PRIVATE_KEY_FILE"]).read_bytes()
    )
    assert sorted(p.name for p in (tmp_path / "integration").iterdir()) == [
        "jwt-public.pem",
        "local.env",
    ]
    assert sorted(p.name for p in (tmp_path / "accounting").iterdir()) == [
        "local.env"
    ]
    assert stat.S_IMODE(env_files["users"].stat().st_mode) == 0o600
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    before = {service: f.read_text() for service, f in env_files.items()}

    bootstrap.main(["bootstrap", "--per-service", str(tmp_path)])

    assert {s: f.read_text() for s, f in env_files.items()} == before


def test_an_older_folder_gets_what_it_lacks_and_keeps_the_rest(tmp_path):
    """A new credential reaches a var/ (or a compose volume) made before it."""
    env_files = bootstrap.ensure_service_envs(tmp_path)
    older = {}
    for env_file in (tmp_path / "local.env", *env_files.values()):
        lines = env_file.read_text().splitlines(keepends=True)
        env_file.write_text(
            "".join(
                line
                for line in lines
                if not line.startswith("ACCOUNTING_USERS_TOKEN=")
            )
        )
        older[env_file] = _values(env_file)

    bootstrap.main(["bootstrap", "--per-service", str(tmp_path)])

    token = _values(tmp_path / "local.env")["ACCOUNTING_USERS_TOKEN"]
    for env_file, values in older.items():
        now = _values(env_file)
        assert {k: v for k, v in now.items() if k in values} == values
        if env_file.parent.name == "integration":
            assert "ACCOUNTING_USERS_TOKEN" not in now
        else:
            assert now["ACCOUNTING_USERS_TOKEN"] == token
    before = (tmp_path / "users" / "local.env").read_text()
    bootstrap.main(["bootstrap", "--per-service", str(tmp_path)])
    assert (tmp_path / "users" / "local.env").read_text() == before


def test_read_key_prefers_the_value_then_the_file(monkeypatch, tmp_path):
    key_file = tmp_path / "key.pem"
    key_file.write_text("FROM FILE")
    monkeypatch.setenv("TEST_KEY", "line1\\nline2")
    assert base.read_key("TEST_KEY") == "line1\nline2"
    monkeypatch.delenv("TEST_KEY")
    monkeypatch.setenv("TEST_KEY_FILE", str(key_file))
    assert base.read_key("TEST_KEY") == "FROM FILE"
    monkeypatch.delenv("TEST_KEY_FILE")
    with pytest.raises(ImproperlyConfigured, match="TEST_KEY_FILE"):
        base.read_key("TEST_KEY")


def test_database_defaults_to_sqlite_under_var(monkeypatch):
    monkeypatch.delenv("SHOP_DATABASE_URL", raising=False)
    config = base.database("shop")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"].endswith("shop.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_database_on_postgresql_keeps_connections(monkeypatch):
    monkeypatch.setenv("SHOP_DATABASE_URL", "postgres://u@db:5432/shop")
    config = base.database("shop")
    assert config["ENGINE"] == "config.postgresql"
    assert config["NAME"] == "shop"
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(
    ("broker", "queue_arguments", "transport_options"),
    [
        ("filesystem://", {}, "data_folder_in"),
        (
            "amqp://guest@localhost//",
            {"x-queue-type": "quorum"},
            "confirm_publish",
        ),
    ],
)
def test_broker_settings_follow_the_broker(
    monkeypatch, broker, queue_arguments, transport_options
):
    monkeypatch.setenv("CELERY_BROKER_URL", broker)
    try:
        reloaded = importlib.reload(base)
        assert transport_options in reloaded.CELERY_BROKER_TRANSPORT_OPTIONS
        for queue in reloaded.CELERY_TASK_QUEUES:
            assert queue.queue_arguments == queue_arguments
            assert queue.durable
    finally:
        monkeypatch.undo()
        importlib.reload(base)


def test_the_celery_app_reads_django_settings():
    from config.celery import app  # noqa: PLC0415

    assert app.conf.task_acks_late is True
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]


def test_settings_need_no_local_env_when_the_environment_is_set(
    monkeypatch, tmp_path
):
    # The secrets read from var/local.env are in os.environ by now, as they
    # would be in a deployment that sets them and has no var/ folder.
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    try:
        reloaded = importlib.reload(base)
        assert reloaded.LOCAL_ENV_FILE == tmp_path / "local.env"
        assert not reloaded.LOCAL_ENV_FILE.exists()
        assert reloaded.SECRET_KEY
    finally:
        monkeypatch.undo()
        importlib.reload(base)


def test_bootstrap_runs_as_a_module(monkeypatch, tmp_path):
    monkeypatch.setattr("sys.argv", ["bootstrap", str(tmp_path)])
    monkeypatch.delitem(sys.modules, "config.bootstrap")
    runpy.run_module("config.bootstrap", run_name="__main__")
    assert (tmp_path / "local.env").exists()
