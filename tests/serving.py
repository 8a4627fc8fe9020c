"""``atelier serve`` as a new user runs it: its own command, folder and environment, none of
the test suite's (``tests/conftest.py``'s ``ServerProcess`` runs the checkout's server on a
database the suite has migrated)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ATELIER", "clean_env", "get", "serving"]

#: The console script of this virtualenv's install.
ATELIER = str(Path(sys.executable).parent / "atelier")


def clean_env(**settings: str) -> dict[str, str]:
    """This environment without any ``ATELIER_*`` variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    env.update(PYTHONUNBUFFERED="1", **settings)
    return env


@contextlib.contextmanager
def serving(command: list[str], cwd: Path, env: dict[str, str], port: int) -> Iterator[str]:
    """``command`` (an ``atelier serve``) running until its /health answers; its base URL."""
    log = cwd / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.1)  # a port that is not open yet: nothing to wait on
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()
