"""Build hook: a wheel carries the committed web client (``web/dist``) as ``server/web_dist``.

Everything else about the package is declared in ``pyproject.toml``. ``web/dist`` stays where
the web build writes it (``make web``) and where ``make web-check`` compares it with its sources;
setuptools cannot take package data from outside a package, so ``build_py`` copies it into the
built ``server`` package, where an installed ``atelier serve`` finds it
(``server/routes/web.py``). ``MANIFEST.in`` puts it in the sdist, so a wheel built from the sdist
has it too. An editable install reads ``web/dist`` in the checkout and copies nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

WEB_DIST = Path(__file__).resolve().parent / "web" / "dist"
PACKAGED = Path("server") / "web_dist"


class BuildPyWithWebClient(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        if not (WEB_DIST / "index.html").is_file():
            raise SystemExit(
                f"{WEB_DIST / 'index.html'} manque / is missing: `make web` builds the web client"
            )
        shutil.copytree(WEB_DIST, Path(self.build_lib) / PACKAGED, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithWebClient})
