"""Freezing proposals into versions and handing them to the council, on SQLite and PostgreSQL:
the hash chain anyone can recompute, diffs, tampering caught, locks, drafts, decisions."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pycrdt import Doc, XmlElement, XmlFragment, XmlText
from sqlalchemy.ext.asyncio import create_async_engine

from server.auth import mint_council_token
from tests.conftest import TEST_SECRET, ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_polls_api import act, new_poll, vote
from tests.ypy_client import connect


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=20) as http:
        yield Room(http)


def council(room: Room) -> dict[str, str]:
    return room.auth(mint_council_token(TEST_SECRET, "Direction de la démocratie locale", 3600))


def new_proposal(room: Room, **extra: Any) -> dict[str, Any]:
    response = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/proposals",
        json={"title": "Un jardin partagé rue Émile Zola", **extra},
        headers=room.auth(room.facilitator),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def paragraph(key: str, text: str) -> Any:
    def write(doc: Doc) -> None:
        fragment = doc.get(key, type=XmlFragment)
        element = fragment.children.append(XmlElement("paragraph"))
        element.children.append(XmlText(text))

    return write


async def write(server: ServerProcess, doc_id: str, token: str, *edits: Any) -> None:
    """Edits as a browser sends them; returns once the server acknowledged them (durable)."""
    async with connect(server.doc_url(doc_id, token=token)) as writer:
        for edit in edits:
            writer.edit_doc(edit)
        await writer.round_trip()


def post(
    room: Room, path: str, token: str | dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    headers = token if isinstance(token, dict) else room.auth(token or room.facilitator)
    return room.http.post(path, json=body or None, headers=headers)


def recompute(version: dict[str, Any]) -> str:
    """The README's recipe, written out independently of the server's code."""
    hashed = {
        "proposal_id": version["proposal_id"],
        "version": version["number"],
        "created_at": version["created_at"],
        "created_by": version["created_by"],
        "prev_hash": version["prev_hash"],
        "state_sha256": hashlib.sha256(base64.b64decode(version["state"])).hexdigest(),
        "content": version["content"],
    }
    if version.get("format", 1) >= 2:  # names as salted commitments; format 1 has no key
        hashed["format"] = version["format"]
    canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def opened(version: dict[str, Any], commitment: str) -> str | None:
    """The README's check of a name kept beside a format-2 version: the name whose
    sha256(salt + name) is the commitment, or None once erased."""
    kept = version["names"][commitment]
    if kept is None:
        return None
    digest = hashlib.sha256((kept["salt"] + kept["name"]).encode("utf-8")).hexdigest()
    assert digest == commitment
    return str(kept["name"])


def named(version: dict[str, Any], entries: list[str]) -> list[str | None]:
    return [opened(version, c) for c in entries]


def test_a_frozen_version_holds_the_text_and_a_hash_anyone_can_recompute(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room)
    asyncio.run(
        write(
            server_on,
            proposal["doc_id"],
            room.facilitator,
            paragraph(
                "constat", "Les habitant·es manquent d’espaces verts <script>alert(1)</script>."
            ),
            paragraph("proposition", "Un jardin partagé sur la friche."),
        )
    )
    frozen = post(room, f"/api/proposals/{proposal['id']}/freeze")
    assert frozen.status_code == 201, frozen.text
    assert frozen.json()["number"] == 1
    assert frozen.json()["prev_hash"] == "0" * 64
    v1 = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/1", headers=room.auth(room.facilitator)
    ).json()
    assert recompute(v1) == v1["hash"] == frozen.json()["hash"]
    assert v1["format"] == 2
    assert opened(v1, v1["created_by"]) == v1["author"]  # the facilitator's name, beside it
    sections = {s["key"]: s for s in v1["content"]["sections"]}
    assert sections["proposition"]["text"] == "Un jardin partagé sur la friche."
    assert sections["constat"]["markdown"].startswith("Les habitant·es manquent")
    # The exact Yjs state restores the document.
    restored = Doc()
    restored.apply_update(base64.b64decode(v1["state"]))
    assert "friche" in str(restored.get("proposition", type=XmlFragment))

    resident = room.token_of("Ana")
    page = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/1/html", headers=room.auth(resident)
    )
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    markdown = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/1/markdown", headers=room.auth(resident)
    ).text
    assert "## Proposition\n\nUn jardin partagé sur la friche." in markdown
    assert v1["hash"] in markdown


def test_versions_chain_diff_word_by_word_and_verify(room: Room, server_on: ServerProcess) -> None:
    proposal = new_proposal(room)
    asyncio.run(
        write(
            server_on, proposal["doc_id"], room.facilitator, paragraph("constat", "Peu de bancs.")
        )
    )
    v1 = post(room, f"/api/proposals/{proposal['id']}/freeze").json()
    asyncio.run(
        write(
            server_on,
            proposal["doc_id"],
            room.facilitator,
            paragraph("constat", "Aucune ombre l’été."),
        )
    )
    v2 = post(room, f"/api/proposals/{proposal['id']}/freeze").json()
    assert (v2["number"], v2["prev_hash"]) == (2, v1["hash"])
    diff = room.http.get(
        f"/api/proposals/{proposal['id']}/diff?from=1&to=2", headers=room.auth(room.facilitator)
    ).json()
    constat = next(s for s in diff["sections"] if s["key"] == "constat")
    assert constat["changed"] is True
    assert {"op": "insert", "text": "\n\nAucune ombre l’été."} in constat["ops"]
    assert (constat["title_fr"], constat["title_en"]) == ("Constat", "Findings")
    assert not any(s["changed"] for s in diff["sections"] if s["key"] != "constat")

    verified = room.http.get(
        f"/api/proposals/{proposal['id']}/verify", headers=room.auth(room.facilitator)
    ).json()
    assert verified == {
        "proposal_id": proposal["id"],
        "valid": True,
        "versions": 2,
        "first_broken": None,
        "head": v2["hash"],
    }

    # Only the formatting changes (« bancs » made bold): the diff says so, words unchanged.
    def embolden(doc: Doc) -> None:
        first = doc.get("constat", type=XmlFragment).children[0].children[0]
        first.format(7, 12, {"bold": {}})

    asyncio.run(write(server_on, proposal["doc_id"], room.facilitator, embolden))
    post(room, f"/api/proposals/{proposal['id']}/freeze")
    formatted = room.http.get(
        f"/api/proposals/{proposal['id']}/diff?from=2&to=3", headers=room.auth(room.facilitator)
    ).json()
    constat = next(s for s in formatted["sections"] if s["key"] == "constat")
    assert constat["changed"] is True
    (change,) = [op for op in constat["ops"] if op["op"] != "equal"]
    assert (change["op"], change["text"]) == ("format", "bancs.")
    assert change["runs"] == [["bancs", ["bold"]], [".", []]]


def test_changing_a_stored_version_is_refused_and_if_forced_is_caught_by_name(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room)
    for text in ("Premier jet.", "Second jet.", "Troisième jet."):
        asyncio.run(
            write(server_on, proposal["doc_id"], room.facilitator, paragraph("constat", text))
        )
        assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201

    async def tamper() -> None:
        engine = create_async_engine(server_on.database_url)
        forged = sa.text(
            "UPDATE proposal_versions SET created_by = 'Quelqu’un d’autre' WHERE number = 2"
        )
        async with engine.connect() as conn:
            with pytest.raises(sa.exc.DBAPIError, match="immutable"):
                await conn.execute(forged)
            await conn.rollback()
            with pytest.raises(sa.exc.DBAPIError, match="immutable"):
                await conn.execute(sa.text("DELETE FROM proposal_versions"))
            await conn.rollback()
        async with engine.begin() as conn:  # someone with the database's keys goes further
            if engine.dialect.name == "postgresql":
                await conn.execute(sa.text("ALTER TABLE proposal_versions DISABLE TRIGGER USER"))
            else:
                await conn.execute(sa.text("DROP TRIGGER proposal_versions_no_update"))
            await conn.execute(forged)  # the name of who froze it is covered by the hash
        await engine.dispose()

    asyncio.run(tamper())
    verified = room.http.get(
        f"/api/proposals/{proposal['id']}/verify", headers=room.auth(room.facilitator)
    ).json()
    assert verified["valid"] is False
    assert verified["first_broken"] == 2


def test_a_locked_freeze_turns_editors_read_only_until_a_new_draft(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room)
    resident = room.token_of("Ana")

    async def scenario() -> None:
        async with connect(server_on.doc_url(proposal["doc_id"], token=resident)) as ana:
            ana.edit_doc(paragraph("constat", "Avant le gel."))
            await ana.round_trip()
            frozen = await asyncio.to_thread(
                post, room, f"/api/proposals/{proposal['id']}/freeze", None, lock=True
            )
            assert frozen.status_code == 201, frozen.text
            await ana.closed.wait()
            assert ana.close_code == 1012
        async with connect(server_on.doc_url(proposal["doc_id"], token=resident)) as ana:
            ana.edit_doc(paragraph("constat", "Après le gel."))  # dropped: read-only now
            await ana.round_trip()
        async with connect(server_on.doc_url(proposal["doc_id"], token=room.facilitator)) as anyone:
            assert "Après" not in str(anyone.doc.get("constat", type=XmlFragment))

    asyncio.run(scenario())
    listed = room.http.get(
        f"/api/proposals/{proposal['id']}/versions", headers=room.auth(resident)
    ).json()
    assert listed["locked"] is True
    assert listed["status"] == "figee"
    # The atelier's list says so too: the facilitator's console offers to transmit it.
    (row,) = [
        p
        for p in room.http.get(
            f"/api/ateliers/{room.atelier['id']}/proposals", headers=room.auth(resident)
        ).json()
        if p["id"] == proposal["id"]
    ]
    assert (row["status"], row["locked"]) == ("figee", True)
    draft = post(room, f"/api/proposals/{proposal['id']}/versions/1/draft")
    assert draft.status_code == 201, draft.text
    new_doc = draft.json()["doc_id"]
    assert new_doc != proposal["doc_id"]
    assert (draft.json()["locked"], draft.json()["status"]) == (False, "brouillon")

    async def editable_again() -> None:
        async with connect(server_on.doc_url(new_doc, token=resident)) as ana:
            assert "Avant le gel." in str(ana.doc.get("constat", type=XmlFragment))
            ana.edit_doc(paragraph("constat", "Le brouillon suivant."))
            await ana.round_trip()
        async with connect(
            server_on.doc_url(proposal["doc_id"], token=resident), sync=False
        ) as old:
            await old.closed.wait()
            assert old.close_code == 4403  # the replaced draft is nobody's any more

    asyncio.run(editable_again())
    v2 = post(room, f"/api/proposals/{proposal['id']}/freeze").json()
    got = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/2", headers=room.auth(resident)
    ).json()
    constat = next(s for s in got["content"]["sections"] if s["key"] == "constat")
    assert constat["text"] == "Avant le gel.\n\nLe brouillon suivant."
    assert v2["prev_hash"] != "0" * 64


def test_the_council_sees_only_what_was_handed_over_and_records_the_decision(room: Room) -> None:
    handed, kept = new_proposal(room), new_proposal(room, title="Encore en chantier")
    for proposal in (handed, kept):
        assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    city = council(room)
    resident = room.token_of("Ana")
    assert post(room, f"/api/proposals/{handed['id']}/transmit", resident).status_code == 403
    assert post(room, f"/api/proposals/{handed['id']}/freeze", city).status_code == 403
    assert post(room, f"/api/proposals/{handed['id']}/transmit").json()["status"] == "transmise"

    listed = room.http.get("/api/council/proposals", headers=city).json()
    assert [p["id"] for p in listed] == [handed["id"]]
    assert listed[0]["latest_version"]["number"] == 1
    assert room.http.get("/api/council/proposals?status=adoptee", headers=city).json() == []
    by_instance = room.http.get("/api/council/proposals?instance=CQ", headers=city).json()
    assert [p["id"] for p in by_instance] == [handed["id"]]  # the atelier serves CQ and CC
    assert room.http.get("/api/council/proposals?instance=CDJ", headers=city).json() == []
    hidden = room.http.get(f"/api/proposals/{kept['id']}/versions/1", headers=city)
    assert hidden.status_code == 404  # unfinished work does not exist for the council API
    assert room.http.get("/api/council/proposals", headers=room.auth(resident)).status_code == 403

    assert (
        post(room, f"/api/proposals/{handed['id']}/instruct", city).json()["status"]
        == "en_instruction"
    )
    missing_ref = post(
        room, f"/api/proposals/{handed['id']}/decision", city, outcome="adoptee", answer="Adopté."
    )
    assert (missing_ref.status_code, missing_ref.json()["code"]) == (422, "reference_required")
    decided = post(
        room,
        f"/api/proposals/{handed['id']}/decision",
        city,
        outcome="adoptee",
        answer="Le conseil adopte le jardin partagé.",
        deliberation_ref="DEL-2018-042",
        decided_on="2018-03-12",
        budget_line="AP 2018-17",
    )
    assert decided.status_code == 200, decided.text
    assert (
        post(
            room,
            f"/api/proposals/{handed['id']}/milestones",
            city,
            title="Clôture posée",
            on="2018-05-02",
        ).status_code
        == 201
    )
    seen = room.http.get(
        f"/api/proposals/{handed['id']}/versions", headers=room.auth(resident)
    ).json()
    assert seen["status"] == "adoptee"
    assert seen["decision"]["answer"] == "Le conseil adopte le jardin partagé."
    assert seen["decision"]["milestones"][0]["title"] == "Clôture posée"
    steps = room.http.get(
        f"/api/proposals/{handed['id']}/history", headers=room.auth(resident)
    ).json()
    assert [s["step"] for s in steps] == ["freeze", "transmit", "instruct", "decide", "milestone"]
    assert steps[3]["by"] == "Direction de la démocratie locale"
    # The answer reaches the participants: on the atelier's list of proposals, which their
    # atelier and proposal pages read, and in the instance's feed, each entry a link to it.
    listed_for_residents = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/proposals", headers=room.auth(resident)
    ).json()
    answered = next(p for p in listed_for_residents if p["id"] == handed["id"])
    assert answered["decision"]["answer"] == "Le conseil adopte le jardin partagé."
    assert answered["decision"]["deliberation_ref"] == "DEL-2018-042"
    assert answered["decision"]["milestones"][0]["title"] == "Clôture posée"
    feed = room.http.get("/api/instances/CQ/handoffs.json").json()["items"]
    milestone_entry, decision_entry = feed[0], feed[1]
    assert milestone_entry["_atelier"]["kind"] == "proposal.jalon"  # not « adoptée » again
    assert "mise en œuvre — Clôture posée (2018-05-02)" in milestone_entry["title"]
    assert decision_entry["_atelier"]["kind"] == "proposal.adoptee"
    assert "décision du conseil municipal — adoptée" in decision_entry["title"]
    assert "Le conseil adopte le jardin partagé." in decision_entry["content_text"]
    public = f"/decouvrir/ateliers/{room.atelier['id']}#proposals-title"
    assert decision_entry["url"].endswith(public)  # a page anyone may open
    atom = room.http.get("/api/instances/CQ/handoffs.atom").text
    base = str(room.http.base_url).rstrip("/")
    assert f'href="{base}{public}"' in atom
    again = post(room, f"/api/proposals/{handed['id']}/freeze")
    assert (again.status_code, again.json()["code"]) == (409, "proposal_adoptee")


def test_freezing_a_seance_records_its_votes_and_attendance(
    room: Room, server_on: ServerProcess
) -> None:
    fiche = new_proposal(room, session_id=room.session["id"])
    synthese = new_proposal(room, title="Synthèse", kind="synthese", session_id=room.session["id"])
    voters = [
        room.token_of(n, show_name_in_minutes=(n == "Ana")) for n in ("Ana", "Bruno", "Chloé")
    ]
    for token in voters:
        room.http.post(f"/api/sessions/{room.session['id']}/check-in", headers=room.auth(token))
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    for token, choice in zip(voters, ("o1", "o1", "o2"), strict=True):
        vote(room, poll, token, {"choice": choice})
    act(room, poll, "close")
    frozen = post(room, f"/api/sessions/{room.session['id']}/freeze")
    assert frozen.status_code == 201, frozen.text
    assert sorted(v["proposal_id"] for v in frozen.json()) == sorted([fiche["id"], synthese["id"]])
    v1 = room.http.get(
        f"/api/proposals/{fiche['id']}/versions/1", headers=room.auth(room.facilitator)
    ).json()
    content = v1["content"]
    assert {k: v for k, v in content["attendance"].items() if k != "named"} == {
        "by_role": {"habitant": 3},
        "total": 3,
    }
    assert named(v1, content["attendance"]["named"]) == ["Ana"]
    assert "Ana" not in json.dumps(content)  # only its commitment is hashed
    (recorded,) = content["votes"]
    assert recorded["results"]["total"]["winner"] == "o1"
    assert recorded["turnout"]["total"] == 3
    assert content["session"]["number"] == room.session["number"]
    markdown = room.http.get(
        f"/api/proposals/{fiche['id']}/versions/1/markdown", headers=room.auth(room.facilitator)
    ).text
    assert "## Votes de la séance" in markdown
    assert "3 personnes présentes" in markdown


def test_a_seance_freeze_passes_over_what_was_handed_to_the_council(room: Room) -> None:
    handed = new_proposal(room, session_id=room.session["id"])
    other = new_proposal(room, title="Des bancs", session_id=room.session["id"])
    assert post(room, f"/api/sessions/{room.session['id']}/freeze").status_code == 201
    assert post(room, f"/api/proposals/{handed['id']}/transmit").status_code == 200
    again = post(room, f"/api/sessions/{room.session['id']}/freeze")
    assert again.status_code == 201, again.text
    assert [(v["proposal_id"], v["number"]) for v in again.json()] == [(other["id"], 2)]
    listed = room.http.get(
        f"/api/proposals/{handed['id']}/versions", headers=room.auth(room.facilitator)
    ).json()
    assert (listed["status"], len(listed["versions"])) == ("transmise", 1)


def test_a_version_says_who_wrote_in_each_section_naming_only_who_agreed(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room)
    ana = room.token_of("Ana", show_name_in_minutes=True)
    bruno = room.token_of("Bruno")
    observer = room.token_of("Olga", "observateur")
    asyncio.run(
        write(server_on, proposal["doc_id"], ana, paragraph("constat", "Trop de voitures."))
    )
    asyncio.run(
        write(
            server_on,
            proposal["doc_id"],
            bruno,
            paragraph("constat", "Et trop de bruit."),
            paragraph("proposition", "Une rue aux enfants."),
        )
    )
    asyncio.run(write(server_on, proposal["doc_id"], observer, paragraph("moyens", "Rien.")))
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    v1 = room.http.get(f"/api/proposals/{proposal['id']}/versions/1", headers=room.auth(ana)).json()
    sections = {s["key"]: s for s in v1["content"]["sections"]}
    assert named(v1, sections["constat"]["contributors"]["named"]) == ["Ana"]
    assert sections["constat"]["contributors"]["by_role"] == {"habitant": 2}
    assert sections["proposition"]["contributors"] == {"named": [], "by_role": {"habitant": 1}}
    assert sections["moyens"]["contributors"] == {"named": [], "by_role": {}}  # read-only
    markdown = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/1/markdown", headers=room.auth(ana)
    ).text
    assert "Écrit par Ana et 1 autre personne (2 habitant·es)" in markdown
    assert "Bruno" not in markdown
