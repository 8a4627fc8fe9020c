"""Install the anchors into ``bench/.anchors/`` (git-ignored), never into the repository.

* ``node/``: npm packages pinned below (the Node reference server ``@y/websocket-server`` 0.1.1 on
  yjs 13 with y-leveldb for its optional persistence, and Hocuspocus 4 with its Database
  extension), plus ``hocuspocus_server.mjs`` copied from ``bench/launchers/``.
* ``pyws/``: a venv with pycrdt-websocket 0.16.x and pycrdt-store, and the same pycrdt, uvicorn
  and websockets versions as Atelier's own ``.venv`` so the Python servers differ only in their
  own code.

Idempotent: a stamp file records what was installed; a changed pin reinstalls.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ANCHORS = BENCH / ".anchors"
NODE_DIR = ANCHORS / "node"
PYWS_DIR = ANCHORS / "pyws"

# @y/websocket-server 0.1.5 requires yjs 14 (pre-release); 0.1.1 is the last on yjs 13, and has
# the same protocol logic as y-websocket@2.1.0's bin/server.cjs (research §0).
NODE_PACKAGES = {
    "@y/websocket-server": "0.1.1",
    "yjs": "13.6.33",
    "y-leveldb": "0.1.2",
    "@hocuspocus/server": "4.7.0",
    "@hocuspocus/extension-database": "4.7.0",
}
PYWS_PACKAGES = ["pycrdt-websocket==0.16.5", "pycrdt-store==0.1.5"]


def _same_as_atelier() -> list[str]:
    pins = []
    for dist, spec in (
        ("pycrdt", "pycrdt"),
        ("uvicorn", "uvicorn[standard]"),
        ("websockets", "websockets"),
    ):
        try:
            pins.append(f"{spec}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pins.append(spec)
    return pins


def _stamp_ok(stamp: Path, spec: object) -> bool:
    try:
        return json.loads(stamp.read_text()) == spec
    except (OSError, ValueError):
        return False


def install_node(log=print) -> None:
    spec = {
        "packages": NODE_PACKAGES,
        "launcher": (BENCH / "launchers/hocuspocus_server.mjs").read_text(),
    }
    stamp = NODE_DIR / ".bench-stamp"
    if _stamp_ok(stamp, spec) and (NODE_DIR / "node_modules").is_dir():
        return
    if shutil.which("npm") is None:
        raise SystemExit("npm is required to install the Node anchors")
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    package = {
        "name": "atelier-bench-anchors",
        "private": True,
        "version": "0.0.0",
        "dependencies": NODE_PACKAGES,
    }
    (NODE_DIR / "package.json").write_text(json.dumps(package, indent=2) + "\n")
    log(f"installing Node anchors into {NODE_DIR} …")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True
    )
    shutil.copy(BENCH / "launchers/hocuspocus_server.mjs", NODE_DIR / "hocuspocus_server.mjs")
    stamp.write_text(json.dumps(spec))


def install_pyws(log=print) -> None:
    pins = PYWS_PACKAGES + _same_as_atelier()
    stamp = PYWS_DIR / ".bench-stamp"
    if _stamp_ok(stamp, pins) and (PYWS_DIR / "bin/python").exists():
        return
    log(f"installing pycrdt-websocket into {PYWS_DIR} ({', '.join(pins)}) …")
    base = getattr(sys, "_base_executable", sys.executable)
    if not (PYWS_DIR / "bin/python").exists():
        subprocess.run([base, "-m", "venv", str(PYWS_DIR)], check=True)
    pip = [
        str(PYWS_DIR / "bin/python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    subprocess.run([*pip, *pins], check=True)
    stamp.write_text(json.dumps(pins))


def install(log=print) -> None:
    install_node(log)
    install_pyws(log)


if __name__ == "__main__":
    install()
