"""Versions and compte-rendus as OpenDocument text (issue 21, #5): what city staff edit in their
office suite — the same facts as the PDF, with real headings and lists, the language French,
the atelier's image with a text alternative. When LibreOffice is on the machine, it opens the
file and keeps the headings and the lists."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_dossier_pdf import FRENCH, png, rich_proposition, room, tie_vote
from tests.server.test_versions_api import new_proposal, paragraph, post, write

__all__ = ["room"]  # the fixture, imported

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
ODT = "application/vnd.oasis.opendocument.text"


def opened(data: bytes) -> tuple[zipfile.ZipFile, ET.Element]:
    odt = zipfile.ZipFile(io.BytesIO(data))
    first = odt.infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert odt.read("mimetype").decode() == ODT
    for name in ("styles.xml", "meta.xml", "META-INF/manifest.xml"):
        ET.fromstring(odt.read(name))  # every part is well-formed XML
    return odt, ET.fromstring(odt.read("content.xml"))


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def test_a_version_and_the_compte_rendu_open_in_an_office_suite_with_headings_and_lists(
    room: Room, server_on: ServerProcess, tmp_path: Path
) -> None:
    atelier_id = room.atelier["id"]
    room.http.put(
        f"/api/ateliers/{atelier_id}/image",
        content=png(),
        headers={**room.auth(room.facilitator), "content-type": "image/png"},
    )
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
    before = room.http.get(
        f"/api/sessions/{room.session['id']}/compte-rendu?format=odt",
        headers=room.auth(room.facilitator),
    )
    assert before.status_code == 409  # nothing frozen yet
    tie_vote(room, quorum=10)
    assert post(room, f"/api/sessions/{room.session['id']}/freeze").status_code == 201

    resident = room.token_of("Émile")
    response = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/1/odt", headers=room.auth(resident)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == ODT
    assert response.headers["content-disposition"].endswith('.odt"')
    odt, content = opened(response.content)
    headings = [(h.get(f"{TEXT}outline-level"), text_of(h)) for h in content.iter(f"{TEXT}h")]
    titles = [title.replace("\u202f", " ").replace("\u00a0", " ") for _, title in headings]
    for title in ("Intitulé", "Constat", "Proposition", "Deux lieux", "Où commencer ?"):
        assert any(title in t for t in titles), (title, titles)
    assert headings[0][0] == "1"  # the document's title, then its parts
    items = [text_of(i) for i in content.iter(f"{TEXT}list-item")]
    assert "la friche Saint-Jean" in items
    assert "la cour de l’école" in items
    body = text_of(content).replace("\u00a0", " ").replace("\u202f", " ")
    assert FRENCH in body  # typeset (non-breaking spaces), every word as typed
    assert "4 personnes présentes (4 habitant·es)" in body
    meta = odt.read("meta.xml").decode()
    assert "<dc:language>fr-FR</dc:language>" in meta
    assert any(name.startswith("Pictures/logo.") for name in odt.namelist())
    assert "<svg:title>" in odt.read("content.xml").decode()  # the image's text alternative
    markdown = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/1/markdown", headers=room.auth(resident)
    ).text
    assert "Deux lieux" in markdown  # the same facts as the other renders

    minutes = room.http.get(
        f"/api/sessions/{room.session['id']}/compte-rendu?format=odt",
        headers=room.auth(room.facilitator),
    )
    assert minutes.status_code == 200, minutes.text
    _, minutes_content = opened(minutes.content)
    minutes_titles = [text_of(h) for h in minutes_content.iter(f"{TEXT}h")]
    assert len(minutes_titles) >= 3

    soffice = shutil.which("soffice")
    if soffice is None:
        return  # LibreOffice is not on this machine: the structure was checked above
    source = tmp_path / "version.odt"
    source.write_bytes(response.content)
    subprocess.run(
        [soffice, "--headless", "--convert-to", "html", str(source), "--outdir", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    html = (tmp_path / "version.html").read_text(encoding="utf-8", errors="replace")
    assert "<h1" in html
    assert "<h2" in html
    assert "<ul" in html
    assert "la friche Saint-Jean" in html


def test_the_odt_escapes_what_people_typed(room: Room, server_on: ServerProcess) -> None:
    proposal = new_proposal(room, title="<b>Titre</b> & « guillemets »")
    asyncio.run(
        write(
            server_on,
            proposal["doc_id"],
            room.facilitator,
            paragraph("constat", "<text:h>pas un titre</text:h> & ]]>"),
        )
    )
    post(room, f"/api/proposals/{proposal['id']}/freeze")
    response = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/1/odt", headers=room.auth(room.facilitator)
    )
    _, content = opened(response.content)
    assert "<text:h>pas un titre</text:h> & ]]>" in text_of(content)
    assert not any(text_of(h) == "pas un titre" for h in content.iter(f"{TEXT}h"))
