"""Every service starts with only its own secrets, and refuses without one.

Each case runs in a fresh interpreter with an environment that holds
nothing but the service's own secrets (no ``var/local.env`` and no
``.env``: both point into an empty folder), as a deployment that gives each
service its own would.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from config import bootstrap

# What each service needs, and nothing more.
OWN_SECRETS = {
    "users": (
        "DJANGO_SECRET_KEY",
        "USERS_SERVICE_TOKEN",
        "ACCOUNTING_USERS_TOKEN",
        "JWT_PRIVATE_KEY",
    ),
    "accounting": (
        "DJANGO_SECRET_KEY",
        "ACCOUNTING_SERVICE_TOKEN",
        "ACCOUNTING_USERS_TOKEN",
    ),
    "integration": (
        "DJANGO_SECRET_KEY",
        "USERS_SERVICE_TOKEN",
        "ACCOUNTING_SERVICE_TOKEN",
        "JWT_PUBLIC_KEY",
    ),
}
# Prints the credentials a service took from its environment.
READ = (
    "import json; from django.conf import settings as s; print(json.dumps("
    "{name: getattr(s, name, None) for name in ('INTERNAL_API_TOKEN', "
    "'INTERNAL_API_READERS', 'USERS_SERVICE_TOKEN', "
    "'ACCOUNTING_SERVICE_TOKEN', 'ACCOUNTING_USERS_TOKEN')} "
    "| {'verifying_key': getattr(s, 'SIMPLE_JWT', {}).get('VERIFYING_KEY')}))"
)
_ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return {
        "JWT_PRIVATE_KEY": private.decode(),
        "JWT_PUBLIC_KEY": public.decode(),
    }


def _secrets(service: str, keys: dict[str, str]) -> dict[str, str]:
    values = {
        "DJANGO_SECRET_KEY": f"{service}-secret-key",
        "USERS_SERVICE_TOKEN": "users-token",
        "ACCOUNTING_SERVICE_TOKEN": "accounting-token",
        "ACCOUNTING_USERS_TOKEN": "users-to-accounting-token",
        **keys,
    }
    return {name: values[name] for name in OWN_SECRETS[service]}


def _run(
    service: str, secrets: dict[str, str], tmp_path: Path, *args: str
) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "VAR_DIR": str(tmp_path),
        # No .env either, whatever the checkout holds.
        "ENV_FILE": str(tmp_path / ".env"),
        "DJANGO_SETTINGS_MODULE": f"config.{service}.settings",
        **secrets,
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and files)
        [sys.executable, *args],
        cwd=_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("service", sorted(OWN_SECRETS))
def test_a_service_starts_with_only_its_own_secrets(service, keys, tmp_path):
    secrets = _secrets(service, keys)

    check = _run(service, secrets, tmp_path, "manage.py", "check")
    read = _run(service, secrets, tmp_path, "-c", READ)

    assert check.returncode == 0, check.stderr
    assert read.returncode == 0, read.stderr
    public = keys["JWT_PUBLIC_KEY"]
    assert (
        json.loads(read.stdout)
        == {
            "users": {
                "INTERNAL_API_TOKEN": "users-token",
                "INTERNAL_API_READERS": None,
                "USERS_SERVICE_TOKEN": None,
                "ACCOUNTING_SERVICE_TOKEN": None,
                # Its admin reads a customer's money from accounting.
                "ACCOUNTING_USERS_TOKEN": "users-to-accounting-token",
                # Derived from the private key: no second secret to agree.
                "verifying_key": public,
            },
            "accounting": {
                "INTERNAL_API_TOKEN": "accounting-token",
                "INTERNAL_API_READERS": {"users": "users-to-accounting-token"},
                "USERS_SERVICE_TOKEN": None,
                "ACCOUNTING_SERVICE_TOKEN": None,
                "ACCOUNTING_USERS_TOKEN": None,
                "verifying_key": None,
            },
            "integration": {
                "INTERNAL_API_TOKEN": None,
                "INTERNAL_API_READERS": None,
                "USERS_SERVICE_TOKEN": "users-token",
                "ACCOUNTING_SERVICE_TOKEN": "accounting-token",
                "ACCOUNTING_USERS_TOKEN": None,
                "verifying_key": public,
            },
        }[service]
    )


@pytest.mark.parametrize(
    ("service", "missing"),
    [
        (service, name)
        for service, names in sorted(OWN_SECRETS.items())
        for name in names
    ],
)
def test_a_service_refuses_to_start_without_one_of_them(
    service, missing, keys, tmp_path
):
    secrets = _secrets(service, keys)
    del secrets[missing]

    result = _run(service, secrets, tmp_path, "-c", READ)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize("service", sorted(OWN_SECRETS))
def test_a_service_starts_from_the_folder_bootstrap_gives_it(service, tmp_path):
    """What docker/bootstrap.sh writes is all a container needs."""
    env_files = bootstrap.ensure_service_envs(tmp_path / "secrets")

    check = _run(service, {}, env_files[service].parent, "manage.py", "check")

    assert check.returncode == 0, check.stderr
