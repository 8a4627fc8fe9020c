"""What council staff and participants print: a frozen version as a PDF, and the compte-rendu of
a séance (Markdown, HTML, PDF) in the seed's own structure, built from frozen versions — on a
real server, SQLite then PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx
import pypdf
import pytest
from PIL import Image
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from domain.demo import SESSION_1_ID, SYNTHESIS_1_ID
from domain.report import Part, Report, bullets, para
from server.auth import mint_council_token
from server.documents.sign_in import SignInRow, SignInSheet, sign_in_sheet_pdf
from server.pdf import report_pdf
from server.printing import InvitationSheet, invitation_pdf
from tests.conftest import DATABASES, TEST_SECRET, ServerProcess, migrated_database
from tests.server.test_ateliers_api import Room
from tests.server.test_demo import run_demo
from tests.server.test_polls_api import act, vote
from tests.server.test_versions_api import new_proposal, paragraph, post, write

# The seed's compte-rendu headings, in its order (« 2. Appréciations et propositions » and
# « 3. Leviers de bon fonctionnement » are numbered there, under « Clarifications »).
SEED_HEADINGS = [
    "OBJECTIFS DE LA SEANCE / ORDRE DU JOUR",
    "METHODE/DEROULE",
    "SYNTHESE DES ECHANGES",
    "Remarques liminaires",
    "Clarifications",
    "Appréciations et propositions",
    "Leviers de bon fonctionnement",
    "Questions à étudier",
    "ORDRE DU JOUR DE LA SEANCE SUIVANTE",
]

FRENCH = "L’œuvre « commune » des habitant·es : où en est-on ?"
SCRIPT = "<script>alert('cr')</script>"


def fold(text: str) -> str:
    """Compare as a reader does: no accents, no case, any space is one space, « / » tight."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))
    return re.sub(r" ?/ ?", "/", text).strip()


SEED = [fold(h) for h in SEED_HEADINGS]


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

    # One model, every render: the séance's compte-rendu shows the atelier's image on the page
    # as on paper (the HTML was the one render without it).
    minutes = f"/api/sessions/{room.session['id']}/compte-rendu"
    page = room.http.get(minutes, params={"format": "html"}, headers=room.auth(room.facilitator))
    assert page.status_code == 200, page.text
    assert '<p class="image"><img src="data:image/png;base64,' in page.text
    assert "img-src data:" in page.headers["content-security-policy"]
    paper = room.http.get(minutes, params={"format": "pdf"}, headers=room.auth(room.facilitator))
    assert len(pdf_text(paper.content)[0].pages[0].images) == 1

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


def test_the_council_reads_a_compte_rendu_of_handed_over_documents_only(room: Room) -> None:
    seance = room.session["id"]
    fiche = new_proposal(room, session_id=seance)
    new_proposal(room, title="Synthèse", kind="synthese", session_id=seance)
    assert post(room, f"/api/sessions/{seance}/freeze").status_code == 201
    city = room.auth(mint_council_token(TEST_SECRET, "Direction de la démocratie locale", 600))
    url = f"/api/sessions/{seance}/compte-rendu"
    hidden = room.http.get(url, headers=city)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "session_not_found")
    assert post(room, f"/api/proposals/{fiche['id']}/transmit").status_code == 200
    seen = flat(room.http.get(url, headers=city).text)
    assert "Établi à partir de la version 1 de « Un jardin partagé rue Émile Zola »" in seen
    assert "« Synthèse »" not in seen  # still the atelier's own work
    assert "Aucune synthèse des échanges figée n’est disponible pour cette séance." in seen
    facilitator = flat(room.http.get(url, headers=room.auth(room.facilitator)).text)
    assert "Établi à partir de la version 1 de « Synthèse »" in facilitator


