"""The server serves the committed client: the join link opens it, assets are cached for good."""

from __future__ import annotations

import gzip
import re

import httpx

from tests.conftest import ROOT
from tests.web.conftest import Demo


def test_the_join_link_the_server_prints_opens_the_client(demo: Demo) -> None:
    info = httpx.get(f"{demo.http}/api/join/{demo.join_code}", timeout=10).json()
    session = demo.api("GET", f"/api/sessions/{info['session']['id']}")
    response = httpx.get(session["join_url"], timeout=10)
    assert response.status_code == 200
    assert response.text == (ROOT / "web" / "dist" / "index.html").read_text(encoding="utf-8")
    assert response.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_every_client_route_answers_the_client_and_unknown_paths_do_not(demo: Demo) -> None:
    for path in (
        "/",
        "/rejoindre/ABCDEFGH",
        f"/atelier/{demo.atelier_id}",
        "/proposition/p1",
        "/animation/s1",
        "/projection/s1",
        "/vote/poll-1",
        "/conseil",
        "/conseil/proposition/p1",
        "/connexion",
        "/nouvel-atelier",
        f"/atelier/{demo.atelier_id}/nouvelle-seance",
        f"/atelier/{demo.atelier_id}/modifier",
        "/seance/s1/modifier",
    ):
        response = httpx.get(demo.http + path, timeout=10)
        assert response.status_code == 200, path
        assert '<div id="app">' in response.text, path
    assert httpx.get(demo.http + "/nowhere/at/all", timeout=10).status_code == 404
    # The API keeps its own answers (problem details), not the client's page.
    assert httpx.get(demo.http + "/api/join/ZZZZZZZZ", timeout=10).status_code == 404


def test_hashed_assets_are_served_and_cached_for_a_year(demo: Demo) -> None:
    index = httpx.get(demo.http + "/", timeout=10).text
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', index)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    for asset in assets:
        response = httpx.get(demo.http + asset, timeout=10)
        assert response.status_code == 200, asset
        assert "immutable" in response.headers["cache-control"]


def test_the_service_worker_is_served_from_the_root_and_never_cached(demo: Demo) -> None:
    response = httpx.get(demo.http + "/sw.js", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert "atelier-shell" in response.text


DIST = ROOT / "web" / "dist"
STATIC_IMPORT = re.compile(r'(?:from|import)\s*"\./([\w.-]+\.js)"')


def over_the_wire(entry_chunks: list[str]) -> int:
    """Gzipped bytes a first visit downloads for these chunks, their static imports, the
    entry script and the stylesheet (dynamic imports, loaded later, are not counted)."""
    index = (DIST / "index.html").read_text(encoding="utf-8")
    files = {p.removeprefix("/assets/") for p in re.findall(r'"(/assets/[^"]+)"', index)}
    todo = [*files, *entry_chunks]
    while todo:
        name = todo.pop()
        files.add(name)
        if name.endswith(".js"):
            text = (DIST / "assets" / name).read_text(encoding="utf-8")
            todo += [m for m in STATIC_IMPORT.findall(text) if m not in files]
    return sum(len(gzip.compress((DIST / "assets" / f).read_bytes(), 9)) for f in files)


def chunk(prefix: str) -> str:
    (found,) = [p.name for p in (DIST / "assets").glob(f"{prefix}-*.js")]
    return found


def test_a_phone_joining_or_voting_downloads_little() -> None:
    # Budgets with some headroom over today's sizes (about 23.6 and 30.9 kB, once the console's
    # and the door's words moved to the organisers' catalog part): a framework or a library
    # pulled into these paths by mistake fails here.
    assert over_the_wire([chunk("join")]) < 25_000
    assert over_the_wire([chunk("ballot")]) < 33_000
    # The editor (ProseMirror, Yjs, y-websocket, y-indexeddb) is loaded only on its screen;
    # with its toolbar, comments and amendments it is about 145 kB (their words are a catalog
    # part of their own, fetched with the screen, so the phones' paths above do not carry them).
    assert over_the_wire([chunk("proposal")]) < 150_000
