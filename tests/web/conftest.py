"""Browser tests: Debian's chromium, driven by Playwright, against a real `atelier serve` with the
seed's demo loaded, serving the committed web/dist.

Playwright's own browsers are never downloaded: ``executable_path`` points at ``chromium``
(``.ci/run`` installs it). Without chromium or the ``playwright`` package the tests skip, or fail
when ``ATELIER_REQUIRE_SERVICES=1``. Screenshots of each screen go to ``tests/web/screenshots/``
(git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, TEST_SECRET, ServerProcess, _unavailable

SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE_JS = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Each wait states its bound; 15 s covers a loaded 2-core machine, never a sleep.
WAIT_MS = 15_000


def chromium_path() -> str | None:
    path = os.environ.get("ATELIER_CHROMIUM") or shutil.which("chromium")
    return path if path and Path(path).is_file() else None


# One browser per module, not per session: Playwright's sync API keeps its event loop running in
# this thread until it stops, so a module run after a browser module in the same process (under
# pytest-xdist a worker takes files in any order) would find asyncio.run() refused.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable("playwright", str(exc))
    path = chromium_path()
    if path is None:
        _unavailable("chromium", "not on PATH (apt-get install chromium)")
    if not (ROOT / "web" / "dist" / "index.html").is_file():
        pytest.fail("web/dist is not built: make web", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Demo:
    """A running server with the seed's workshop: its join code and the facilitator's link."""

    server: ServerProcess
    atelier_id: str
    join_code: str
    facilitator_token: str
    session_id: str

    @property
    def http(self) -> str:
        return self.server.http

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"authorization": f"Bearer {token or self.facilitator_token}"}
        response = httpx.request(method, self.http + path, headers=headers, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def new_proposal(self, title: str) -> str:
        """A fresh proposal (its own document), so that tests never share text."""
        row = self.api(
            "POST",
            f"/api/ateliers/{self.atelier_id}/proposals",
            json={"title": title, "session_id": self.session_id},
        )
        return str(row["id"])

    def invitation(self, role: str) -> str:
        row = self.api("POST", f"/api/ateliers/{self.atelier_id}/invitations", json={"role": role})
        return str(row["code"])


def _cli(env: dict[str, str], *args: str) -> str:
    # A subprocess, not server.db.migrate in-process: Playwright's sync API keeps an event loop
    # running in this thread, and the migration uses asyncio.run.
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from running_demo(tmp_path_factory)


def running_demo(tmp_path_factory: pytest.TempPathFactory, **settings: str) -> Iterator[Demo]:
    """The seed's workshop on a server of its own; ``settings`` are ``ATELIER_*`` overrides."""
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite+aiosqlite:///{folder / 'atelier.db'}"
    env = {**os.environ, "ATELIER_DATABASE_URL": url, "ATELIER_SECRET_KEY": TEST_SECRET}
    server = ServerProcess(url, env_overrides=settings, log_path=folder / "server.log")
    _cli(env, "db", "upgrade")
    out = _cli(env, "demo", "--base-url", server.http)
    join = re.search(r"/rejoindre/(\w+)", out)
    facilitator = re.search(r"/atelier/([\w-]+)#token=(\S+)", out)
    assert join, out
    assert facilitator, out
    with server.running():
        info = httpx.get(f"{server.http}/api/join/{join.group(1)}", timeout=10).json()
        yield Demo(
            server,
            facilitator.group(1),
            join.group(1),
            facilitator.group(2),
            info["session"]["id"],
        )


@pytest.fixture
def new_context(browser: Any) -> Iterator[Any]:
    """Make browser contexts (separate people: own storage, own IndexedDB); all closed after."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None, **options: Any) -> Any:
        # French unless a test asks for another browser language (``locale="en-GB"``).
        context = browser.new_context(
            **{"viewport": viewport or PHONE, "locale": "fr-FR", **options}
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def new_page(context: Any) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "i18n" in message.text
            else None
        ),
    )
    page.errors = errors  # checked by `no_page_errors`
    return page


def no_page_errors(page: Any) -> None:
    assert page.errors == [], page.errors


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def check_axe(page: Any, name: str, every_impact: bool = False) -> None:
    """axe-core on the page as it is: no serious or critical violation (WCAG 2.1 A and AA);
    with ``every_impact``, no violation at all (minor and moderate too)."""
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} missing: make node (npm ci in web/)", pytrace=False)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # evaluate() runs through the DevTools protocol, which the page's CSP does not block.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    bad = [
        v for v in result["violations"] if every_impact or v["impact"] in ("serious", "critical")
    ]
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in bad
    ]
    assert not bad, f"axe on {name}:\n" + "\n".join(described)


def join_by_ui(
    page: Any, demo: Demo, name: str, role: str = "habitant", invitation: str = ""
) -> None:
    """Join the demo séance through the screens, the way a phone does after scanning the QR."""
    page.goto(f"{demo.http}/rejoindre/{demo.join_code}")
    page.get_by_label("J’ai lu la charte et je l’accepte").check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Votre prénom, nom ou pseudonyme").fill(name)
    page.locator(f"input[name=role][value={role}]").check()
    if invitation:
        page.get_by_label("Code d’invitation").fill(invitation)
    page.get_by_role("button", name="Rejoindre la séance").click()
    page.wait_for_url(re.compile(r"/atelier/"))
    page.get_by_text(f"Vous : {name}").wait_for()


def sign_in_facilitator(page: Any, demo: Demo) -> None:
    """The facilitator's link that `atelier demo` prints (token in the fragment)."""
    page.goto(f"{demo.http}/atelier/{demo.atelier_id}#token={demo.facilitator_token}")
    page.get_by_role("link", name="Console d’animation").wait_for()


def press(page: Any, key: str, times: int = 1) -> None:
    for _ in range(times):
        page.keyboard.press(key)


def tab_to(page: Any, predicate: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches ``predicate`` (a JS expression on `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate}); }}"):
            return
    raise AssertionError(f"Tab never reached {predicate}")