def test_without_a_unicode_font_the_pdf_folds_the_text_to_latin1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server without DejaVu still prints every word, with ’ œ folded, not dropped."""
    monkeypatch.setattr("server.pdf.FONT_DIRS", ())  # a system without the font
    report = Report(
        FRENCH,
        parts=(Part("Constat", (para("Un cœur de quartier à l’œuvre"),)),),
        footer="Empreinte SHA-256 : " + "a" * 64,
    )
    _, raw = pdf_text(report_pdf(report))
    text = flat(raw)
    assert "L'oeuvre « commune » des habitant·es : où en est-on ?" in text
    assert "Un coeur de quartier à l'oeuvre" in text
    assert "Page 1 / 1" in text
    assert "a" * 64 in text


class Outline(HTMLParser):
    """The headings of a page, and every tag it really contains."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.tags: list[str] = []
        self._in_heading = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)
        if tag in ("h1", "h2", "h3"):
            self._in_heading = True
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3"):
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_heading:
            self.headings[-1] += data


def seed_order(headings: list[str]) -> list[str]:
    """The headings the seed also has, in the document's order."""
    return [h for h in (fold(x) for x in headings) if h in SEED]


@dataclass(frozen=True)
class FrozenDemo:
    http: httpx.Client
    auth: dict[str, str]
    url: str
    before_freeze: httpx.Response
    hashes: list[str]


def _seance_one(http: httpx.Client, auth: dict[str, str], code: str, server: ServerProcess) -> None:
    """Séance 1 as it could have gone: three residents check in and vote, someone types
    markup and French text into the synthesis."""
    poll = http.post(
        f"/api/sessions/{SESSION_1_ID}/polls",
        json={
            "title": "Par quoi commencer la séance 2 ?",
            "method": "plurality",
            "options": [
                {"label": "Revoir les noms"},
                {"label": "Un cas pratique"},
                {"label": "Une charte"},
            ],
        },
        headers=auth,
    ).json()
    assert http.post(f"/api/polls/{poll['id']}/open", headers=auth).status_code == 200
    for name, choice in (("Ana", "o2"), ("Bruno", "o2"), ("Chloé", "o1")):
        http.cookies.clear()  # each from their own phone
        joined = http.post(
            f"/api/join/{code}",
            json={"display_name": name, "role": "habitant", "accept_charter_version": 1},
        )
        assert joined.status_code == 201, joined.text
        token = {"Authorization": f"Bearer {joined.json()['token']}"}
        http.post(f"/api/sessions/{SESSION_1_ID}/check-in", headers=token)
        ballot = {"ballot": {"choice": choice}}
        cast = http.put(f"/api/polls/{poll['id']}/ballot", json=ballot, headers=token)
        assert cast.status_code == 200, cast.text
    assert http.post(f"/api/polls/{poll['id']}/close", headers=auth).status_code == 200
    paragraph_ = paragraph("questions", f"{SCRIPT} {FRENCH}")
    token = auth["Authorization"].split()[1]
    asyncio.run(write(server, f"prop-{SYNTHESIS_1_ID}", token, paragraph_))


@pytest.fixture(scope="module", params=DATABASES)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FrozenDemo]:
    """`atelier demo` on a fresh database, a server on it, séance 1 held and frozen."""
    folder = tmp_path_factory.mktemp("demo")
    with migrated_database(request.param, folder) as database_url:
        lines = run_demo(database_url)  # before serving, as `make run` does
        facilitator = next(line for line in lines if "#token=" in line).split("#token=")[1]
        code = next(line for line in lines if "/rejoindre/" in line).rsplit("/", 1)[1]
        auth = {"Authorization": f"Bearer {facilitator}"}
        url = f"/api/sessions/{SESSION_1_ID}/compte-rendu"
        server = ServerProcess(database_url, log_path=folder / "server.log")
        with server.running(), httpx.Client(base_url=server.http, timeout=30) as http:
            before = http.get(url, headers=auth)
            _seance_one(http, auth, code, server)
            frozen = http.post(f"/api/sessions/{SESSION_1_ID}/freeze", headers=auth)
            assert frozen.status_code == 201, frozen.text
            hashes = [v["hash"] for v in frozen.json()]
            assert len(hashes) == 3  # two fiche-actions and the synthesis
            yield FrozenDemo(http, auth, url, before, hashes)


