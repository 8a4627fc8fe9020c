"""The package as a new user installs it: ``pip install .`` gives a server that serves the web
client, not the page saying it is not built."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tests.serving import clean_env, get, serving

#: What the Dockerfile copies too: the package's sources and the committed web client.
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "server", "collab", "domain")
WEB_DIST = ROOT / "web" / "dist"
NOT_BUILT = "pas construit"


def web_files() -> set[str]:
    return {p.relative_to(WEB_DIST).as_posix() for p in WEB_DIST.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built by pip from a copy of the sources (the checkout is shared: no build/ in it)."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    shutil.copytree(WEB_DIST, src / "web" / "dist")
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("atelier-*.whl")
    return built


def test_the_wheel_ships_the_whole_web_client(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        shipped = {n.removeprefix("server/web_dist/") for n in names if "web_dist/" in n}
        assert shipped == web_files()
        assert archive.read("server/web_dist/index.html") == (WEB_DIST / "index.html").read_bytes()
    assert any(n.startswith("assets/") and n.endswith(".js") for n in shipped)
    assert "sw.js" in shipped
    # The migrations travel too: `atelier serve` migrates an empty SQLite file with them.
    assert any(n.startswith("server/db/migrations/versions/") for n in names)


def test_the_installed_wheel_serves_the_web_client(wheel: Path, tmp_path: Path) -> None:
    """Installed in a fresh virtualenv and started from an empty folder, ``atelier serve``
    answers ``/`` with the web client, and its assets.

    The wheel is installed without its dependencies, which the new virtualenv takes from this
    one (a ``.pth`` file naming its site-packages, where the checkout's own editable install is
    not activated): ``atelier`` itself can come only from the wheel."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "_atelier_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    install = subprocess.run(
        [*pip, "install", "--no-deps", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    where = subprocess.run(
        [python, "-c", "import server; print(server.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert where.startswith(site), where  # the wheel's copy, not the checkout

    folder = tmp_path / "empty"
    folder.mkdir()
    port = free_port()
    env = clean_env(ATELIER_PORT=str(port))
    with serving([str(venv / "bin" / "atelier"), "serve"], folder, env, port) as base:
        status, page = get(base + "/")
        assert status == 200
        assert NOT_BUILT not in page.decode()
        assert page == (WEB_DIST / "index.html").read_bytes()
        status, _ = get(base + "/rejoindre/ABCD-1234")  # a client route: the same page
        assert status == 200
        asset = next(name for name in web_files() if name.startswith("assets/"))
        status, body = get(f"{base}/{asset}")
        assert (status, body) == (200, (WEB_DIST / asset).read_bytes())
