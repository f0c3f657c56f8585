"""deploy/k8s/wait-jobs.sh, run by sh with a stand-in ``kubectl``.

The stand-in answers ``get job/NAME`` with the next line of the file
NAME under STATES (the Job's true conditions, as the script's jsonpath
prints them; the last line repeats), fails for a Job with no file, and
answers ``logs`` with a line of its own: so the test sees what the
rollout sees when a migration completes, fails or never ends.
"""

import os
import subprocess
from pathlib import Path

from tests.deploy import manifests

SCRIPT = manifests.K8S_DIR / "wait-jobs.sh"
_STAND_IN = """#!/bin/sh
case "$3" in
  get)
    file="$STATES/${4#job/}"
    [ -f "$file" ] || { echo "Error: ${4#job/} not found" >&2; exit 1; }
    head -n 1 "$file" | tr -d '\\n'
    if [ "$(wc -l < "$file")" -gt 1 ]; then
      tail -n +2 "$file" > "$file.next" && mv "$file.next" "$file"
    fi
    ;;
  logs) echo "django.db.utils.ProgrammingError: in migration 0042" ;;
esac
"""


def _wait(
    tmp_path: Path, states: dict[str, list[str]], *jobs: str, timeout: int = 60
) -> subprocess.CompletedProcess[str]:
    """Runs the script on namespace savings; states: each Job's answers."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(_STAND_IN)
    kubectl.chmod(0o755)
    states_dir = tmp_path / "states"
    states_dir.mkdir()
    for job, answers in states.items():
        (states_dir / job).write_text("\n".join(answers) + "\n")
    return subprocess.run(
        ["sh", str(SCRIPT), "savings", *jobs],
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "STATES": str(states_dir),
            "WAIT_JOBS_INTERVAL": "0",
            "WAIT_JOBS_TIMEOUT": str(timeout),
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_succeeds_once_every_job_completes(tmp_path: Path) -> None:
    result = _wait(
        tmp_path,
        {
            "users-migrate": ["", "", "SuccessCriteriaMet Complete "],
            "accounting-migrate": ["", "SuccessCriteriaMet Complete "],
        },
        "users-migrate",
        "accounting-migrate",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "wait-jobs: job/accounting-migrate complete",
        "wait-jobs: job/users-migrate complete",
    ]


def test_fails_at_once_when_a_job_fails(tmp_path: Path) -> None:
    # users-migrate would run on for ever: the failure is not waited out.
    result = _wait(
        tmp_path,
        {
            "users-migrate": [""],
            "accounting-migrate": ["", "FailureTarget Failed "],
        },
        "users-migrate",
        "accounting-migrate",
        timeout=600,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "wait-jobs: job/accounting-migrate FAILED; its last lines:",
        "django.db.utils.ProgrammingError: in migration 0042",
    ]


def test_a_failure_target_alone_is_not_yet_a_failure(tmp_path: Path) -> None:
    result = _wait(
        tmp_path,
        {"users-migrate": ["FailureTarget ", "Complete "]},
        "users-migrate",
    )
    assert result.returncode == 0, result.stderr


def test_fails_when_a_job_is_missing(tmp_path: Path) -> None:
    result = _wait(tmp_path, {}, "users-migrate")
    assert result.returncode == 1
    assert "cannot read its status" in result.stderr


def test_fails_when_the_jobs_outlast_the_timeout(tmp_path: Path) -> None:
    result = _wait(
        tmp_path, {"users-migrate": [""]}, "users-migrate", timeout=0
    )
    assert result.returncode == 1
    assert result.stderr == (
        "wait-jobs: still running after the timeout: users-migrate\n"
    )


def test_refuses_to_run_without_a_job(tmp_path: Path) -> None:
    result = _wait(tmp_path, {}, timeout=0)
    assert result.returncode == 2
    assert result.stderr.startswith("usage:")
