"""Search on the public door (issue 22, #4), on SQLite and PostgreSQL: listed ateliers and
published proposals found in French (accents, case and plurals aside), ranked, with escaped
excerpts; unlisted ateliers and drafts never found; any query answers, never a 500."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from tests.conftest import RUNNING, ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_versions_api import new_proposal, paragraph, post, write
from tests.server.test_versions_api import room as room  # noqa: PLC0414 (the fixture)

QUARTIER = "Créer des ateliers de quartier au service des projets"


def found(http: httpx.Client, q: str) -> list[dict[str, Any]]:
    answer = http.get("/api/search", params={"q": q})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


def titles(http: httpx.Client, q: str) -> list[str]:
    return [hit["title"] for hit in found(http, q)]


def atelier(http: httpx.Client, *, city: bool, title: str, subject: str) -> str:
    body = {
        "title": title,
        "subject": subject,
        "kind": "projet" if city else "initiative_citoyenne",
        "scope": "ville",
        "facilitator_name": "Gaspard Introuvable",
        "charter_text": "Respect.",
        "min_residents": 3,
    }
    staff = RUNNING[str(http.base_url).rstrip("/")].staff_token()
    http.cookies.clear()
    answer = http.post(
        "/api/ateliers", json=body, headers={"authorization": f"Bearer {staff}"} if city else {}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["atelier"]["id"])


def one_kind_only(http: httpx.Client, hostile: str) -> None:
    """One kind only: on the page (its choice kept) and in the API; an unknown kind is a 400."""
    only = http.get("/decouvrir/recherche", params={"q": "quartiers", "kind": "proposal"}).text
    assert '<option value="proposal" selected>Propositions</option>' in only
    assert f'href="/decouvrir/ateliers/{hostile}"' not in only
    assert "Créer des ateliers de <mark>quartier</mark> au service des projets" in only
    assert {h["kind"] for h in found(http, "quartier")} >= {"atelier", "proposal"}
    kinds = http.get("/api/search", params={"q": "quartier", "kind": "proposal"}).json()
    assert [h["title"] for h in kinds["results"]] == [QUARTIER]
    unknown = http.get("/api/search", params={"q": "quartier", "kind": "personne"})
    assert unknown.status_code == 400
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_search_finds_listed_ateliers_and_published_proposals_in_french(
    room: Room, server_on: ServerProcess
) -> None:
    http = room.http
    # A published proposal, with a text; a draft that must stay the atelier's own.
    proposal = new_proposal(room, title=QUARTIER)
    asyncio.run(
        write(
            server_on,
            proposal["doc_id"],
            room.facilitator,
            paragraph("constat", "La démocratie locale <b>vivante</b> manque de relais."),
        )
    )
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    new_proposal(room, title="Brouillon secret sur les quartiers")
    unlisted = atelier(
        http, city=False, title="Quartiers oubliés", subject="Un atelier pas encore approuvé."
    )
    hostile = atelier(
        http, city=True, title="<script>alert(1)</script> quartier", subject="<img src=x>"
    )

    # Plurals, case and accents aside; a proposal by its title and by its frozen text.
    assert QUARTIER in titles(http, "quartiers")
    assert QUARTIER in titles(http, "QUARTIER")
    by_text = [h for h in found(http, "democratie relais") if h["kind"] == "proposal"]
    assert [h["title"] for h in by_text] == [QUARTIER]
    assert "<mark>démocratie</mark>" in by_text[0]["excerpt_html"]
    assert "&lt;b&gt;vivante&lt;/b&gt;" in by_text[0]["excerpt_html"]
    assert by_text[0]["url"] == f"/decouvrir/ateliers/{room.atelier['id']}"
    ateliers = [h for h in found(http, "ATELIERS") if h["kind"] == "atelier"]
    assert room.atelier["title"] in [h["title"] for h in ateliers]  # by its subject
    # Every word must be there; a title weighs more than a text.
    assert titles(http, "quartiers girafe") == []
    ranked = titles(http, "quartier")
    assert ranked.index(QUARTIER) < ranked.index(room.atelier["title"])

    # Never: an unlisted atelier, a draft, anyone's name.
    everything = http.get("/api/search", params={"q": "quartiers"}).text
    assert unlisted not in everything
    assert "Quartiers oubliés" not in everything
    assert "Brouillon" not in everything
    assert found(http, "Gaspard Introuvable") == []
    assert found(http, "Claire") == []

    # The page: the results, linked to the atelier's page, escaped, highlighted.
    page = http.get("/decouvrir/recherche", params={"q": "quartiers"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "<img src=x>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>quartier</mark>" in page.text
    assert f'href="/decouvrir/ateliers/{hostile}"' in page.text
    assert f'href="/decouvrir/ateliers/{room.atelier["id"]}"' in page.text
    assert "Quartiers oubliés" not in page.text
    assert re.search(r"<h2[^>]*>\d+ résultats</h2>", page.text)
    one_kind_only(http, hostile)
    english = http.get("/decouvrir/recherche", params={"q": "zzzz", "lang": "en"})
    assert "Nothing public holds all these words." in english.text
    # The directory has the search form.
    directory = http.get("/decouvrir/ateliers").text
    assert 'action="/decouvrir/recherche"' in directory
    assert 'name="q"' in directory

    # Any query answers: long, emoji, other scripts, filler words only, nothing at all.
    for q in ("quartier " * 600, "🏘️🎉", "مدينة 城市 город", "de la des", "", "'; DROP --"):
        assert http.get("/api/search", params={"q": q}).status_code == 200
        assert http.get("/decouvrir/recherche", params={"q": q}).status_code == 200
    assert found(http, "🏘️🎉") == []
    assert found(http, "de la des") == []
    long = http.get("/api/search", params={"q": "x" * 5000}).json()
    assert len(long["query"]) == 200
    assert long["results"] == []
    assert http.get("/api/search").json() == {"query": "", "results": []}
