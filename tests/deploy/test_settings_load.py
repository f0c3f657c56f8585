"""Each app container's settings load from the environment dev gives it.

The variables are resolved as the kubelet would (ConfigMaps, the dev
Secrets' values, ``$(NAME)`` references), the mounted key files written to
a temporary folder, and Django set up in a child process with nothing
else: no ``.env``, no ``var/local.env``. Then the settings must point at
the cluster's stores, not at the embedded default's (SQLite, the
file-system broker, per-process memory). Nothing is connected to.
"""

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy import manifests, policies
from tests.deploy.manifests import Doc

_PROBE = """
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "databases": [db["ENGINE"] for db in settings.DATABASES.values()],
    "broker": settings.CELERY_BROKER_URL,
    "cache": settings.CACHES["default"]["BACKEND"],
    "channels": getattr(settings, "CHANNEL_LAYERS", {}).get(
        "default", {}).get("BACKEND"),
    "debug": settings.DEBUG,
}))
"""


def _secret_value(docs: list[Doc], name: str, key: str) -> str:
    """A dev Secret's decoded value."""
    secret = manifests.find(docs, "Secret", name)
    return base64.b64decode(secret["data"][key]).decode()


def _resolved_env(
    docs: list[Doc], pod: manifests.Pod, container: Doc, tmp_path: Path
) -> dict[str, str]:
    """The container's environment as the kubelet would set it.

    Files mounted from Secrets are written under ``tmp_path`` and the
    variables naming them rewritten to match; VAR_DIR moves there too.
    """
    mounts = {}
    volumes = {volume["name"]: volume for volume in pod.spec["volumes"]}
    for mount in container.get("volumeMounts", []):
        secret = volumes[mount["name"]].get("secret")
        if secret is None:
            continue
        for item in secret["items"]:
            path = tmp_path / item["path"]
            path.write_text(
                _secret_value(docs, secret["secretName"], item["key"])
            )
            mounts[f"{mount['mountPath']}/{item['path']}"] = str(path)
    env: dict[str, str] = {}
    for name, source in manifests.container_env(docs, container).items():
        if source.secret is not None:
            value = _secret_value(docs, *source.secret)
        else:
            value = re.sub(
                r"\$\((\w+)\)", lambda m: env[m.group(1)], source.value or ""
            )
        env[name] = mounts.get(value, value)
    env["VAR_DIR"] = str(tmp_path / "var")
    return env


def _containers() -> list[tuple[str, str]]:
    """(owner, container) of every app container in dev, for ids."""
    return [
        (pod.owner, container["name"])
        for pod, container in manifests.app_containers(manifests.render("dev"))
    ]


@pytest.mark.parametrize(("owner", "name"), _containers(), ids=str)
def test_settings_load_with_the_cluster_s_stores(
    owner: str, name: str, dev: list[Doc], tmp_path: Path
) -> None:
    pod, container = next(
        (pod, container)
        for pod, container in manifests.app_containers(dev)
        if pod.owner == owner and container["name"] == name
    )
    env = _resolved_env(dev, pod, container, tmp_path)
    module = manifests.settings_module(
        container, manifests.container_env(dev, container)
    )
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env={
            "PATH": os.environ["PATH"],
            **env,
            "DJANGO_SETTINGS_MODULE": module,
            # No .env of the developer's: only what the pod is given.
            "ENV_FILE": str(tmp_path / "absent.env"),
        },
        cwd=manifests.REPO_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert loaded["debug"] is False
    role = pod.labels["app.kubernetes.io/component"]
    if "CELERY_BROKER_URL" in policies.cluster_env(module, role):
        assert loaded["broker"].startswith("amqp://")
    if module == "config.integration.settings":
        assert loaded["databases"] == ["django.db.backends.dummy"]
        assert loaded["cache"].endswith(".RedisCache")
        assert loaded["channels"] == "channels_redis.core.RedisChannelLayer"
    elif role != "beat":
        assert loaded["databases"] == ["config.postgresql"]
    if module == "config.accounting.settings":
        assert loaded["cache"].endswith(".RedisCache")