def test_before_the_freeze_the_compte_rendu_asks_the_facilitator_to_freeze(
    demo: FrozenDemo,
) -> None:
    early = demo.before_freeze
    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["code"] == "seance_not_frozen"
    assert "figer" in early.json()["detail"]


def test_the_compte_rendu_in_markdown_follows_the_seed(demo: FrozenDemo) -> None:
    markdown = demo.http.get(demo.url, headers=demo.auth)
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    md = markdown.text
    md_headings = [line.lstrip("#").strip() for line in md.splitlines() if line[:1] == "#"]
    assert seed_order(md_headings) == SEED
    said = flat(md)
    assert "Établi à partir de la version 1 de « Synthèse des échanges — séance 1 »" in said
    assert "Date, horaire et lieu de la séance** : mardi 12 décembre 2017, L’Aubette" in said
    assert "Nombre de personnes présentes** : 35 (dont 3 enregistrées" in said
    assert "prochaine séance** : mercredi 31 janvier 2018, Centre Administratif" in said
    assert "1. Un cas pratique — 2 voix" in said
    assert "Option retenue : **Un cas pratique**" in said
    assert "- Qui pilote les ateliers d’initiatives citoyennes ?" in said
    assert SCRIPT not in md  # escaped: a Markdown renderer shows it as text
    for digest in demo.hashes:
        assert digest in md
    assert demo.http.get(demo.url + "?format=markdown", headers=demo.auth).text == md


def test_the_compte_rendu_in_html_follows_the_seed_and_keeps_typed_markup_as_text(
    demo: FrozenDemo,
) -> None:
    page = demo.http.get(demo.url, params={"format": "html"}, headers=demo.auth)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    outline = Outline()
    outline.feed(page.text)
    assert seed_order(outline.headings) == SEED
    assert "script" not in outline.tags  # typed markup stays text…
    assert SCRIPT in "".join(outline.text)  # …and reads as typed
    assert fold(FRENCH) in fold("".join(outline.text))


def test_the_compte_rendu_in_pdf_follows_the_seed(demo: FrozenDemo) -> None:
    printed = demo.http.get(demo.url, params={"format": "pdf"}, headers=demo.auth)
    assert printed.status_code == 200
    assert printed.headers["content-type"] == "application/pdf"
    reader, raw = pdf_text(printed.content)
    text = flat(raw)
    assert seed_order(raw.splitlines()) == SEED  # headings are lines of their own
    assert "mardi 12 décembre 2017, L’Aubette" in text
    assert "1. Un cas pratique — 2 voix" in text
    assert SCRIPT in text
    assert FRENCH in text
    assert f"Page 1 / {len(reader.pages)}" in text
    for digest in demo.hashes:
        assert digest in text
    wrong = demo.http.get(demo.url, params={"format": "docx"}, headers=demo.auth)
    assert wrong.status_code == 400


def test_a_link_in_the_text_is_a_link_in_the_pdf_and_an_unsafe_one_is_not() -> None:
    """The PDF says what the HTML and the Markdown say: the same words, the same address."""
    report = Report(
        FRENCH,
        parts=(
            Part(
                "Constat",
                (
                    para(
                        "Voir ",
                        ("le site de la ville", ["link:https://www.strasbourg.eu"]),
                        " et pas ",
                        ("ceci", ["link:javascript:alert(1)"]),
                    ),
                ),
            ),
        ),
    )
    reader, raw = pdf_text(report_pdf(report))
    assert "Voir le site de la ville et pas ceci" in flat(raw)
    uris = [
        str(annotation.get_object()["/A"]["/URI"])
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object()
    ]
    assert uris == ["https://www.strasbourg.eu"]


