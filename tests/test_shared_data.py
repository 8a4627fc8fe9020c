"""Tests that need data kept outside the repository (the editing trace in ``../shared/data``):
in a clone without it they skip and say why; in CI (``ATELIER_REQUIRE_SERVICES=1``) they fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

TRACE_TEST = "tests/server/test_trace_replay.py"


def run_trace_test(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "ATELIER_REQUIRE_SERVICES"}
    environ["ATELIER_TEST_TRACE"] = str(tmp_path / "absent" / "automerge-paper.json.gz")
    return subprocess.run(
        [sys.executable, "-m", "pytest", TRACE_TEST, "-p", "no:cacheprovider", "-rs", "-q"],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_without_the_trace_the_replay_skips_and_says_why(tmp_path: Path) -> None:
    done = run_trace_test(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout, done.stdout
    assert "error" not in done.stdout.lower(), done.stdout
    assert f"{tmp_path / 'absent'}" in done.stdout  # the reason names the missing file


def test_without_the_trace_the_replay_fails_in_ci(tmp_path: Path) -> None:
    done = run_trace_test(tmp_path, ATELIER_REQUIRE_SERVICES="1")
    assert done.returncode != 0, done.stdout
    assert "skipped" not in done.stdout, done.stdout
    assert "ATELIER_REQUIRE_SERVICES=1" in done.stdout
