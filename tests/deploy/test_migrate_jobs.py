"""The migrate Jobs' command, run by sh with a stand-in ``python``.

The stand-in records each call and fails the one named by FAIL_ON, so the
test sees what the Job's shell runs, in which order, and that a failed
migration stops it (the Job then retries; seeding never runs on a
half-migrated database).
"""

import os
import subprocess
from pathlib import Path

import pytest

from tests.deploy import manifests

_STAND_IN = """#!/bin/sh
echo "$*" >> "$CALLS"
[ "$2" != "${FAIL_ON:-none}" ]
"""


def _run(command: list[str], tmp_path: Path, **env: str) -> list[str]:
    """Runs a Job's command; returns the stand-in's calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    python = bin_dir / "python"
    python.write_text(_STAND_IN)
    python.chmod(0o755)
    calls = tmp_path / "calls"
    calls.write_text("")
    result = subprocess.run(
        command,
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "CALLS": str(calls),
            **env,
        },
        check=False,
    )
    return [f"exit={result.returncode}", *calls.read_text().splitlines()]


@pytest.mark.parametrize("job", ["users-migrate", "accounting-migrate"])
def test_dev_job_migrates_then_seeds(job: str, tmp_path: Path) -> None:
    container = manifests.find(manifests.render("dev"), "Job", job)["spec"][
        "template"
    ]["spec"]["containers"][0]
    seed = next(e for e in container["env"] if e["name"] == "SEED_DEMO")
    assert seed["value"] == "1"
    assert _run(container["command"], tmp_path, SEED_DEMO="1") == [
        "exit=0",
        "manage.py migrate --no-input -v 1",
        "manage.py seed_demo",
    ]


@pytest.mark.parametrize("job", ["users-migrate", "accounting-migrate"])
def test_prod_job_only_migrates(job: str, tmp_path: Path) -> None:
    container = manifests.find(manifests.render("prod"), "Job", job)["spec"][
        "template"
    ]["spec"]["containers"][0]
    seed = next(e for e in container["env"] if e["name"] == "SEED_DEMO")
    assert _run(container["command"], tmp_path, SEED_DEMO=seed["value"]) == [
        "exit=0",
        "manage.py migrate --no-input -v 1",
    ]


def test_a_failed_migration_fails_the_job_before_seeding(
    tmp_path: Path,
) -> None:
    container = manifests.find(manifests.render("dev"), "Job", "users-migrate")[
        "spec"
    ]["template"]["spec"]["containers"][0]
    calls = _run(
        container["command"], tmp_path, SEED_DEMO="1", FAIL_ON="migrate"
    )
    assert calls == ["exit=1", "manage.py migrate --no-input -v 1"]