def test_a_pdf_is_tagged_for_screen_readers_with_its_language_title_and_headings() -> None:
    """RGAA asks a public body for accessible documents: a structure tree (headings, paragraphs,
    list labels, the figure with its text alternative) in reading order, the page furniture
    as artifacts, the language and the title; a paragraph that runs over a page continues as
    an element on the next."""
    long_text = "Une phrase assez longue pour remplir des lignes entières. " * 120
    report = Report(
        FRENCH,
        lead=("Atelier « Évolution »",),
        facts=(("Date", "mardi 12 décembre 2017"),),
        parts=(
            Part("Constat", (para(long_text),)),
            Part("Proposition", (bullets(["la friche", "l’école"]),)),
        ),
        footer="Empreinte SHA-256 : " + "a" * 64,
        closing=("Fin.",),
    )
    reader, raw = pdf_text(report_pdf(report, image=png()))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "fr"
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert reader.metadata.title.startswith("L’œuvre")
    document = catalog["/StructTreeRoot"]["/K"][0].get_object()
    kinds = [kid.get_object()["/S"] for kid in document["/K"]]
    assert kinds[:3] == ["/Figure", "/H1", "/P"]  # the logo, the title, the lead
    assert kinds.index("/H2") < kinds.index("/Lbl")  # « Constat » before the list
    assert kinds.count("/H2") == 2
    assert kinds.count("/Lbl") == 2
    figure = document["/K"][0].get_object()
    assert figure["/Alt"] == "Logo de l’atelier"
    assert len(reader.pages) >= 2
    pages_of_paragraphs = {
        kid.get_object()["/Pg"].get_object().indirect_reference.idnum
        for kid in document["/K"]
        if kid.get_object()["/S"] == "/P" and "/Pg" in kid.get_object()
    }
    assert len(pages_of_paragraphs) >= 2  # the long paragraph continued on the next page
    assert "Page 1 / " in raw  # the footer is there, as an artifact outside the tree


def test_an_invitation_is_tagged_and_its_qr_code_says_where_it_leads() -> None:
    sheet = InvitationSheet(
        title="Évolution des instances",
        subtitle="Séance 1",
        when="mardi 12 décembre 2017 à 18 h",
        where="L’Aubette",
        join_code="ABCD-EFGH",
        join_url="https://atelier.example/rejoindre/ABCDEFGH",
        image=png(),
    )
    reader, _ = pdf_text(invitation_pdf(sheet))
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "fr"
    document = catalog["/StructTreeRoot"]["/K"][0].get_object()
    elements = [kid.get_object() for kid in document["/K"]]
    assert [e["/S"] for e in elements].count("/H1") == 1
    alts = [str(e["/Alt"]) for e in elements if e["/S"] == "/Figure"]
    assert alts == [
        "Logo de l’atelier",
        "QR code du lien pour rejoindre la séance : https://atelier.example/rejoindre/ABCDEFGH",
    ]


def test_the_sign_in_sheet_is_tagged_its_rows_in_order_on_every_page() -> None:
    rows = tuple(SignInRow(f"Personne {n:02d}", "habitant·e", n % 2 == 0) for n in range(60))
    sheet = SignInSheet(
        atelier="Évolution des instances",
        seance="Séance 1 — mardi 12 décembre 2017",
        place="L’Aubette",
        rows=rows,
        headcount=35,
    )
    reader, raw = pdf_text(sign_in_sheet_pdf(sheet))
    assert len(reader.pages) >= 2
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "fr"
    document = catalog["/StructTreeRoot"]["/K"][0].get_object()
    kinds = [kid.get_object()["/S"] for kid in document["/K"]]
    assert kinds[0] == "/H1"
    assert kinds.count("/P") >= len(rows)  # every person's row is an element, on every page
    assert "Nombre de personnes présentes : 35" in flat(raw)
