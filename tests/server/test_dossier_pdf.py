"""What council staff and participants print: a frozen version as a PDF — on a real server,
SQLite then PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator

import httpx
import pypdf
import pytest
from PIL import Image
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_polls_api import act, vote
from tests.server.test_versions_api import new_proposal, paragraph, post, write

FRENCH = "L’œuvre « commune » des habitant·es : où en est-on ?"


def pdf_text(data: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Extracted text with line wraps and non-breaking spaces as plain spaces."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 30), (20, 110, 160)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def room(server_on: ServerProcess) -> Iterator[Room]:
    with httpx.Client(base_url=server_on.http, timeout=30) as http:
        yield Room(http)


def rich_proposition(doc: Doc) -> None:
    """A heading, a bold word and a bullet list, as the browser's editor writes them."""
    fragment = doc.get("proposition", type=XmlFragment)
    heading = fragment.children.append(XmlElement("heading", {"level": "2"}))
    heading.children.append(XmlText("Deux lieux"))
    para = fragment.children.append(XmlElement("paragraph"))
    text = para.children.append(XmlText("Un jardin "))
    text.insert(len("Un jardin "), "partagé", {"bold": {}})
    bullets = fragment.children.append(XmlElement("bulletList"))
    for label in ("la friche Saint-Jean", "la cour de l’école"):
        item = bullets.children.append(XmlElement("listItem"))
        inner = item.children.append(XmlElement("paragraph"))
        inner.children.append(XmlText(label))


def tie_vote(room: Room, quorum: int) -> None:
    """Four residents split two-two between the first two options: a tie for first."""
    poll = room.http.post(
        f"/api/sessions/{room.session['id']}/polls",
        json={
            "title": "Où commencer ?",
            "method": "plurality",
            "options": [{"label": "La friche"}, {"label": "L’école"}, {"label": "Le parc"}],
            "quorum": quorum,
        },
        headers=room.auth(room.facilitator),
    ).json()
    act(room, poll, "open")
    for name, choice in zip(
        ("Ana", "Bruno", "Chloé", "Driss"), ("o1", "o2", "o1", "o2"), strict=True
    ):
        token = room.token_of(name)
        room.http.post(f"/api/sessions/{room.session['id']}/check-in", headers=room.auth(token))
        assert vote(room, poll, token, {"choice": choice}).status_code == 200
    assert act(room, poll, "close").status_code == 200


def test_a_version_prints_as_an_a4_pdf_with_its_sections_votes_and_fingerprint(
    room: Room, server_on: ServerProcess
) -> None:
    atelier_id = room.atelier["id"]
    put = room.http.put(
        f"/api/ateliers/{atelier_id}/image",
        content=png(),
        headers={**room.auth(room.facilitator), "content-type": "image/png"},
    )
    assert put.status_code == 200, put.text
    proposal = new_proposal(room, session_id=room.session["id"])
    asyncio.run(
        write(
            server_on,
            proposal["doc_id"],
            room.facilitator,
            paragraph("constat", FRENCH),
            rich_proposition,
        )
    )
    tie_vote(room, quorum=10)
    frozen = post(room, f"/api/sessions/{room.session['id']}/freeze")
    assert frozen.status_code == 201, frozen.text
    digest = frozen.json()[0]["hash"]

    resident = room.token_of("Émile")
    response = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/1/pdf", headers=room.auth(resident)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader, raw = pdf_text(response.content)
    text = flat(raw)
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    assert len(reader.pages[0].images) == 1  # the atelier's image
    assert "Un jardin partagé rue Émile Zola" in text
    assert "version 1" in text
    for title in ("Intitulé", "Constat", "Proposition", "Limites, risques et aléas"):
        assert title in text
    assert FRENCH in text  # ’ « » œ · as typed
    assert "Deux lieux" in text
    assert "Un jardin partagé" in text
    assert "• la friche Saint-Jean" in text
    assert "• la cour de l’école" in text
    assert "Où commencer ?" in text
    assert "1. La friche = L’école — 2 voix chacune, ex æquo" in text
    assert "2. Le parc — 0 voix" in text
    assert "Égalité en tête" in text
    assert "Quorum non atteint (4 bulletins pour 10)" in text
    assert "4 personnes présentes (4 habitant·es)" in text
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        footer = flat(page.extract_text())
        assert f"Page {number} / {pages}" in footer
        assert digest in footer  # every printed page carries the version's fingerprint

    stranger = Room(room.http)  # the facilitator of another atelier
    refused = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/1/pdf", headers=room.auth(stranger.facilitator)
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "other_atelier")
    missing = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/2/pdf", headers=room.auth(resident)
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "version_not_found")
